//===- ValidationOracle.cpp - Policies measured on validation data --------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/ValidationOracle.h"
#include "tandem/Quantization/Accuracy.h"
#include "tandem/Quantization/Calibration.h"
#include "tandem/Quantization/GPTQ.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/xxhash.h"

using namespace mlir;
using namespace tandem;
using namespace tandem::quant;

Quality tandem::quant::toQuality(const AccuracyResult &r, bool labels) {
  Quality q;
  q.accuracy = labels ? r.getAccuracy() : NAN;
  q.agreement = r.getAgreement();
  q.noise = r.signalPower > 0 ? r.noisePower / r.signalPower : 0;
  return q;
}

bool tandem::quant::isCalibrated(ModuleOp module) {
  bool found = false;
  module.walk([&](Operation *op) {
    if (op->hasAttr(kCalibrationAttr))
      found = true;
    return found ? WalkResult::interrupt() : WalkResult::advance();
  });
  return found;
}

llvm::Expected<int64_t> tandem::quant::getSampleElements(ModuleOp module) {
  auto fail = [](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   message.str());
  };
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.getNumArguments() != 1)
    return fail("mixed precision needs a model whose @main has one input");
  auto type = dyn_cast<RankedTensorType>(main.getArgument(0).getType());
  if (!type || !type.hasStaticShape() || type.getRank() < 1 ||
      type.getDimSize(0) == 0)
    return fail("mixed precision needs @main's input to be a static tensor "
                "with a leading batch dimension (ONNX models: "
                "--input-shape NAME=BATCHx...)");
  return type.getNumElements() / type.getDimSize(0);
}

std::string tandem::quant::getSensitivityKey(
    llvm::ArrayRef<LayerInfo> layers, llvm::ArrayRef<int64_t> bits,
    llvm::ArrayRef<WeightEncoding> encodings, llvm::StringRef dataKey,
    const Policy &base, const AccuracyResult &fp32) {
  std::string text;
  llvm::raw_string_ostream os(text);
  for (const LayerInfo &l : layers)
    os << l.name << ':' << l.params << ':' << l.macs << ';';
  for (int64_t b : bits)
    os << b << ',';
  for (const WeightEncoding &e : encodings)
    os << getEncodingLabel(e) << ',';
  os << dataKey << '|' << printPolicy(base);
  for (int64_t p : fp32.predictions)
    os << char('0' + p % 64);
  return llvm::formatv("{0:x16}", llvm::xxh3_64bits(text)).str();
}

llvm::Expected<Quality> ValidationOracle::measure(const Policy &policy) {
  std::string key = printPolicy(policy);
  auto it = cache.find(key);
  if (it != cache.end())
    return it->second;
  auto score = scorer.score(policy, data, &reference, threads);
  if (!score)
    return score.takeError();
  Quality q = toQuality(score->result, data.hasLabels());
  cache.emplace(std::move(key), q);
  if (onMeasured)
    onMeasured(policy, q);
  return q;
}

SequentialOracle::~SequentialOracle() = default;

llvm::Expected<ModuleOp> SequentialOracle::getRounded(Policy policy) {
  policy.weightRounding = WeightRounding::GPTQSequential;
  std::string key = printPolicy(policy);
  for (auto &[k, m] : rounded)
    if (k == key)
      return *m;
  if (!calibration) {
    auto perSample = getSampleElements(module);
    if (!perSample)
      return perSample.takeError();
    auto c = Dataset::open(calibrationPath, "", *perSample, calibrationSamples);
    if (!c)
      return c.takeError();
    calibration = std::move(*c);
  }
  OwningOpRef<ModuleOp> q(cast<ModuleOp>(module->clone()));
  CalibrationOptions options;
  options.maxSamples = calibrationSamples;
  options.threads = threads;
  if (failed(quantizeSequentially(*q, policy, "policy", *calibration, options,
                                  [](const llvm::Twine &) {})))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "sequential GPTQ cannot round the policy (see the errors above)");
  // A front's designs share policies, not always one after another.
  constexpr size_t kKept = 8;
  if (rounded.size() == kKept)
    rounded.pop_front();
  rounded.emplace_back(std::move(key), std::move(q));
  return *rounded.back().second;
}

llvm::Expected<Quality> SequentialOracle::measure(const Policy &given) {
  Policy policy = given;
  policy.weightRounding = WeightRounding::GPTQSequential;
  std::string key = printPolicy(policy);
  auto it = cache.find(key);
  if (it != cache.end())
    return it->second;
  auto q = measureOn(policy, data);
  if (!q)
    return q.takeError();
  cache.emplace(std::move(key), *q);
  return *q;
}

llvm::Expected<Quality> SequentialOracle::measureOn(const Policy &policy,
                                                    const Dataset &other) {
  Policy sequential = policy;
  sequential.weightRounding = WeightRounding::GPTQSequential;
  std::string key = printPolicy(sequential);
  if (!compiled || compiledKey != key) {
    compiled = nullptr;
    auto q = getRounded(policy);
    if (!q)
      return q.takeError();
    exec::CompileOptions options;
    options.threads = 1;
    options.fakeQuant = true;
    auto executable = exec::Executable::compile(*q, options);
    if (!executable)
      return executable.takeError();
    compiled = std::move(*executable);
    compiledKey = std::move(key);
  }
  auto r = evaluate(*compiled, other, &reference, {}, threads);
  if (!r)
    return r.takeError();
  return toQuality(*r, other.hasLabels());
}

llvm::Expected<OwningOpRef<ModuleOp>>
SequentialOracle::round(const Policy &policy) {
  auto q = getRounded(policy);
  if (!q)
    return q.takeError();
  return OwningOpRef<ModuleOp>(cast<ModuleOp>(q->clone()));
}
