//===- Accuracy.cpp - Score a model on a dataset --------------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/Accuracy.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <thread>

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
                llvm::ArrayRef<exec::Tensor> extraInputs, unsigned threads) {
  threads = std::max(1u, threads);
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

  // Batches are independent: `threads` workers take every threads-th batch,
  // each with its own input buffer; per-sample results land in place, the
  // sums are added in batch order afterwards (the same result for any
  // number of threads).
  int64_t batches = (data.size() + batch - 1) / batch;
  AccuracyResult result;
  result.predictions.assign(data.size(), 0);
  std::vector<int64_t> correct(batches, 0), agreeing(batches, 0);
  std::vector<double> signal(batches, 0), noise(batches, 0);
  std::vector<std::string> errors(threads);
  auto work = [&](unsigned worker) {
    std::vector<Tensor> modelInputs(1,
                                    Tensor(exec::ElementType::F32, in.shape));
    modelInputs.insert(modelInputs.end(), extraInputs.begin(),
                       extraInputs.end());
    Tensor &input = modelInputs[0];
    for (int64_t b = worker; b < batches; b += threads) {
      int64_t begin = b * batch;
      data.read(begin, batch, reinterpret_cast<float *>(input.data()));
      auto outputs = model.run(modelInputs);
      if (!outputs) {
        errors[worker] = llvm::toString(outputs.takeError());
        return;
      }
      std::optional<std::vector<Tensor>> refOutputs;
      if (reference) {
        auto r = reference->run(input);
        if (!r) {
          errors[worker] = llvm::toString(r.takeError());
          return;
        }
        refOutputs = std::move(*r);
      }
      int64_t valid = std::min(batch, data.size() - begin);
      const Tensor &out = (*outputs)[0];
      for (int64_t i = 0; i < valid; ++i) {
        int64_t predicted = argmax(out, i, classes);
        result.predictions[begin + i] = predicted;
        if (data.hasLabels())
          correct[b] += predicted == data.getLabels()[begin + i];
        if (refOutputs) {
          const Tensor &ref = (*refOutputs)[0];
          agreeing[b] += predicted == argmax(ref, i, classes);
          for (int64_t c = 0; c < classes; ++c) {
            double r = ref.getAsDouble(i * classes + c);
            double d = r - out.getAsDouble(i * classes + c);
            signal[b] += r * r;
            noise[b] += d * d;
          }
        }
      }
    }
  };
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < threads; ++t)
    workers.emplace_back(work, t);
  work(0);
  for (std::thread &t : workers)
    t.join();
  for (const std::string &e : errors)
    if (!e.empty())
      return fail(e);
  for (int64_t b = 0; b < batches; ++b) {
    result.correct += correct[b];
    result.agreeing += agreeing[b];
    result.signalPower += signal[b];
    result.noisePower += noise[b];
  }
  result.samples = data.size();
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return result;
}
