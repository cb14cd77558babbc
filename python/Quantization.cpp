//===- Quantization.cpp - tandem._tandem: calibrate, quantize, score ------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Calibration, quantization by a policy and accuracy on numpy data (or the
// dataset files the tools read), through the same code as tandem-opt's
// --accel-calibrate and --accel-quantize and tandem-quantize's scoring.
//
//===----------------------------------------------------------------------===//

#include "Bindings.h"

#include "tandem/Quantization/Accuracy.h"
#include "tandem/Quantization/Calibration.h"
#include "tandem/Quantization/Dataset.h"
#include "tandem/Quantization/GPTQ.h"
#include "tandem/Quantization/Quantize.h"
#include "tandem/Quantization/ValidationOracle.h"

#include "llvm/Support/FileSystem.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

using namespace mlir;
using namespace tandem;
using namespace tandem::python;

namespace {

/// `data`: a path (IDX file, .npy directory, test_data_set_*) with an
/// optional labels path, or an array of samples (the model input's shape,
/// with or without its batch dimension, after a leading sample axis) with
/// an optional array of labels.
std::unique_ptr<quant::Dataset> getData(Model &m, const py::object &data,
                                        const py::object &labels,
                                        int64_t maxSamples) {
  int64_t sampleElements = unwrap(quant::getSampleElements(*m.module));
  if (py::isinstance<py::str>(data) || py::hasattr(data, "__fspath__")) {
    std::string path = py::str(data);
    std::string labelsPath =
        labels.is_none() ? std::string() : std::string(py::str(labels));
    return unwrap(
        quant::Dataset::open(path, labelsPath, sampleElements, maxSamples));
  }
  auto array =
      py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(
          data);
  if (!array || array.ndim() < 2)
    raise("data must be a path or an array of samples [N, ...] (a sample "
          "axis, then the model input's shape)");
  int64_t count = array.shape(0);
  if (maxSamples > 0)
    count = std::min(count, maxSamples);
  int64_t elements = array.size() / std::max<int64_t>(1, array.shape(0));
  if (elements != sampleElements)
    raise("data has " + std::to_string(elements) +
          " elements per sample; model '" + m.name + "' takes " +
          std::to_string(sampleElements));
  std::vector<float> samples(array.data(), array.data() + count * elements);
  std::vector<int64_t> labelValues;
  if (!labels.is_none()) {
    auto l =
        py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(
            labels);
    if (!l || l.ndim() != 1)
      raise("labels must be a 1-D array of class indices");
    if (l.shape(0) < count)
      raise("labels has " + std::to_string(l.shape(0)) + " labels for " +
            std::to_string(count) + " samples");
    labelValues.assign(l.data(), l.data() + count);
  }
  return unwrap(quant::Dataset::fromValues(
      "<array>", std::move(samples), sampleElements, std::move(labelValues)));
}

ModelPtr calibrateModel(Model &m, const py::object &data, int64_t samples,
                        int threads) {
  auto dataset = getData(m, data, py::none(), samples);
  ModelPtr copy = m.clone();
  DiagnosticCapture diagnostics;
  llvm::Error err = llvm::Error::success();
  {
    py::gil_scoped_release release;
    quant::CalibrationOptions options;
    options.maxSamples = samples;
    options.threads = threads;
    err = quant::calibrate(*copy->module, *dataset, options);
  }
  check(std::move(err), &diagnostics);
  return copy;
}

/// A policy from an int (uniform W=A bits), a (weight, activation) pair, a
/// dict in the policy JSON format, JSON text, or a path to a policy file.
quant::Policy getPolicy(const py::object &policy, std::string &source) {
  if (py::isinstance<py::int_>(policy)) {
    int64_t bits = policy.cast<int64_t>();
    if (!quant::isSupportedBits(bits))
      raise("policy: " + std::to_string(bits) +
            " is not a width from 2 to 8 bits");
    source = "W" + std::to_string(bits) + "A" + std::to_string(bits);
    return quant::uniformPolicy(bits, bits);
  }
  if (py::isinstance<py::tuple>(policy)) {
    auto [w, a] = policy.cast<std::pair<int64_t, int64_t>>();
    if (!quant::isSupportedBits(w) || !quant::isSupportedBits(a))
      raise("policy: (" + std::to_string(w) + ", " + std::to_string(a) +
            ") are not widths from 2 to 8 bits");
    source = "W" + std::to_string(w) + "A" + std::to_string(a);
    return quant::uniformPolicy(w, a);
  }
  if (py::isinstance<py::dict>(policy)) {
    source = "<dict>";
    std::string text =
        py::module_::import("json").attr("dumps")(policy).cast<std::string>();
    return unwrap(quant::parsePolicy(text, source));
  }
  if (py::isinstance<py::str>(policy) || py::hasattr(policy, "__fspath__")) {
    std::string text = py::str(policy);
    if (llvm::StringRef(text).ltrim().starts_with("{")) {
      source = "<json>";
      return unwrap(quant::parsePolicy(text, source));
    }
    source = text;
    return unwrap(quant::loadPolicy(text));
  }
  raise("policy must be bits (int), (weight_bits, activation_bits), a dict, "
        "JSON text or a policy file");
}

ModelPtr quantizeModel(Model &m, const py::object &policyObject,
                       const py::object &data, int64_t samples, int threads) {
  if (!quant::isCalibrated(*m.module))
    raise("model '" + m.name +
          "' is not calibrated: call tandem.quant.calibrate first");
  std::string source;
  quant::Policy policy = getPolicy(policyObject, source);
  // GPTQ rounding: the layers' inputs measured on the fp32 model (and, for
  // sequential GPTQ, on the quantized one).
  bool sequential =
      policy.weightRounding == quant::WeightRounding::GPTQSequential;
  std::unique_ptr<quant::Dataset> dataset;
  if (!data.is_none() &&
      (sequential || policy.weightRounding == quant::WeightRounding::GPTQ))
    dataset = getData(m, data, py::none(), samples);
  ModelPtr copy = m.clone();
  DiagnosticCapture diagnostics;
  LogicalResult result = success();
  std::string momentsError;
  quant::WeightCache weights;
  {
    py::gil_scoped_release release;
    if (dataset && sequential) {
      result = quant::quantizeSequentially(*copy->module, policy, source,
                                           *dataset, {samples, threads},
                                           [](const llvm::Twine &) {});
    } else if (dataset) {
      auto moments = quant::measureInputMoments(*copy->module, *dataset,
                                                {samples, threads});
      if (moments)
        weights.setInputMoments(*moments);
      else
        momentsError = llvm::toString(moments.takeError());
    }
    if (momentsError.empty() && !(dataset && sequential))
      result = quant::quantizeModule(*copy->module, policy, source, &weights);
  }
  if (!momentsError.empty())
    raise(momentsError, &diagnostics);
  if (failed(result))
    raise("cannot quantize model '" + m.name + "' by policy '" + source + "'",
          &diagnostics);
  return copy;
}

py::dict scoreModel(Model &m, const py::object &data, const py::object &labels,
                    std::shared_ptr<Model> reference, int64_t samples,
                    unsigned threads) {
  if (labels.is_none() && !reference && !py::isinstance<py::str>(data) &&
      !py::hasattr(data, "__fspath__"))
    raise("accuracy needs labels or a reference model to agree with");
  auto dataset = getData(m, data, labels, samples);
  exec::Executable &exe = m.getExecutable();
  exec::Executable *ref = reference ? &reference->getExecutable() : nullptr;
  llvm::Expected<quant::AccuracyResult> result = quant::AccuracyResult();
  {
    py::gil_scoped_release release;
    result = quant::evaluate(exe, *dataset, ref, {}, threads);
  }
  quant::AccuracyResult r = unwrap(std::move(result));
  py::dict d;
  d["samples"] = r.samples;
  if (dataset->hasLabels())
    d["accuracy"] = r.getAccuracy();
  if (ref) {
    d["agreement"] = r.getAgreement();
    d["sqnr_db"] = r.getSQNR();
  }
  d["samples_per_second"] = r.getSamplesPerSecond();
  d["predictions"] =
      py::array_t<int64_t>(r.predictions.size(), r.predictions.data());
  return d;
}

} // namespace

