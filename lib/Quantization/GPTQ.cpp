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

#include "tandem/Quantization/Grid.h"
#include "tandem/Quantization/Quantize.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/BitVector.h"
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
  Value weight;
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
    layer.weight = conv.getWeight();
    layer.conv = conv;
    layer.groups = conv.getGroups();
    layer.size = w.getNumElements() / w.getDimSize(0);
  } else if (auto mm = dyn_cast<MatmulOp>(op)) {
    auto rhs = cast<RankedTensorType>(mm.getRhs().getType());
    if (rhs.getRank() != 2 || !rhs.getElementType().isF32() ||
        !isConstantTensor(mm.getRhs()))
      return std::nullopt;
    layer.input = mm.getLhs();
    layer.weight = mm.getRhs();
    layer.size = rhs.getDimSize(0);
  } else {
    return std::nullopt;
  }
  if (!cast<RankedTensorType>(layer.input.getType()).getElementType().isF32())
    return std::nullopt;
  layer.name = getDisplayName(op);
  return layer;
}

/// The layers of `module`'s @main whose input moments can be measured.
/// Moments are found by layer name: a name two layers share (ops without
/// locations, one ONNX node lowered to two layers) names neither; it goes
/// into `ambiguous`.
std::vector<MomentLayer> getMomentLayers(ModuleOp module,
                                         llvm::StringSet<> &ambiguous) {
  std::vector<MomentLayer> layers;
  if (auto main = module.lookupSymbol<func::FuncOp>("main"))
    main.walk([&](Operation *op) {
      if (std::optional<MomentLayer> layer = getMomentLayer(op))
        layers.push_back(std::move(*layer));
    });
  llvm::StringMap<int> uses;
  for (const MomentLayer &l : layers)
    ++uses[l.name];
  llvm::erase_if(layers, [&](const MomentLayer &l) {
    if (uses[l.name] == 1)
      return false;
    ambiguous.insert(l.name);
    return true;
  });
  return layers;
}

/// A moment is a tensor Tandem materializes: refused, before any memory is
/// allocated, beyond the limit every tool applies (--max-tensor-mib).
llvm::Error checkMomentSize(const MomentLayer &l) {
  uint64_t bytes = uint64_t(l.groups) * l.size * l.size * sizeof(double);
  if (bytes <= getMaxTensorBytes())
    return llvm::Error::success();
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      llvm::formatv("layer '{0}': GPTQ's input moment of {1} x {1} values "
                    "({2} groups) takes {3} MiB, more than the largest "
                    "tensor allowed ({4} MiB; raise it with --max-tensor-mib)",
                    l.name, l.size, l.groups, bytes >> 20,
                    getMaxTensorBytes() >> 20)
          .str());
}

/// Calls `visit(g, rows, n)` with the n x size vectors `layer` reads from
/// each of `xs` (inputs of its shape on one batch: rows[i] from xs[i]) in
/// group g: a matrix product's input rows (one call), a convolution's
/// patches one sample and group at a time ((c, r, s) in the weights' order,
/// zero where they read padding; a batch's patches can take gigabytes).
void forEachInputRows(
    const MomentLayer &layer, ArrayRef<const exec::Tensor *> xs,
    llvm::function_ref<void(int64_t, ArrayRef<const double *>, int64_t)>
        visit) {
  int64_t k = layer.size;
  std::vector<std::vector<double>> rows(xs.size());
  SmallVector<const double *> pointers(xs.size(), nullptr);
  if (!layer.conv) {
    int64_t n = xs[0]->getNumElements() / k;
    for (size_t i = 0; i < xs.size(); ++i) {
      const float *in = reinterpret_cast<const float *>(xs[i]->data());
      rows[i].assign(in, in + n * k);
      pointers[i] = rows[i].data();
    }
    visit(0, pointers, n);
    return;
  }
  Conv2DOp conv = layer.conv;
  ArrayRef<int64_t> shape = xs[0]->shape;
  auto w = cast<RankedTensorType>(conv.getWeight().getType()).getShape();
  auto out = cast<RankedTensorType>(conv.getType()).getShape();
  int64_t batch = shape[0], channels = shape[1], height = shape[2],
          width = shape[3];
  int64_t groupChannels = w[1], kh = w[2], kw = w[3], p = out[2], q = out[3];
  ArrayRef<int64_t> strides = conv.getStrides(), pads = conv.getPads(),
                    dilations = conv.getDilations();
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t g = 0; g < layer.groups; ++g) {
      for (size_t i = 0; i < xs.size(); ++i) {
        const float *in = reinterpret_cast<const float *>(xs[i]->data());
        rows[i].assign(p * q * k, 0.0);
        double *row = rows[i].data();
        pointers[i] = row;
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
      }
      visit(g, pointers, p * q);
    }
}

