//===- QuantizationPasses.cpp - --accel-calibrate and --accel-quantize ----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Dialect/Accel/IR/AccelDialect.h"
#include "tandem/Hardware/Target.h"
#include "tandem/Quantization/Calibration.h"
#include "tandem/Quantization/GPTQ.h"
#include "tandem/Quantization/Passes.h"
#include "tandem/Quantization/Quantize.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"

namespace tandem {
#define GEN_PASS_DEF_CALIBRATEPASS
#define GEN_PASS_DEF_QUANTIZEPASS
#include "tandem/Quantization/Passes.h.inc"
} // namespace tandem

using namespace mlir;
using namespace tandem;

namespace {

/// The samples `data` names for @main's input, or null after an error
/// naming `pass`.
std::unique_ptr<tandem::quant::Dataset>
openData(ModuleOp module, StringRef pass, StringRef data, int64_t samples) {
  if (samples < 0) {
    module.emitError() << pass << ": samples must be >= 0";
    return nullptr;
  }
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.getNumArguments() == 0) {
    module.emitError() << pass << " expects a function @main with an input";
    return nullptr;
  }
  auto inputType = dyn_cast<RankedTensorType>(main.getArgument(0).getType());
  if (!inputType || !inputType.hasStaticShape() || inputType.getRank() < 1 ||
      inputType.getDimSize(0) == 0) {
    module.emitError() << pass
                       << " expects @main's input to be a static tensor with "
                          "a leading batch dimension";
    return nullptr;
  }
  int64_t perSample = inputType.getNumElements() / inputType.getDimSize(0);
  auto dataset = tandem::quant::Dataset::open(data, "", perSample, samples);
  if (!dataset) {
    module.emitError(llvm::toString(dataset.takeError()));
    return nullptr;
  }
  return std::move(*dataset);
}

struct CalibratePass : public tandem::impl::CalibratePassBase<CalibratePass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (data.empty()) {
      module.emitError("--accel-calibrate needs data=PATH (an IDX file, a "
                       "directory of .npy files or of test_data_set_*)");
      return signalPassFailure();
    }
    auto dataset = openData(module, "--accel-calibrate", data, samples);
    if (!dataset)
      return signalPassFailure();
    tandem::quant::CalibrationOptions options;
    options.maxSamples = samples;
    options.threads = std::max(1u, threads.getValue());
    if (llvm::Error e = tandem::quant::calibrate(module, *dataset, options)) {
      module.emitError(llvm::toString(std::move(e)));
      return signalPassFailure();
    }
  }
};

struct QuantizePass : public tandem::impl::QuantizePassBase<QuantizePass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    tandem::quant::Policy chosen;
    std::string source;
    if (!policy.empty()) {
      auto loaded = tandem::quant::loadPolicy(policy);
      if (!loaded) {
        module.emitError(llvm::toString(loaded.takeError()));
        return signalPassFailure();
      }
      chosen = *loaded;
      source = policy;
    } else {
      if (!tandem::quant::isSupportedBits(weightBits) ||
          !tandem::quant::isSupportedBits(activationBits)) {
        module.emitError("--accel-quantize: weight-bits and activation-bits "
                         "must be 2..8 or 16, got ")
            << weightBits.getValue() << " and " << activationBits.getValue();
        return signalPassFailure();
      }
      chosen = tandem::quant::uniformPolicy(weightBits, activationBits);
      source = "weight-bits=" + std::to_string(weightBits) +
               " activation-bits=" + std::to_string(activationBits);
    }
    if (!target.empty()) {
      auto t = hw::loadTarget(target);
      if (!t) {
        module.emitError(llvm::toString(t.takeError()));
        return signalPassFailure();
      }
      for (const std::string &layer : tandem::quant::getLayerNames(module)) {
        tandem::quant::LayerBits bits = chosen.getBits(layer);
        if (t->supportsBits(bits.weightBits, bits.activationBits))
          continue;
        module.emitError() << source << ": layer '" << layer << "' at W"
                           << bits.weightBits << "A" << bits.activationBits
                           << ": target '" << t->name
                           << "' cannot run these widths";
        return signalPassFailure();
      }
    }
    if (chosen.weightRounding ==
        tandem::quant::WeightRounding::GPTQSequential) {
      if (data.empty()) {
        module.emitError()
            << source
            << ": field 'weights.rounding': \"gptq-sequential\" rounds the "
               "weights on calibration data; give --accel-quantize data=PATH";
        return signalPassFailure();
      }
      auto dataset = openData(module, "--accel-quantize", data, samples);
      if (!dataset || failed(tandem::quant::quantizeSequentially(
                          module, chosen, source, *dataset,
                          {samples, int(std::max(1u, threads.getValue()))},
                          [](const llvm::Twine &) {})))
        return signalPassFailure();
      return;
    }
    // GPTQ rounding measures the layers' inputs on the fp32 model first.
    tandem::quant::WeightCache weights;
    if (!data.empty() &&
        chosen.weightRounding == tandem::quant::WeightRounding::GPTQ) {
      auto dataset = openData(module, "--accel-quantize", data, samples);
      if (!dataset)
        return signalPassFailure();
      auto moments = tandem::quant::measureInputMoments(
          module, *dataset, {samples, int(std::max(1u, threads.getValue()))});
      if (!moments) {
        module.emitError(llvm::toString(moments.takeError()));
        return signalPassFailure();
      }
      weights.setInputMoments(*moments);
    }
    if (failed(tandem::quant::quantizeModule(module, chosen, source, &weights)))
      signalPassFailure();
  }
};

} // namespace