void tandem::python::bindQuantization(py::module_ &m) {
  py::module_ q = m.def_submodule("quant", "Calibration, quantization and "
                                           "accuracy (docs/quantization.md)");
  q.def("calibrate", &calibrateModel, py::arg("model"), py::arg("data"),
        py::arg("samples") = 512, py::arg("threads") = 1,
        "A copy of the model with every tensor's range recorded over the "
        "first `samples` samples of `data` (an array of samples, or a "
        "dataset path), as --accel-calibrate.");
  q.def("quantize", &quantizeModel, py::arg("model"), py::arg("policy"),
        py::arg("data") = py::none(), py::arg("samples") = 512,
        py::arg("threads") = 1,
        "A copy of the calibrated model quantized by `policy`: bits (int), "
        "(weight_bits, activation_bits), a dict or JSON text in the policy "
        "format (docs/quantization.md), or a policy file.");
  q.def("accuracy", &scoreModel, py::arg("model"), py::arg("data"),
        py::arg("labels") = py::none(), py::arg("reference") = nullptr,
        py::arg("samples") = 0, py::arg("threads") = 1,
        "Runs the model on `data` (array or dataset path) and scores its "
        "top-1 against `labels` (array or labels path) and/or agreement "
        "and SQNR against a `reference` model. Returns a dict with "
        "samples, accuracy, agreement, sqnr_db and the predictions.");
}