/// Adds the vectors `layer` reads from `x` (its input on one batch) to the
/// upper triangles of `moment`'s matrices.
void accumulate(const MomentLayer &layer, const exec::Tensor &x,
                InputMoment &moment, std::vector<double> &matrix) {
  int64_t k = moment.size;
  forEachInputRows(
      layer, {&x}, [&](int64_t g, ArrayRef<const double *> rows, int64_t n) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, k, n, 1.0, rows[0],
                    k, 1.0, matrix.data() + g * k * k, k);
        if (g == 0) // a position counts once, not once per group
          moment.count += n;
      });
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
  std::vector<MomentLayer> layers = getMomentLayers(module, result->ambiguous);
  for (const MomentLayer &l : layers)
    if (llvm::Error err = checkMomentSize(l))
      return err;
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

//===----------------------------------------------------------------------===//
// Sequential GPTQ
//===----------------------------------------------------------------------===//

namespace {

/// A layer sequential GPTQ rounds again: its op in the quantized module, the
/// storage cast of its weights' integers and their grid, and the fp32 layer
/// (in the fp32 module) it stands for.
struct SequentialLayer {
  MomentLayer fp32;
  Operation *op = nullptr;
  Value input;
  mlir::quant::StorageCastOp weights;
  SmallVector<QuantParams> params;
  /// The weights' channel axis in roundLayerGPTQ's layouts.
  int32_t axis = 0;
  /// The layers whose results reach this one's input.
  llvm::BitVector upstream;
};

std::optional<SequentialLayer>
getSequentialLayer(Operation *op, const llvm::StringMap<MomentLayer> &fp32) {
  SequentialLayer layer;
  Value weights;
  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    layer.input = conv.getInput();
    weights = conv.getWeight();
  } else if (auto mm = dyn_cast<MatmulOp>(op)) {
    layer.input = mm.getLhs();
    weights = mm.getRhs();
  } else {
    return std::nullopt;
  }
  // Shift-add encoded weights keep their encoding's nearest rounding.
  if (op->hasAttr("accel.weight_encoding"))
    return std::nullopt;
  auto it = fp32.find(getDisplayName(op));
  if (it == fp32.end())
    return std::nullopt;
  layer.fp32 = it->second;
  layer.op = op;
  layer.weights = weights.getDefiningOp<mlir::quant::StorageCastOp>();
  std::optional<Grid> grid = getGrid(weights.getType());
  if (!layer.weights || !grid ||
      !layer.weights.getInput().getDefiningOp<arith::ConstantOp>() ||
      cast<ShapedType>(weights.getType()).getShape() !=
          cast<ShapedType>(layer.fp32.weight.getType()).getShape())
    return std::nullopt;
  layer.axis = layer.fp32.conv ? 0 : 1;
  for (size_t c = 0; c < grid->scales.size(); ++c)
    layer.params.push_back(
        {grid->scales[c], grid->zeroPoints[c], grid->qmin, grid->qmax});
  return layer;
}

