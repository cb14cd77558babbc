//===- PolicyScorer.cpp - Score many policies with one compiled model -----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/PolicyScorer.h"
#include "tandem/Conversion/Passes.h"
#include "tandem/Quantization/Quantize.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"

#include <chrono>

using namespace mlir;
using namespace tandem;
using namespace tandem::quant;
using exec::Tensor;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

Tensor toTensor(DenseElementsAttr attr) {
  auto type = cast<RankedTensorType>(attr.getType());
  Tensor t(exec::ElementType::F32, type.getShape());
  float *out = reinterpret_cast<float *>(t.data());
  for (float v : attr.getValues<float>())
    *out++ = v;
  return t;
}

} // namespace

llvm::Expected<OwningOpRef<ModuleOp>>
PolicyScorer::lower(const Policy &policy, std::vector<Tensor> &runtimeInputs) {
  OwningOpRef<ModuleOp> module(cast<ModuleOp>(calibrated->clone()));
  if (failed(quantizeModule(*module, policy, "policy")))
    return fail("the policy cannot be applied (see the errors above)");
  PassManager pm(module->getContext());
  LowerQuantizedPassOptions options;
  options.mode = "float";
  options.runtimeParameters = true;
  pm.addNestedPass<func::FuncOp>(createLowerQuantizedPass(options));
  if (failed(pm.run(*module)))
    return fail("lowering the quantized model failed (see the errors above)");
  auto main = module->lookupSymbol<func::FuncOp>("main");
  auto table =
      main->getAttrOfType<DenseElementsAttr>("accel.runtime_parameters");
  auto weights = main->getAttrOfType<ArrayAttr>("accel.runtime_weights");
  if (!table || !weights)
    return fail("the lowered model has no run-time parameters");
  runtimeInputs.clear();
  runtimeInputs.push_back(toTensor(table));
  for (Attribute w : weights)
    runtimeInputs.push_back(toTensor(cast<DenseElementsAttr>(w)));
  // Read; LLVM has no use for them.
  main->removeAttr("accel.runtime_parameters");
  main->removeAttr("accel.runtime_weights");
  return module;
}

llvm::Expected<std::unique_ptr<PolicyScorer>>
PolicyScorer::create(ModuleOp calibrated, const Policy &first,
                     const exec::CompileOptions &options) {
  std::unique_ptr<PolicyScorer> scorer(new PolicyScorer());
  scorer->calibrated =
      OwningOpRef<ModuleOp>(cast<ModuleOp>(calibrated->clone()));
  auto start = std::chrono::steady_clock::now();
  std::vector<Tensor> unused;
  auto lowered = scorer->lower(first, unused);
  if (!lowered)
    return lowered.takeError();
  exec::CompileOptions fake = options;
  fake.fakeQuant = true;
  auto program = exec::Executable::compile(**lowered, fake);
  if (!program)
    return program.takeError();
  scorer->program = std::move(*program);
  scorer->compileSeconds = secondsSince(start);
  return scorer;
}

llvm::Expected<PolicyScore> PolicyScorer::score(const Policy &policy,
                                                const Dataset &data,
                                                exec::Executable *reference,
                                                unsigned threads) {
  PolicyScore score;
  auto start = std::chrono::steady_clock::now();
  std::vector<Tensor> runtimeInputs;
  auto lowered = lower(policy, runtimeInputs);
  if (!lowered)
    return lowered.takeError();
  // The compiled program takes exactly these shapes, whatever the policy.
  auto inputs = program->getInputs();
  if (inputs.size() != runtimeInputs.size() + 1)
    return fail("the policy changes the program's arguments (" +
                llvm::Twine(runtimeInputs.size() + 1) + " instead of " +
                llvm::Twine(inputs.size()) + ")");
  for (size_t i = 0; i < runtimeInputs.size(); ++i)
    if (llvm::ArrayRef<int64_t>(runtimeInputs[i].shape) !=
        llvm::ArrayRef<int64_t>(inputs[i + 1].shape))
      return fail("the policy changes run-time argument " + llvm::Twine(i) +
                  " to " + runtimeInputs[i].describe() + " from " +
                  inputs[i + 1].describe());
  score.prepareSeconds = secondsSince(start);
  auto result = evaluate(*program, data, reference, runtimeInputs, threads);
  if (!result)
    return result.takeError();
  score.result = *result;
  return score;
}
