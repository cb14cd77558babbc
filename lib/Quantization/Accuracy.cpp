//===- Accuracy.cpp - Score a model on a dataset --------------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/Accuracy.h"

#include <chrono>
#include <cmath>
#include <limits>

using namespace tandem;
using namespace tandem::quant;
using exec::Tensor;

double AccuracyResult::getSQNR() const {
  if (noisePower == 0)
    return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signalPower / noisePower);
}

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

/// Index of the largest value in row `row` of a rows x cols output.
int64_t argmax(const Tensor &t, int64_t row, int64_t cols) {
  int64_t best = 0;
  double bestValue = -std::numeric_limits<double>::infinity();
  for (int64_t c = 0; c < cols; ++c) {
    double v = t.getAsDouble(row * cols + c);
    if (v > bestValue) {
      bestValue = v;
      best = c;
    }
  }
  return best;
}

} // namespace

llvm::Expected<AccuracyResult>
quant::evaluate(exec::Executable &model, const Dataset &data,
                exec::Executable *reference,
                llvm::ArrayRef<exec::Tensor> extraInputs) {
  auto inputs = model.getInputs();
  if (inputs.size() != 1 + extraInputs.size() ||
      !exec::isFloat(inputs[0].type) ||
      inputs[0].type != exec::ElementType::F32 || inputs[0].shape.empty())
    return fail("scoring expects a model with one f32 input with a leading "
                "batch dimension");
  const exec::TensorSignature &in = inputs[0];
  int64_t batch = in.shape[0];
  int64_t perSample = 1;
  for (int64_t d : llvm::ArrayRef(in.shape).drop_front())
    perSample *= d;
  if (batch <= 0 || perSample != data.getSampleElements())
    return fail(data.getPath() + ": samples of " +
                llvm::Twine(data.getSampleElements()) +
                " elements do not fit the model input " + in.describe());
  if (reference && (reference->getInputs().size() != 1 ||
                    reference->getInputs()[0].shape != in.shape))
    return fail("the reference model's input is not " + in.describe());
  if (model.getOutputs().empty() || model.getOutputs()[0].shape.empty() ||
      model.getOutputs()[0].shape[0] != batch)
    return fail("scoring expects the first output to have the batch as its "
                "leading dimension");
  int64_t outElements = 1;
  for (int64_t d : model.getOutputs()[0].shape)
    outElements *= d;
  int64_t classes = outElements / batch;
  if (reference &&
      (reference->getOutputs().empty() ||
       reference->getOutputs()[0].shape != model.getOutputs()[0].shape))
    return fail("the reference model's first output has another shape");

  AccuracyResult result;
  std::vector<Tensor> modelInputs(1, Tensor(exec::ElementType::F32, in.shape));
  modelInputs.insert(modelInputs.end(), extraInputs.begin(), extraInputs.end());
  Tensor &input = modelInputs[0];
  auto start = std::chrono::steady_clock::now();
  for (int64_t begin = 0; begin < data.size(); begin += batch) {
    data.read(begin, batch, reinterpret_cast<float *>(input.data()));
    auto outputs = model.run(modelInputs);
    if (!outputs)
      return outputs.takeError();
    std::optional<std::vector<Tensor>> refOutputs;
    if (reference) {
      auto r = reference->run(input);
      if (!r)
        return r.takeError();
      refOutputs = std::move(*r);
    }
    int64_t valid = std::min(batch, data.size() - begin);
    const Tensor &out = (*outputs)[0];
    for (int64_t i = 0; i < valid; ++i) {
      int64_t predicted = argmax(out, i, classes);
      result.predictions.push_back(predicted);
      if (data.hasLabels())
        result.correct += predicted == data.getLabels()[begin + i];
      if (refOutputs) {
        const Tensor &ref = (*refOutputs)[0];
        result.agreeing += predicted == argmax(ref, i, classes);
        for (int64_t c = 0; c < classes; ++c) {
          double r = ref.getAsDouble(i * classes + c);
          double d = r - out.getAsDouble(i * classes + c);
          result.signalPower += r * r;
          result.noisePower += d * d;
        }
      }
    }
    result.samples += valid;
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return result;
}