/// A module computing both models on one input: a copy of `quantized`
/// whose @main also runs `fp32`'s @main, and, per layer of `wave`, its fp32
/// input and its quantized input (as f32) in `observed`.
OwningOpRef<ModuleOp> buildPairedModule(ModuleOp fp32, ModuleOp quantized,
                                        ArrayRef<SequentialLayer *> wave,
                                        SmallVectorImpl<Value> &observed) {
  IRMapping q;
  OwningOpRef<ModuleOp> paired(cast<ModuleOp>(quantized->clone(q)));
  auto main = paired->lookupSymbol<func::FuncOp>("main");
  auto fp32Main = fp32.lookupSymbol<func::FuncOp>("main");
  IRMapping f;
  f.map(fp32Main.getArgument(0), main.getArgument(0));
  OpBuilder b(main.front().getTerminator());
  for (Operation &op : fp32Main.front().without_terminator())
    b.clone(op, f);
  for (SequentialLayer *layer : wave) {
    observed.push_back(f.lookup(layer->fp32.input));
    Value input = q.lookup(layer->input);
    auto type = cast<RankedTensorType>(input.getType());
    if (!type.getElementType().isF32())
      input = mlir::quant::DequantizeCastOp::create(
          b, input.getLoc(), type.clone(b.getF32Type()), input);
    observed.push_back(input);
  }
  return paired;
}

/// What a layer's weights are rounded towards: the weights T minimizing
/// ||W x - T x_q||^2 + d ||T - W||^2 over the pairs (x, x_q) of its fp32 and
/// quantized inputs, T = W (C + d) (H + d)^-1 with C = E[x x_q^T] and H =
/// E[x_q x_q^T] (`rows` x K rows of weights, per group). The damping d, 1%
/// of H's mean diagonal as GPTQ's, pulls T towards W, not towards 0, in the
/// directions the calibration inputs hardly span (T = W when x_q = x).
/// nullopt when H + d is not positive definite (the inputs are all zero):
/// the fp32 weights are then the target.
std::optional<std::vector<double>> getTarget(ArrayRef<double> w, int64_t rows,
                                             int64_t k, ArrayRef<double> h,
                                             ArrayRef<double> c) {
  double mean = 0;
  for (int64_t i = 0; i < k; ++i)
    mean += h[i * k + i] / k;
  std::vector<double> inverse(h.begin(), h.end()), cross(c.begin(), c.end());
  for (int64_t i = 0; i < k; ++i) {
    inverse[i * k + i] += 0.01 * mean;
    cross[i * k + i] += 0.01 * mean;
  }
  if (!(mean > 0) || !invert(inverse, k))
    return std::nullopt;
  std::vector<double> wc(rows * k), target(rows * k);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, k, k, 1.0,
              w.data(), k, cross.data(), k, 0.0, wc.data(), k);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, k, k, 1.0,
              wc.data(), k, inverse.data(), k, 0.0, target.data(), k);
  return target;
}

