//===- MixedPrecisionPass.cpp - --accel-mixed-precision -------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/MixedPrecisionDriver.h"
#include "tandem/Quantization/Passes.h"
#include "tandem/Support/FileIO.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/IRMapping.h"

namespace tandem {
#define GEN_PASS_DEF_MIXEDPRECISIONPASS
#include "tandem/Quantization/Passes.h.inc"
} // namespace tandem

using namespace mlir;
using namespace tandem;
using namespace tandem::quant;

namespace {

struct MixedPrecisionPass
    : public tandem::impl::MixedPrecisionPassBase<MixedPrecisionPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto error = [&](const llvm::Twine &message) {
      // On the location only: the op would be printed whole with the error.
      mlir::emitError(module.getLoc(), "--accel-mixed-precision: ") << message;
      signalPassFailure();
    };
    if (target.empty())
      return error("needs target=NAME (a preset or a YAML file)");
    if (data.empty())
      return error("needs data=PATH (an IDX file, a directory of .npy files "
                   "or of test_data_set_*)");
    if (budgets.empty())
      return error("needs budget=KIND:VALUE (e.g. latency:0.6)");
    MixedPrecisionConfig config;
    auto loaded = hw::loadTarget(target);
    if (!loaded)
      return error(llvm::toString(loaded.takeError()));
    config.target = std::move(*loaded);
    for (const std::string &text : budgets) {
      auto budget = parseBudget(text);
      if (!budget)
        return error(llvm::toString(budget.takeError()));
      config.budgets.push_back(*budget);
    }
    for (const std::string &p : pin) {
      if (p != "first" && p != "last")
        return error("pin: expected 'first' or 'last', got '" + p + "'");
      (p == "first" ? config.pinFirst : config.pinLast) = true;
    }
    for (const std::string &text : encodings) {
      auto e = parseEncodingOption(text);
      if (!e)
        return error("encodings: " + llvm::toString(e.takeError()));
      config.encodings.push_back(*e);
    }
    if (calibrationSamples < 0 || validationSamples < 0)
      return error("sample counts must be >= 0");
    config.search = search;
    config.searchOptions.seed = seed;
    config.searchOptions.episodes = episodes;
    config.dataPath = data;
    config.labelsPath = labels;
    config.calibrationSamples = calibrationSamples;
    config.validationSamples = validationSamples;
    config.threads = std::max(1u, unsigned(threads));
    config.base.biasCorrection = biasCorrection;
    if (depthwiseInputs != "per-tensor" && depthwiseInputs != "per-channel")
      return error("depthwise-inputs must be per-tensor or per-channel, got '" +
                   depthwiseInputs + "'");
    config.base.depthwiseInputsPerChannel = depthwiseInputs == "per-channel";
    std::optional<WeightRounding> rounding =
        parseWeightRounding(weightRounding);
    if (!rounding)
      return error("weight-rounding must be nearest or gptq, got '" +
                   weightRounding + "'");
    config.base.weightRounding = *rounding;
    if (activationClipping == "auto") {
      config.activationClippings =
          getAutoActivationClippings(config.base.percentile);
    } else if (std::optional<Clipping> c = parseClipping(activationClipping)) {
      config.base.activationClipping = *c;
    } else {
      return error("activation-clipping must be minmax, percentile, mse, kl "
                   "or auto, got '" +
                   activationClipping + "'");
    }

    auto result = runMixedPrecision(module, config);
    if (!result)
      return error(llvm::toString(result.takeError()));
    if (!policyOut.empty())
      if (llvm::Error err =
              writeOutputFile(policyOut, [&](llvm::raw_ostream &os) {
                os << printPolicy((*result)->policy);
                return llvm::Error::success();
              }))
        return error(llvm::toString(std::move(err)));
    // Replace the module's body by the quantized one.
    ModuleOp quantized = (*result)->quantized.get();
    module.getBodyRegion().takeBody(quantized.getBodyRegion());
  }
};

} // namespace
