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
  if (failed(quantizeModule(*module, policy, "policy", &weights)))
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

namespace {

/// The shapes of a lowered policy's run-time arguments: policies with the
/// same shapes run on the same compiled program.
std::string getSignature(llvm::ArrayRef<Tensor> runtimeInputs) {
  std::string key;
  for (const Tensor &t : runtimeInputs)
    key += t.describe() + ";";
  return key;
}

} // namespace

llvm::Expected<exec::Executable *>
PolicyScorer::getProgram(ModuleOp lowered,
                         llvm::ArrayRef<Tensor> runtimeInputs) {
  std::unique_ptr<exec::Executable> &program =
      programs[getSignature(runtimeInputs)];
  if (program)
    return program.get();
  auto start = std::chrono::steady_clock::now();
  exec::CompileOptions fake = options;
  fake.fakeQuant = true;
  auto compiled = exec::Executable::compile(lowered, fake);
  if (!compiled)
    return compiled.takeError();
  program = std::move(*compiled);
  compileSeconds += secondsSince(start);
  return program.get();
}

llvm::Expected<std::unique_ptr<PolicyScorer>>
PolicyScorer::create(ModuleOp calibrated, const Policy &first,
                     const exec::CompileOptions &options) {
  std::unique_ptr<PolicyScorer> scorer(new PolicyScorer());
  scorer->calibrated =
      OwningOpRef<ModuleOp>(cast<ModuleOp>(calibrated->clone()));
  scorer->options = options;
  std::vector<Tensor> runtimeInputs;
  auto lowered = scorer->lower(first, runtimeInputs);
  if (!lowered)
    return lowered.takeError();
  auto program = scorer->getProgram(**lowered, runtimeInputs);
  if (!program)
    return program.takeError();
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
  // A policy whose arguments differ in number or shape (a 16-bit Gemm keeps
  // its bias in f32) compiles its own program, once.
  auto program = getProgram(**lowered, runtimeInputs);
  if (!program)
    return program.takeError();
  score.prepareSeconds = secondsSince(start);
  auto result = evaluate(**program, data, reference, runtimeInputs, threads);
  if (!result)
    return result.takeError();
  score.result = *result;
  return score;
}