/// Rounds `layer`'s weights again from the moments of its inputs, summed
/// over `count` vectors: H (upper triangles) and C, per group. `rounded`
/// gets the new weights' real values, in the fp32 weights' layout.
llvm::Error roundLayer(SequentialLayer &layer, std::vector<double> &h,
                       std::vector<double> &c, int64_t count, unsigned threads,
                       std::vector<double> &rounded) {
  const MomentLayer &m = layer.fp32;
  int64_t k = m.size, groups = m.groups;
  SmallVector<float> weights = *getConstantF32Values(m.weight);
  ArrayRef<int64_t> shape = cast<ShapedType>(m.weight.getType()).getShape();
  int64_t rows = shape[layer.axis], groupRows = rows / groups;
  bool transposed = !m.conv; // K x N: a row is a column
  auto at = [&](int64_t r, int64_t j) {
    return transposed ? j * rows + r : r * k + j;
  };
  InputMoment moment;
  moment.groups = groups;
  moment.size = k;
  moment.count = count;
  std::vector<float> target(weights.size());
  double scale = 1.0 / std::max<int64_t>(count, 1);
  for (int64_t g = 0; g < groups; ++g) {
    double *hg = h.data() + g * k * k, *cg = c.data() + g * k * k;
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = i; j < k; ++j)
        hg[j * k + i] = hg[i * k + j] *= scale;
    for (int64_t i = 0; i < k * k; ++i)
      cg[i] *= scale;
    if (!llvm::all_of(ArrayRef<double>(hg, k * k),
                      [](double x) { return std::isfinite(x); }) ||
        !llvm::all_of(ArrayRef<double>(cg, k * k),
                      [](double x) { return std::isfinite(x); }))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "layer '" + m.name +
              "': its inputs on the calibration data are not finite; GPTQ "
              "cannot round its weights");
    std::vector<double> w(groupRows * k);
    for (int64_t r = 0; r < groupRows; ++r)
      for (int64_t j = 0; j < k; ++j)
        w[r * k + j] = weights[at(g * groupRows + r, j)];
    std::optional<std::vector<double>> t =
        getTarget(w, groupRows, k, ArrayRef<double>(hg, k * k),
                  ArrayRef<double>(cg, k * k));
    for (int64_t r = 0; r < groupRows; ++r)
      for (int64_t j = 0; j < k; ++j)
        target[at(g * groupRows + r, j)] = t ? (*t)[r * k + j] : w[r * k + j];
    moment.factors.push_back(factorMoment(ArrayRef<double>(hg, k * k), k));
  }
  std::optional<std::vector<int64_t>> ints =
      roundLayerGPTQ(target, shape, layer.axis, layer.params, moment, threads);
  if (!ints)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "layer '" + m.name +
                                       "': GPTQ cannot round weights of this "
                                       "shape");
  rounded.resize(ints->size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < k; ++j) {
      const QuantParams &p = layer.params[layer.params.size() == 1 ? 0 : r];
      rounded[at(r, j)] = p.dequantize((*ints)[at(r, j)]);
    }
  auto old = layer.weights.getInput().getDefiningOp<arith::ConstantOp>();
  auto type = cast<RankedTensorType>(old.getType());
  unsigned bits = type.getElementTypeBitWidth();
  SmallVector<APInt> values;
  values.reserve(ints->size());
  for (int64_t v : *ints)
    values.push_back(APInt(bits, v, /*isSigned=*/true));
  OpBuilder b(layer.weights);
  auto replacement = arith::ConstantOp::create(
      b, old.getLoc(), type, DenseElementsAttr::get(type, values));
  layer.weights.setOperand(replacement);
  if (old->use_empty())
    old->erase();
  return llvm::Error::success();
}

/// Per output channel of `layer`, W E[x] - W_q E[x_q]: the mean error of
/// its output against the fp32 layer's, from the sums of its fp32 and
/// quantized input vectors over `count` (per group, `layer.fp32.size`
/// each) and its fp32 and `rounded` weights.
SmallVector<double> getMeanError(const SequentialLayer &layer,
                                 ArrayRef<double> sumX, ArrayRef<double> sumXq,
                                 int64_t count, ArrayRef<double> rounded) {
  const MomentLayer &m = layer.fp32;
  SmallVector<float> weights = *getConstantF32Values(m.weight);
  int64_t k = m.size;
  int64_t rows = cast<ShapedType>(m.weight.getType()).getShape()[layer.axis];
  int64_t groupRows = rows / m.groups;
  bool transposed = !m.conv;
  SmallVector<double> error(rows, 0);
  double scale = 1.0 / std::max<int64_t>(count, 1);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t g = r / groupRows;
    for (int64_t j = 0; j < k; ++j) {
      int64_t e = transposed ? j * rows + r : r * k + j;
      error[r] +=
          (weights[e] * sumX[g * k + j] - rounded[e] * sumXq[g * k + j]) *
          scale;
    }
  }
  return error;
}

