//===- GPTQ.cpp - Weight rounding that minimizes each layer's output error ===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/GPTQ.h"
#include "tandem/Dialect/Accel/IR/AccelDialect.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Dialect/Accel/IR/ConstantUtils.h"
#include "tandem/Quantization/ValidationOracle.h"
#include "tandem/Support/Limits.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FormatVariadic.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>

using namespace mlir;
using namespace tandem;
using namespace tandem::quant;
using namespace tandem::accel;

// LAPACK (OpenBLAS carries it): Cholesky factor, inverse from it.
extern "C" {
void dpotrf_(const char *uplo, const blasint *n, double *a, const blasint *lda,
             blasint *info);
void dpotri_(const char *uplo, const blasint *n, double *a, const blasint *lda,
             blasint *info);
}

namespace {

/// A layer whose input moment is measured: the tensor its weights multiply
/// and how its vectors are laid out.
struct MomentLayer {
  std::string name;
  Value input;
  Conv2DOp conv; // null for a matrix product
  int64_t size = 0;
  int64_t groups = 1;
};

std::optional<MomentLayer> getMomentLayer(Operation *op) {
  MomentLayer layer;
  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    auto w = cast<RankedTensorType>(conv.getWeight().getType());
    if (!w.getElementType().isF32() || !isConstantTensor(conv.getWeight()))
      return std::nullopt;
    layer.input = conv.getInput();
    layer.conv = conv;
    layer.groups = conv.getGroups();
    layer.size = w.getNumElements() / w.getDimSize(0);
  } else if (auto mm = dyn_cast<MatmulOp>(op)) {
    auto rhs = cast<RankedTensorType>(mm.getRhs().getType());
    if (rhs.getRank() != 2 || !rhs.getElementType().isF32() ||
        !isConstantTensor(mm.getRhs()))
      return std::nullopt;
    layer.input = mm.getLhs();
    layer.size = rhs.getDimSize(0);
  } else {
    return std::nullopt;
  }
  if (!cast<RankedTensorType>(layer.input.getType()).getElementType().isF32())
    return std::nullopt;
  layer.name = getDisplayName(op);
  return layer;
}

/// Adds the vectors `layer` reads from `x` (its input on one batch) to the
/// upper triangles of `moment`'s matrices.
void accumulate(const MomentLayer &layer, const exec::Tensor &x,
                InputMoment &moment, std::vector<double> &matrix) {
  const float *in = reinterpret_cast<const float *>(x.data());
  int64_t k = moment.size;
  std::vector<double> rows;
  auto addRows = [&](int64_t n, double *matrix) {
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, k, n, 1.0, rows.data(),
                k, 1.0, matrix, k);
  };
  if (!layer.conv) {
    int64_t n = x.getNumElements() / k;
    rows.assign(in, in + n * k);
    addRows(n, matrix.data());
    moment.count += n;
    return;
  }
  // Patches of a convolution, one group at a time: (c, r, s) in the
  // weights' order, zero where they read padding.
  Conv2DOp conv = layer.conv;
  ArrayRef<int64_t> shape = x.shape;
  auto w = cast<RankedTensorType>(conv.getWeight().getType()).getShape();
  auto out = cast<RankedTensorType>(conv.getType()).getShape();
  int64_t batch = shape[0], channels = shape[1], height = shape[2],
          width = shape[3];
  int64_t groupChannels = w[1], kh = w[2], kw = w[3], p = out[2], q = out[3];
  ArrayRef<int64_t> strides = conv.getStrides(), pads = conv.getPads(),
                    dilations = conv.getDilations();
  // One sample at a time: a batch's patches can take gigabytes.
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t g = 0; g < layer.groups; ++g) {
      rows.assign(p * q * k, 0.0);
      double *row = rows.data();
      for (int64_t oy = 0; oy < p; ++oy)
        for (int64_t ox = 0; ox < q; ++ox, row += k)
          for (int64_t c = 0; c < groupChannels; ++c) {
            const float *plane =
                in + (b * channels + g * groupChannels + c) * height * width;
            for (int64_t r = 0; r < kh; ++r) {
              int64_t y = oy * strides[0] - pads[0] + r * dilations[0];
              if (y < 0 || y >= height)
                continue;
              for (int64_t s = 0; s < kw; ++s) {
                int64_t xx = ox * strides[1] - pads[1] + s * dilations[1];
                if (xx >= 0 && xx < width)
                  row[(c * kh + r) * kw + s] = plane[y * width + xx];
              }
            }
          }
      addRows(p * q, matrix.data() + g * k * k);
    }
  moment.count += batch * p * q;
}

/// The inverse of the symmetric positive definite `a` (n x n), or false
/// when it is not positive definite.
bool invert(std::vector<double> &a, blasint n) {
  blasint info = 0;
  dpotrf_("L", &n, a.data(), &n, &info);
  if (info != 0)
    return false;
  dpotri_("L", &n, a.data(), &n, &info);
  if (info != 0)
    return false;
  // Column-major lower triangle = row-major upper: mirror it.
  for (blasint i = 0; i < n; ++i)
    for (blasint j = i + 1; j < n; ++j)
      a[j * n + i] = a[i * n + j];
  return true;
}

} // namespace