/// Adds `delta` (one value per output channel) to `layer`'s bias: a
/// convolution's bias operand (made when it has none), or the constant
/// its matrix product's bias add adds. The bias is quantized again on the
/// accumulator's grid; an f32 bias (a wide layer's) stays f32. False when
/// the layer has no bias this can change.
FailureOr<bool> addToBias(const SequentialLayer &layer,
                          ArrayRef<double> delta) {
  Operation *op = layer.op;
  Value bias;
  Operation *owner = nullptr;
  unsigned operand = 0;
  Value input;
  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    bias = conv.getBias();
    input = conv.getInput();
  } else if (op->hasOneUse()) {
    auto add = dyn_cast<AddOp>(*op->user_begin());
    if (!add || add.getLhs() != op->getResult(0))
      return false;
    bias = add.getRhs();
    owner = add;
    operand = 1;
    input = cast<MatmulOp>(op).getLhs();
  } else {
    return false;
  }
  RankedTensorType type =
      bias ? cast<RankedTensorType>(bias.getType())
           : RankedTensorType::get({static_cast<int64_t>(delta.size())},
                                   Float32Type::get(op->getContext()));
  int64_t channels = type.getRank() ? type.getShape().back() : 1;
  if (channels != static_cast<int64_t>(delta.size()))
    return false;
  bool f32 = type.getElementType().isF32();
  SmallVector<float> values(type.getNumElements(), 0);
  if (bias) {
    std::optional<SmallVector<float>> old =
        f32 ? getConstantF32Values(bias) : getBiasValues(bias);
    if (!old)
      return false;
    values = std::move(*old);
  }
  for (size_t i = 0; i < values.size(); ++i)
    values[i] += static_cast<float>(delta[i % channels]);
  OpBuilder b(owner ? owner : op);
  Location loc = bias ? bias.getLoc() : op->getLoc();
  Value replacement;
  if (bias && f32) {
    replacement = arith::ConstantOp::create(
        b, loc, type,
        cast<TypedAttr>(createF32Elements(type, values, "corrected_bias")));
  } else {
    // As Quantize does: the input's scale times the weights', as floats.
    std::optional<Grid> gx = getGrid(input.getType()),
                        gw = getGrid(op->getOperand(1).getType());
    auto fits = [&](const std::optional<Grid> &g) {
      return g && (!g->isPerAxis() ||
                   static_cast<int64_t>(g->scales.size()) == channels);
    };
    if (!fits(gx) || !fits(gw))
      return false;
    SmallVector<double> accScales;
    for (int64_t c = 0; c < channels; ++c)
      accScales.push_back(static_cast<float>(gx->scale(c) * gw->scale(c)));
    FailureOr<Value> q = createBias(b, loc, values, type.clone(b.getF32Type()),
                                    accScales, type.getRank() - 1, op);
    if (failed(q))
      return failure();
    replacement = *q;
  }
  if (owner)
    owner->setOperand(operand, replacement);
  else
    cast<Conv2DOp>(op).getBiasMutable().assign(replacement);
  if (bias)
    eraseIfDead(bias);
  return true;
}

} // namespace

llvm::Error tandem::quant::roundSequentially(
    ModuleOp fp32, ModuleOp quantized, Dataset &data,
    const CalibrationOptions &options, bool correctBias,
    llvm::function_ref<void(const llvm::Twine &)> log) {
  llvm::StringSet<> ambiguous;
  llvm::StringMap<MomentLayer> fp32Layers;
  for (MomentLayer &l : getMomentLayers(fp32, ambiguous)) {
    if (llvm::Error err = checkMomentSize(l))
      return err;
    fp32Layers[l.name] = l;
  }
  // Both models run on one input: each @main takes exactly one.
  for (ModuleOp m : {fp32, quantized}) {
    auto f = m.lookupSymbol<func::FuncOp>("main");
    if (!f || f.isExternal() || !f.getBody().hasOneBlock() ||
        f.getNumArguments() != 1)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "sequential GPTQ expects a function @main with one block and one "
          "input");
  }
  auto main = quantized.lookupSymbol<func::FuncOp>("main");
  std::vector<SequentialLayer> layers;
  llvm::DenseMap<Operation *, size_t> index;
  for (Operation &op : main.front())
    if (std::optional<SequentialLayer> layer =
            getSequentialLayer(&op, fp32Layers)) {
      index[&op] = layers.size();
      layers.push_back(std::move(*layer));
    }
  // Which layers reach each value: a layer is rounded once every layer
  // upstream of its input is.
  llvm::DenseMap<Value, llvm::BitVector> reach;
  for (Operation &op : main.front()) {
    llvm::BitVector r(layers.size());
    for (Value operand : op.getOperands())
      if (auto it = reach.find(operand); it != reach.end())
        r |= it->second;
    if (auto it = index.find(&op); it != index.end()) {
      SequentialLayer &layer = layers[it->second];
      auto in = reach.find(layer.input);
      layer.upstream =
          in != reach.end() ? in->second : llvm::BitVector(layers.size());
      r.set(it->second);
    }
    for (Value result : op.getResults())
      reach[result] = r;
  }
  CalibrationOptions observing = options;
  observing.fakeQuant = true;
  llvm::BitVector done(layers.size());
  for (int round = 1; !done.all(); ++round) {
    SmallVector<SequentialLayer *> wave;
    std::string names;
    for (size_t i = 0; i < layers.size(); ++i)
      if (!done.test(i) &&
          !llvm::BitVector(layers[i].upstream).reset(done).any()) {
        wave.push_back(&layers[i]);
        names += (names.empty() ? "" : ", ") + layers[i].fp32.name;
      }
    if (wave.empty())
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "sequential GPTQ: the layers form a cycle");
    log(llvm::formatv("sequential GPTQ, step {0}: {1}", round, names));
    SmallVector<Value> observed;
    OwningOpRef<ModuleOp> paired =
        buildPairedModule(fp32, quantized, wave, observed);
    std::vector<std::vector<double>> h(wave.size()), c(wave.size()),
        sumX(wave.size()), sumXq(wave.size());
    std::vector<int64_t> counts(wave.size(), 0);
    for (size_t i = 0; i < wave.size(); ++i) {
      const MomentLayer &m = wave[i]->fp32;
      h[i].assign(m.groups * m.size * m.size, 0.0);
      c[i].assign(m.groups * m.size * m.size, 0.0);
      sumX[i].assign(m.groups * m.size, 0.0);
      sumXq[i].assign(m.groups * m.size, 0.0);
    }
    auto visit = [&](int, ArrayRef<const exec::Tensor *> tensors) {
      for (size_t i = 0; i < wave.size(); ++i) {
        const MomentLayer &m = wave[i]->fp32;
        int64_t k = m.size;
        forEachInputRows(
            m, {tensors[1 + 2 * i], tensors[2 + 2 * i]},
            [&](int64_t g, ArrayRef<const double *> rows, int64_t n) {
              cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, k, n, 1.0,
                          rows[1], k, 1.0, h[i].data() + g * k * k, k);
              cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, k, n, 1.0,
                          rows[0], k, rows[1], k, 1.0, c[i].data() + g * k * k,
                          k);
              if (correctBias)
                for (int64_t r = 0; r < n; ++r)
                  for (int64_t j = 0; j < k; ++j) {
                    sumX[i][g * k + j] += rows[0][r * k + j];
                    sumXq[i][g * k + j] += rows[1][r * k + j];
                  }
              if (g == 0)
                counts[i] += n;
            });
      }
      return llvm::Error::success();
    };
    if (llvm::Error err =
            runObserving(*paired, observed, data, observing, 1, visit))
      return err;
    for (size_t i = 0; i < wave.size(); ++i) {
      std::vector<double> rounded;
      if (llvm::Error err = roundLayer(*wave[i], h[i], c[i], counts[i],
                                       std::max(1, options.threads), rounded))
        return err;
      if (correctBias && !readsModelInput(wave[i]->input)) {
        FailureOr<bool> corrected =
            addToBias(*wave[i], getMeanError(*wave[i], sumX[i], sumXq[i],
                                             counts[i], rounded));
        if (failed(corrected)) // createBias said why
          return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                         "layer '" + wave[i]->fp32.name +
                                             "': bias correction failed");
        if (!*corrected)
          log("layer '" + wave[i]->fp32.name +
              "': bias not corrected: it has no bias this can change (a "
              "matrix product without a bias add)");
      }
      done.set(index[wave[i]->op]);
    }
  }
  return llvm::Error::success();
}

LogicalResult tandem::quant::quantizeSequentially(
    ModuleOp module, const Policy &policy, StringRef policySource,
    Dataset &data, const CalibrationOptions &options,
    llvm::function_ref<void(const llvm::Twine &)> log) {
  OwningOpRef<ModuleOp> fp32(module.clone());
  // The biases are corrected for the sequential rounding, not for this one.
  Policy nearest = policy;
  nearest.weightRounding = WeightRounding::Nearest;
  nearest.biasCorrection = false;
  if (failed(quantizeModule(module, nearest, policySource)))
    return failure();
  if (llvm::Error err = roundSequentially(*fp32, module, data, options,
                                          policy.biasCorrection, log))
    return module.emitError(llvm::toString(std::move(err)));
  return success();
}