llvm::Expected<std::shared_ptr<LayerInputMoments>>
tandem::quant::measureInputMoments(ModuleOp module, Dataset &data,
                                   const CalibrationOptions &options) {
  auto result = std::make_shared<LayerInputMoments>();
  result->threads = std::max(1, options.threads);
  std::vector<MomentLayer> layers;
  if (auto main = module.lookupSymbol<func::FuncOp>("main"))
    main.walk([&](Operation *op) {
      if (std::optional<MomentLayer> layer = getMomentLayer(op))
        layers.push_back(std::move(*layer));
    });
  // Moments are found by layer name: a name two layers share (ops without
  // locations, one ONNX node lowered to two layers) names neither.
  llvm::StringMap<int> uses;
  for (const MomentLayer &l : layers)
    ++uses[l.name];
  llvm::erase_if(layers, [&](const MomentLayer &l) {
    if (uses[l.name] == 1)
      return false;
    result->ambiguous.insert(l.name);
    return true;
  });
  // A moment is a tensor Tandem materializes: refused, before any memory
  // is allocated, beyond the limit every tool applies (--max-tensor-mib).
  for (const MomentLayer &l : layers) {
    uint64_t bytes = uint64_t(l.groups) * l.size * l.size * sizeof(double);
    if (bytes > getMaxTensorBytes())
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          llvm::formatv("layer '{0}': GPTQ's input moment of {1} x {1} "
                        "values ({2} groups) takes {3} MiB, more than the "
                        "largest tensor allowed ({4} MiB; raise it with "
                        "--max-tensor-mib)",
                        l.name, l.size, l.groups, bytes >> 20,
                        getMaxTensorBytes() >> 20)
              .str());
  }
  std::vector<InputMoment> moments(layers.size());
  std::vector<std::vector<double>> matrices(layers.size());
  SmallVector<Value> values;
  for (auto [layer, m, h] : llvm::zip(layers, moments, matrices)) {
    m.groups = layer.groups;
    m.size = layer.size;
    h.assign(m.groups * m.size * m.size, 0.0);
    values.push_back(layer.input);
  }
  auto visit = [&](int, ArrayRef<const exec::Tensor *> tensors) {
    for (size_t i = 0; i < layers.size(); ++i)
      accumulate(layers[i], *tensors[i + 1], moments[i], matrices[i]);
    return llvm::Error::success();
  };
  if (llvm::Error err = runObserving(module, values, data, options, 1, visit))
    return std::move(err);
  for (auto [layer, m, matrix] : llvm::zip(layers, moments, matrices)) {
    double scale = 1.0 / std::max<int64_t>(m.count, 1);
    for (double &x : matrix) {
      x *= scale;
      if (!std::isfinite(x))
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "layer '" + layer.name +
                "': its inputs on the calibration data are not finite; GPTQ "
                "cannot round its weights");
    }
    // Factored once here: every width of the layer rounds with it.
    for (int64_t g = 0; g < m.groups; ++g) {
      double *h = matrix.data() + g * m.size * m.size;
      for (int64_t i = 0; i < m.size; ++i)
        for (int64_t j = i + 1; j < m.size; ++j)
          h[j * m.size + i] = h[i * m.size + j];
      m.factors.push_back(
          factorMoment(ArrayRef<double>(h, m.size * m.size), m.size));
    }
    matrix = {};
    result->layers[layer.name] = std::move(m);
  }
  return result;
}

llvm::Expected<std::shared_ptr<LayerInputMoments>>
tandem::quant::prepareForQuantization(
    ModuleOp module, StringRef dataPath, int64_t calibrationSamples,
    WeightRounding rounding, int threads,
    llvm::function_ref<void(const llvm::Twine &)> log) {
  bool gptq = rounding == WeightRounding::GPTQ;
  if (isCalibrated(module) && !gptq)
    return nullptr;
  auto perSample = getSampleElements(module);
  if (!perSample)
    return perSample.takeError();
  auto samples = Dataset::open(dataPath, "", *perSample, calibrationSamples);
  if (!samples)
    return samples.takeError();
  CalibrationOptions options;
  options.threads = threads;
  if (!isCalibrated(module)) {
    log(llvm::formatv("calibrating on {0} samples of {1}", (*samples)->size(),
                      dataPath));
    if (llvm::Error err = calibrate(module, **samples, options))
      return std::move(err);
  }
  if (!gptq)
    return nullptr;
  log(llvm::formatv("measuring the layers' input moments for GPTQ on {0} "
                    "samples of {1}",
                    (*samples)->size(), dataPath));
  return measureInputMoments(module, **samples, options);
}

GPTQFactor tandem::quant::factorMoment(ArrayRef<double> moment, int64_t size) {
  GPTQFactor f;
  blasint n = static_cast<blasint>(size);
  // Most used inputs first; inputs the data never sets cannot be
  // compensated for and take no errors from others (a unit diagonal).
  f.order.resize(size);
  std::iota(f.order.begin(), f.order.end(), 0);
  std::stable_sort(f.order.begin(), f.order.end(), [&](int64_t a, int64_t b) {
    return moment[a * size + a] > moment[b * size + b];
  });
  double meanDiagonal = 0;
  for (int64_t i = 0; i < size; ++i)
    meanDiagonal += moment[i * size + i] / size;
  // U: the upper Cholesky factor of H^-1, damped until H is positive
  // definite. Row j of U carries column j's error to the later columns.
  for (double damp = 0.01; damp <= 100 && !f.factored && meanDiagonal > 0;
       damp *= 10) {
    f.u.assign(size * size, 0.0);
    for (int64_t i = 0; i < size; ++i) {
      for (int64_t j = 0; j < size; ++j)
        f.u[i * size + j] = moment[f.order[i] * size + f.order[j]];
      double &d = f.u[i * size + i];
      d = d > 0 ? d + damp * meanDiagonal : 1.0;
    }
    if (!invert(f.u, n))
      continue;
    blasint info = 0;
    // Column-major lower factor L of H^-1 = L L^T, read row-major as
    // L^T = U with H^-1 = U^T U.
    dpotrf_("L", &n, f.u.data(), &n, &info);
    f.factored = info == 0;
  }
  if (!f.factored)
    f.u.clear();
  return f;
}

std::vector<int64_t> tandem::quant::roundGPTQ(ArrayRef<double> weights,
                                              int64_t rows, int64_t size,
                                              const GPTQFactor &factor,
                                              ArrayRef<QuantParams> params,
                                              unsigned threads) {
  auto paramsOf = [&](int64_t r) -> const QuantParams & {
    return params[params.size() == 1 ? 0 : r];
  };
  std::vector<int64_t> ints(rows * size);
  const std::vector<int64_t> &order = factor.order;
  const std::vector<double> &u = factor.u;
  bool factored = factor.factored;
  auto roundRows = [&](int64_t begin, int64_t end) {
    std::vector<double> w(size);
    for (int64_t r = begin; r < end; ++r) {
      const QuantParams &p = paramsOf(r);
      for (int64_t j = 0; j < size; ++j)
        w[j] = weights[r * size + order[j]];
      for (int64_t j = 0; j < size; ++j) {
        int64_t q = p.quantize(w[j]);
        ints[r * size + order[j]] = q;
        if (!factored)
          continue;
        // Column-major L(i, j) for i >= j is at i + j * n: row j of U.
        const double *uj = u.data() + j * size;
        double error = (w[j] - p.dequantize(q)) / uj[j];
        for (int64_t t = j + 1; t < size; ++t)
          w[t] -= error * uj[t];
      }
    }
  };
  unsigned workers = std::max<unsigned>(
      1, std::min<int64_t>(threads, rows * size * size / (1 << 20) + 1));
  if (workers == 1) {
    roundRows(0, rows);
    return ints;
  }
  std::vector<std::thread> pool;
  int64_t chunk = (rows + workers - 1) / workers;
  for (unsigned i = 0; i < workers; ++i)
    pool.emplace_back(roundRows, std::min<int64_t>(rows, i * chunk),
                      std::min<int64_t>(rows, (i + 1) * chunk));
  for (std::thread &t : pool)
    t.join();
  return ints;
}

std::optional<std::vector<int64_t>>
tandem::quant::roundLayerGPTQ(ArrayRef<float> weights, ArrayRef<int64_t> shape,
                              int32_t axis, ArrayRef<QuantParams> params,
                              const InputMoment &moment, unsigned threads) {
  int64_t total = weights.size();
  bool transposed = axis == 1 && shape.size() == 2; // K x N, rows are columns
  if (!(transposed || (axis == 0 && shape.size() == 4)))
    return std::nullopt;
  int64_t rows = shape[axis], size = total / rows;
  if (size != moment.size || rows % moment.groups != 0 ||
      int64_t(moment.factors.size()) != moment.groups)
    return std::nullopt;
  std::vector<double> w(total);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < size; ++j)
      w[r * size + j] = weights[transposed ? j * rows + r : r * size + j];
  std::vector<int64_t> ints(total);
  int64_t groupRows = rows / moment.groups;
  for (int64_t g = 0; g < moment.groups; ++g) {
    ArrayRef<QuantParams> groupParams =
        params.size() == 1 ? params : params.slice(g * groupRows, groupRows);
    std::vector<int64_t> q = roundGPTQ(
        ArrayRef<double>(w).slice(g * groupRows * size, groupRows * size),
        groupRows, size, moment.factors[g], groupParams, threads);
    for (int64_t r = 0; r < groupRows; ++r)
      for (int64_t j = 0; j < size; ++j) {
        int64_t row = g * groupRows + r;
        ints[transposed ? j * rows + row : row * size + j] = q[r * size + j];
      }
  }
  return ints;
}
