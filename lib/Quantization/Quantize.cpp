//===- Quantize.cpp - Rewrite a calibrated model into quantized types -----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Which tensors are quantized, and at how many bits:
//
// - Quantized ops: convolutions with constant weights, matrix products,
//   and the ops that follow a quantized op (pooling, relu, clip, reshape,
//   transpose, add of two quantized tensors, and the bias add of a matrix
//   product with constant weights).
// - Tensors that must share one type form a group: a reshape or transpose
//   and its input; a relu, clip or max pool and its input when that input
//   has no other reader (so a convolution's requantization applies the
//   activation's clamp: its range is the one after the relu).
// - A group is stored at the largest width any reader needs: a layer needs
//   its activation bits, another quantized op the width of its own result,
//   a float op or the function's return the policy's output bits. A layer
//   that needs fewer bits reads the tensor through an `accel.cast` that
//   requantizes it.
// - A group's range is its last tensor's (in program order): the one after
//   the clamps, clipped as the widest the layers reading it at the stored
//   width ask for (else the policy's default); every reader at that width
//   reads that range.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/Quantize.h"
#include "tandem/Dialect/Accel/IR/AccelDialect.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Dialect/Accel/IR/ConstantUtils.h"
#include "tandem/Dialect/Accel/IR/EncodedWeights.h"
#include "tandem/Quantization/BiasCorrection.h"
#include "tandem/Quantization/Calibration.h"
#include "tandem/Quantization/GPTQ.h"
#include "tandem/Quantization/Grid.h"
#include "tandem/Quantization/ShiftAdd.h"
#include "tandem/Quantization/Statistics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

#include "mlir/IR/Matchers.h"

#include <cmath>
#include <limits>
#include <map>
#include <tuple>

using namespace mlir;
using namespace tandem;
using namespace tandem::quant;
using namespace tandem::accel;
namespace QuantizationFlags = mlir::quant::QuantizationFlags;
using mlir::quant::UniformQuantizedPerAxisType;
using mlir::quant::UniformQuantizedType;

std::vector<std::string> tandem::quant::getLayerNames(ModuleOp module) {
  std::vector<std::string> names;
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return names;
  main.walk([&](Operation *op) {
    if (isa<Conv2DOp, MatmulOp>(op))
      names.push_back(getDisplayName(op));
  });
  return names;
}

namespace {

bool isF32Tensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getElementType().isF32();
}

RankedTensorType withElement(Value v, Type element) {
  return cast<RankedTensorType>(v.getType()).clone(element);
}

UniformQuantizedType getTensorType(MLIRContext *ctx, const QuantParams &p,
                                   int64_t bits) {
  return UniformQuantizedType::get(
      QuantizationFlags::Signed, IntegerType::get(ctx, bits),
      Float32Type::get(ctx), p.scale, p.zeroPoint, p.qmin, p.qmax);
}

/// `bits`-bit storage with one grid, or one per channel along `axis`.
Type getGridType(MLIRContext *ctx, ArrayRef<QuantParams> params, int32_t axis,
                 int64_t bits) {
  if (params.size() == 1)
    return getTensorType(ctx, params[0], bits);
  SmallVector<double> scales;
  SmallVector<int64_t> zeros;
  for (const QuantParams &p : params) {
    scales.push_back(p.scale);
    zeros.push_back(p.zeroPoint);
  }
  return UniformQuantizedPerAxisType::get(QuantizationFlags::Signed,
                                          IntegerType::get(ctx, bits),
                                          Float32Type::get(ctx), scales, zeros,
                                          axis, params[0].qmin, params[0].qmax);
}

} // namespace

Type tandem::quant::getAccumulatorType(MLIRContext *ctx,
                                       ArrayRef<double> scales, int32_t axis) {
  auto i32 = IntegerType::get(ctx, 32);
  auto f32 = Float32Type::get(ctx);
  int64_t lo = std::numeric_limits<int32_t>::min(),
          hi = std::numeric_limits<int32_t>::max();
  if (scales.size() == 1)
    return UniformQuantizedType::get(QuantizationFlags::Signed, i32, f32,
                                     scales[0], 0, lo, hi);
  SmallVector<int64_t> zeros(scales.size(), 0);
  return UniformQuantizedPerAxisType::get(QuantizationFlags::Signed, i32, f32,
                                          scales, zeros, axis, lo, hi);
}

Value tandem::quant::createIntConstant(OpBuilder &b, Location loc,
                                       RankedTensorType type,
                                       ArrayRef<int64_t> values) {
  unsigned width = type.getElementTypeBitWidth();
  SmallVector<APInt> ints;
  ints.reserve(values.size());
  for (int64_t v : values)
    ints.push_back(APInt(width, v, /*isSigned=*/true));
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, ints));
}

namespace {

QuantizedWeight quantizeWeight(ArrayRef<float> values, ArrayRef<int64_t> shape,
                               int32_t axis, int64_t bits, const Policy &policy,
                               const InputMoment *moment, unsigned threads) {
  QuantizedWeight w;
  w.axis = axis;
  int64_t channels = policy.weightPerChannel ? shape[axis] : 1;
  int64_t inner = 1;
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  auto channelOf = [&](int64_t i) {
    return policy.weightPerChannel ? (i / inner) % shape[axis] : 0;
  };
  // Gather each channel's values, choose its grid, quantize.
  std::vector<std::vector<float>> perChannel(channels);
  for (int64_t i = 0, e = values.size(); i < e; ++i)
    perChannel[channelOf(i)].push_back(values[i]);
  for (int64_t c = 0; c < channels; ++c)
    w.params.push_back(chooseWeightParams(
        perChannel[c], bits, policy.weightSymmetric, policy.weightClipping));
  if (moment) {
    // Checked to fit by the caller.
    std::vector<int64_t> ints =
        *roundLayerGPTQ(values, shape, axis, w.params, *moment, threads);
    w.values.assign(ints.begin(), ints.end());
    return w;
  }
  w.values.resize(values.size());
  for (int64_t i = 0, e = values.size(); i < e; ++i)
    w.values[i] = w.params[channelOf(i)].quantize(values[i]);
  return w;
}

} // namespace

Type tandem::quant::getWeightType(MLIRContext *ctx, const QuantizedWeight &w,
                                  int64_t bits) {
  return getGridType(ctx, w.params, w.axis, bits);
}

FailureOr<Value> tandem::quant::createBias(OpBuilder &b, Location loc,
                                           ArrayRef<float> values,
                                           RankedTensorType type,
                                           ArrayRef<double> accScales,
                                           int32_t axis, Operation *layer) {
  MLIRContext *ctx = b.getContext();
  int64_t channels = type.getShape().back();
  auto scaleOf = [&](int64_t i) {
    return accScales[accScales.size() == 1 ? 0 : i % channels];
  };
  // On the accumulator's grid; wide layers' biases may not fit i32 there,
  // so they go on a grid 2^shift times coarser (the integer lowering shifts
  // them back).
  int64_t shift = 0;
  for (int64_t i = 0, e = values.size(); i < e; ++i)
    while (shift <= 30 && std::fabs(values[i] / std::ldexp(scaleOf(i), shift)) >
                              double(std::numeric_limits<int32_t>::max()))
      ++shift;
  if (shift > 30)
    return layer->emitError("bias does not fit the i32 accumulator: quantize "
                            "this layer to fewer bits");
  SmallVector<double> biasScales;
  for (double s : accScales)
    biasScales.push_back(std::ldexp(s, shift));
  SmallVector<int64_t> ints;
  for (int64_t i = 0, e = values.size(); i < e; ++i)
    ints.push_back(static_cast<int64_t>(
        std::nearbyint(values[i] / std::ldexp(scaleOf(i), shift))));
  Value rawBias = createIntConstant(b, loc, type.clone(b.getI32Type()), ints);
  return mlir::quant::StorageCastOp::create(
             b, loc, type.clone(getAccumulatorType(ctx, biasScales, axis)),
             rawBias)
      .getResult();
}

struct tandem::quant::WeightCache::Impl {
  /// The weight's attribute, its width and encoding, the policy's weight
  /// options, the input moment GPTQ rounded it for (null: nearest).
  using Key = std::tuple<const void *, int64_t, int, int64_t, bool, bool, int,
                         int32_t, const void *>;
  struct Entry {
    DenseElementsAttr ints;
    Type type;
    SmallVector<QuantParams> params;
    /// Shift-add encoded weights: the non-zero terms they hold.
    int64_t terms = 0;
  };
  std::map<Key, Entry> entries;
  std::shared_ptr<const LayerInputMoments> moments;
  unsigned threads() const { return moments ? moments->threads : 1; }
};

WeightCache::WeightCache() : impl(std::make_unique<Impl>()) {}
WeightCache::~WeightCache() = default;

void WeightCache::setInputMoments(
    std::shared_ptr<const LayerInputMoments> moments) {
  // Entries are keyed by the moments' addresses, which new ones may reuse.
  impl->entries.clear();
  impl->moments = std::move(moments);
}

std::optional<SmallVector<float>> tandem::quant::getBiasValues(Value bias) {
  auto type = dyn_cast<RankedTensorType>(bias.getType());
  std::optional<Grid> grid =
      type ? getGrid(type.getElementType()) : std::nullopt;
  std::optional<SmallVector<int64_t>> ints = getConstantStorageValues(bias);
  if (!grid || !ints || grid->bits != 32 || grid->hasZeroPoints() ||
      type.getRank() == 0)
    return std::nullopt;
  int64_t channels = type.getShape().back();
  SmallVector<float> reals;
  for (auto [i, q] : llvm::enumerate(*ints))
    reals.push_back(float(double(q) * grid->scale(i % channels)));
  return reals;
}

void tandem::quant::eraseIfDead(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def || !v.use_empty())
    return;
  Value input = def->getNumOperands() ? def->getOperand(0) : Value();
  def->erase();
  if (input && input.use_empty() && input.getDefiningOp())
    input.getDefiningOp()->erase();
}

bool tandem::quant::readsModelInput(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (isa<Conv2DOp, MatmulOp>(def))
      return false;
    Value computed;
    for (Value operand : def->getOperands()) {
      if (isConstantTensor(operand))
        continue;
      if (computed)
        return false; // it joins two computed tensors
      computed = operand;
    }
    if (!computed)
      return false; // a constant
    v = computed;
  }
  return true;
}

namespace {

/// The real values of quantized weights (channels along `axis`, or one
/// channel).
SmallVector<double> dequantize(const WeightCache::Impl::Entry &qw,
                               ArrayRef<int64_t> shape, int32_t axis) {
  int64_t channels = qw.params.size(), inner = 1;
  if (channels > 1)
    for (size_t d = axis + 1; d < shape.size(); ++d)
      inner *= shape[d];
  SmallVector<double> reals;
  reals.reserve(qw.ints.getNumElements());
  int64_t i = 0;
  for (const APInt &v : qw.ints.getValues<APInt>())
    reals.push_back(
        qw.params[channels > 1 ? (i++ / inner) % channels : 0].dequantize(
            v.getSExtValue()));
  return reals;
}

class Quantizer {
public:
  Quantizer(func::FuncOp main, const Policy &policy, StringRef source,
            WeightCache *cache)
      : main(main), policy(policy), source(source), ctx(main.getContext()),
        cache(cache) {}

  LogicalResult run();

private:
  // Union-find over the tensors of the quantized region.
  Value find(Value v) {
    auto it = parent.find(v);
    if (it == parent.end()) {
      parent[v] = v;
      return v;
    }
    if (it->second == v)
      return v;
    Value root = find(it->second);
    parent[v] = root;
    return root;
  }
  void join(Value a, Value b) {
    Value ra = find(a), rb = find(b);
    if (ra != rb)
      parent[ra] = rb;
  }

  int64_t position(Value v) {
    if (Operation *op = v.getDefiningOp())
      return order.lookup(op);
    return -1 - static_cast<int64_t>(cast<BlockArgument>(v).getArgNumber());
  }
  std::optional<TensorStatistics> getStatistics(Value v) {
    if (Operation *op = v.getDefiningOp())
      return parseStatisticsAttr(op->getAttr(kCalibrationAttr));
    auto arg = cast<BlockArgument>(v);
    return parseStatisticsAttr(
        main.getArgAttr(arg.getArgNumber(), kCalibrationAttr));
  }

  LogicalResult checkPolicyLayers();
  void chooseQuantizedOps();
  /// Values a quantized op reads as activations (not weights, not the
  /// accumulator of a bias add).
  SmallVector<Value> getActivationOperands(Operation *op);
  bool isLayer(Operation *op) { return isa<Conv2DOp, MatmulOp>(op); }
  /// Whether `op` shares one type between its input and its result.
  bool joinsInput(Operation *op);
  void computeBits();
  /// With policy.depthwiseInputsPerChannel: the groups stored per channel.
  LogicalResult choosePerChannelGroups();
  LogicalResult chooseTypes();
  LogicalResult rewrite();
  /// The statistics of a group (of its last tensor, which holds the range
  /// after every clamp); null with an error when calibration left none.
  const TensorStatistics *getGroupStatistics(Value root);
  /// The grid of a group at `bits`: one, or one per channel for a group in
  /// `perChannel`.
  FailureOr<SmallVector<QuantParams, 1>> getParams(Value root, int64_t bits,
                                                   ActivationClipping clipping);
  /// The type of a group at `bits` with `params`.
  Type getActivationType(ArrayRef<QuantParams> params, int64_t bits) {
    return getGridType(ctx, params, 1, bits);
  }
  /// `weight` quantized at `bits` (from the cache when there is one).
  const WeightCache::Impl::Entry &
  getQuantizedWeight(Value weight, RankedTensorType type, int32_t axis,
                     const LayerBits &bits, const InputMoment *moment);
  /// The input moment GPTQ rounds `layer`'s weights with: null for nearest
  /// rounding, failure (with an error) when the policy asks for GPTQ and
  /// the cache has no moment that fits the layer.
  FailureOr<const InputMoment *> getMoment(Operation *layer,
                                           const LayerBits &bits);

  func::FuncOp main;
  const Policy &policy;
  StringRef source;
  MLIRContext *ctx;
  WeightCache *cache;
  /// Without a cache: the weight being rewritten.
  WeightCache::Impl::Entry uncached;
  DenseMap<Operation *, int64_t> order;
  llvm::SetVector<Operation *> quantized;
  /// Matrix products whose result is an i32 accumulator the bias add reads.
  DenseMap<Operation *, Operation *> biasAddOf;
  DenseMap<Value, Value> parent;
  DenseMap<Value, int64_t> bits;
  DenseMap<Value, SmallVector<QuantParams, 1>> params;
  /// Groups read only by depthwise layers, stored with a grid per channel.
  DenseSet<Value> perChannel;
  DenseMap<Value, TensorStatistics> groupStatistics;
  /// Per group: how its readers at its stored width clip it.
  DenseMap<Value, SmallVector<ActivationClipping, 2>> readerClippings;
};

LogicalResult Quantizer::checkPolicyLayers() {
  llvm::StringSet<> known;
  std::vector<std::string> names;
  main.walk([&](Operation *op) {
    if (isLayer(op)) {
      names.push_back(getDisplayName(op));
      known.insert(names.back());
    }
  });
  std::vector<std::string> named;
  for (const auto &[name, layerBits] : policy.layers)
    named.push_back(name);
  for (const auto &[name, clipping] : policy.layerActivationClipping)
    named.push_back(name);
  for (const std::string &name : named) {
    if (known.contains(name))
      continue;
    std::string list;
    for (size_t i = 0; i < names.size() && i < 8; ++i)
      list += (i ? ", " : "") + names[i];
    if (names.size() > 8)
      list += ", ... (" + std::to_string(names.size()) + " layers)";
    // At @main's location, not on it: the error is the policy's, and a
    // diagnostic on an op would print the whole function after it.
    return mlir::emitError(main.getLoc())
           << source << ": field 'layers." << name
           << "': the model has no convolution or matrix "
              "product named '"
           << name << "'" << (names.empty() ? "" : " (layers: " + list + ")")
           << "; layers are named by their ONNX node names, kept in the "
              "ops' locations (save IR with --mlir-print-debuginfo to keep "
              "them)";
  }
  return success();
}

bool Quantizer::joinsInput(Operation *op) {
  if (isa<ReshapeOp, TransposeOp>(op))
    return true;
  bool clamp = isa<ReluOp, ClipOp>(op);
  if (auto pool = dyn_cast<Pool2DOp>(op))
    clamp = pool.getKind() == PoolKind::Max;
  return clamp && op->getOperand(0).hasOneUse();
}

void Quantizer::chooseQuantizedOps() {
  auto isQuantized = [&](Value v) {
    Operation *def = v.getDefiningOp();
    return def && quantized.contains(def);
  };
  for (Operation &op : main.front()) {
    if (!llvm::all_of(op.getResults(), isF32Tensor) || op.getNumResults() != 1)
      continue;
    if (auto conv = dyn_cast<Conv2DOp>(op)) {
      if (isF32Tensor(conv.getInput()) &&
          getConstantF32Values(conv.getWeight()) &&
          (!conv.getBias() || getConstantF32Values(conv.getBias())))
        quantized.insert(&op);
    } else if (auto mm = dyn_cast<MatmulOp>(op)) {
      if (isF32Tensor(mm.getLhs()) && isF32Tensor(mm.getRhs()))
        quantized.insert(&op);
    } else if (isa<Pool2DOp, ReluOp, ClipOp, ReshapeOp, TransposeOp>(op)) {
      if (isQuantized(op.getOperand(0)))
        quantized.insert(&op);
    } else if (auto add = dyn_cast<AddOp>(op)) {
      Value lhs = add.getLhs(), rhs = add.getRhs();
      // The bias of a matrix product with constant weights.
      auto mm = lhs.getDefiningOp<MatmulOp>();
      auto biasType = cast<RankedTensorType>(rhs.getType());
      ArrayRef<int64_t> resultShape = add.getType().getShape();
      bool biasShape = !biasType.getShape().empty() &&
                       biasType.getShape().back() == resultShape.back() &&
                       llvm::all_of(biasType.getShape().drop_back(),
                                    [](int64_t d) { return d == 1; });
      // Its i32 accumulator holds 8-bit products; wider layers add their
      // bias in f32 (quantized types have at most 32 storage bits).
      LayerBits mmBits =
          mm ? policy.getBits(getDisplayName(mm)) : policy.defaults;
      bool narrow = getValueBits(mmBits.getWeightEncoding()) <= 8 &&
                    mmBits.activationBits <= 8;
      if (mm && quantized.contains(mm) && lhs.hasOneUse() && narrow &&
          getConstantF32Values(mm.getRhs()) && getConstantF32Values(rhs) &&
          biasShape && isF32Tensor(rhs)) {
        quantized.insert(&op);
        biasAddOf[mm] = &op;
      } else if (isQuantized(lhs) && isQuantized(rhs)) {
        quantized.insert(&op);
      }
    }
  }
}

SmallVector<Value> Quantizer::getActivationOperands(Operation *op) {
  if (auto conv = dyn_cast<Conv2DOp>(op))
    return {conv.getInput()};
  if (auto mm = dyn_cast<MatmulOp>(op)) {
    if (getConstantF32Values(mm.getRhs()))
      return {mm.getLhs()};
    return {mm.getLhs(), mm.getRhs()};
  }
  if (auto add = dyn_cast<AddOp>(op)) {
    if (auto mm = add.getLhs().getDefiningOp<MatmulOp>();
        mm && biasAddOf.lookup(mm) == op)
      return {};
    return {add.getLhs(), add.getRhs()};
  }
  return {op->getOperand(0)};
}

void Quantizer::computeBits() {
  // Every activation and every result of a quantized op is in a group.
  for (Operation *op : quantized) {
    for (Value v : getActivationOperands(op))
      find(v);
    if (!biasAddOf.count(op))
      find(op->getResult(0));
    if (joinsInput(op))
      join(op->getOperand(0), op->getResult(0));
  }
  // Which layers read each group at which width and clipping (other
  // readers take the layers' range: the residual add beside a layer reads
  // what the layer reads).
  SmallVector<std::tuple<Value, int64_t, ActivationClipping>> reads;
  auto need = [&](Value v, int64_t b, std::optional<ActivationClipping> c) {
    Value root = find(v);
    int64_t &slot = bits[root];
    slot = std::max(slot, b);
    if (c)
      reads.push_back({root, b, *c});
  };
  // A layer reads at its activation bits and clipping (its result may be a
  // bias add's accumulator, in no group).
  for (Operation *op : quantized) {
    if (!isLayer(op))
      continue;
    std::string name = getDisplayName(op);
    for (Value v : getActivationOperands(op))
      need(v, policy.getBits(name).activationBits,
           policy.getActivationClipping(name));
  }
  // Other ops (a residual add) read at their result's width, but no
  // narrower than layers read their operands, and store their result so: a
  // block's output read at 2 bits downstream must not requantize the
  // block's last convolution to 2 bits, which no one layer's sensitivity
  // measurement sees (docs/mixed-precision.md).
  DenseMap<Value, int64_t> layerReads = bits;
  for (Operation &op : llvm::reverse(main.front())) {
    if (quantized.contains(&op)) {
      if (joinsInput(&op) || isLayer(&op))
        continue;
      int64_t b = bits.lookup(find(op.getResult(0)));
      for (Value v : getActivationOperands(&op))
        b = std::max(b, layerReads.lookup(find(v)));
      need(op.getResult(0), b, std::nullopt);
      for (Value v : getActivationOperands(&op))
        need(v, b, std::nullopt);
      continue;
    }
    for (Value v : op.getOperands())
      if (parent.count(v))
        need(v, policy.outputBits, std::nullopt);
  }
  for (auto &[v, p] : parent)
    if (find(v) == v && bits.lookup(v) == 0)
      bits[v] = policy.outputBits;
  for (auto [root, b, c] : reads)
    if (bits.lookup(root) == b && !llvm::is_contained(readerClippings[root], c))
      readerClippings[root].push_back(c);
}

const TensorStatistics *Quantizer::getGroupStatistics(Value root) {
  if (auto it = groupStatistics.find(root); it != groupStatistics.end())
    return &it->second;
  // The group's last tensor holds the range after every clamp.
  Value last = root;
  for (auto &[v, p] : parent)
    if (find(v) == root && position(v) > position(last))
      last = v;
  std::optional<TensorStatistics> stats = getStatistics(last);
  if (!stats) {
    // A reshape or transpose result has its input's values.
    for (auto &[v, p] : parent)
      if (find(v) == root && (stats = getStatistics(v)))
        break;
  }
  if (!stats) {
    InFlightDiagnostic diag =
        last.getDefiningOp() ? last.getDefiningOp()->emitError()
                             : main.emitError()
                                   << "argument "
                                   << cast<BlockArgument>(last).getArgNumber()
                                   << " ";
    diag << "has no calibration statistics (" << kCalibrationAttr
         << "): run --accel-calibrate before --accel-quantize";
    return nullptr;
  }
  return &(groupStatistics[root] = std::move(*stats));
}

FailureOr<SmallVector<QuantParams, 1>>
Quantizer::getParams(Value root, int64_t b, ActivationClipping clipping) {
  const TensorStatistics *stats = getGroupStatistics(root);
  if (!stats)
    return failure();
  auto choose = [&](const TensorStatistics &s) {
    auto [lo, hi] = clipRange(s, clipping.method, b, policy.activationSymmetric,
                              clipping.percentile);
    return chooseParams(lo, hi, b, policy.activationSymmetric);
  };
  SmallVector<QuantParams, 1> result;
  if (!perChannel.contains(root)) {
    result.push_back(choose(*stats));
    return result;
  }
  for (const TensorStatistics &channel : stats->channels)
    result.push_back(choose(channel));
  return result;
}

LogicalResult Quantizer::choosePerChannelGroups() {
  // In program order, so that the first error is always the same one.
  llvm::MapVector<Value, SmallVector<Value>> members;
  SmallVector<Value> all;
  for (auto &[v, p] : parent)
    all.push_back(v);
  llvm::sort(all, [&](Value x, Value y) { return position(x) < position(y); });
  for (Value v : all)
    members[find(v)].push_back(v);
  for (auto &[root, values] : members) {
    Operation *depthwise = nullptr;
    bool ok = true;
    for (Value v : values) {
      Operation *def = v.getDefiningOp();
      ok = def && quantized.contains(def) && !biasAddOf.count(def) &&
           isa<Conv2DOp, ReluOp, ClipOp>(def);
      for (OpOperand &use : v.getUses()) {
        if (!ok)
          break;
        Operation *user = use.getOwner();
        auto conv = dyn_cast<Conv2DOp>(user);
        if (conv && quantized.contains(user) && use.getOperandNumber() == 0 &&
            readsChannelsAlone(
                cast<RankedTensorType>(v.getType()).getShape(),
                cast<RankedTensorType>(conv.getWeight().getType()).getShape(),
                conv.getGroups())) {
          depthwise = user;
          continue;
        }
        // A ReLU or Clip inside the group keeps each channel apart.
        ok = isa<ReluOp, ClipOp>(user) && quantized.contains(user) &&
             find(user->getResult(0)) == root;
      }
      if (!ok)
        break;
    }
    if (!ok || !depthwise)
      continue;
    const TensorStatistics *stats = getGroupStatistics(root);
    if (!stats)
      return failure();
    int64_t channels = cast<RankedTensorType>(root.getType()).getDimSize(1);
    if (static_cast<int64_t>(stats->channels.size()) != channels ||
        stats->channelAxis != 1)
      return depthwise->emitError()
             << source
             << ": field 'activations.depthwise_inputs' is \"per-channel\", "
                "and the calibration statistics of this depthwise layer's "
                "input have no per-channel ranges (of "
             << channels
             << " channels): calibrate again with --accel-calibrate";
    perChannel.insert(root);
  }
  return success();
}

LogicalResult Quantizer::chooseTypes() {
  SmallVector<Value> roots;
  for (auto &[v, p] : parent)
    if (find(v) == v)
      roots.push_back(v);
  // A group is stored once, with the widest range the layers reading it at
  // the stored width ask for, and all its readers read it so: a cast to a
  // tighter range at the same width would only clip values already rounded to
  // the wider grid.
  for (Value root : roots) {
    SmallVector<ActivationClipping, 2> clippings = readerClippings.lookup(root);
    if (clippings.empty())
      clippings.push_back({policy.activationClipping, policy.percentile});
    // Per channel, each channel's widest.
    SmallVector<QuantParams, 1> widest;
    for (const ActivationClipping &c : clippings) {
      FailureOr<SmallVector<QuantParams, 1>> p =
          getParams(root, bits.lookup(root), c);
      if (failed(p))
        return failure();
      if (widest.empty())
        widest = *p;
      for (size_t i = 0; i < p->size(); ++i)
        if ((*p)[i].scale > widest[i].scale)
          widest[i] = (*p)[i];
    }
    params[root] = std::move(widest);
  }
  return success();
}

LogicalResult Quantizer::rewrite() {
  OpBuilder b(ctx);
  // Bias correction reads each layer's input statistics, which the casts
  // inserted below hide. Layers reading the model's input are left alone:
  // a constant per channel is a poor model of the mean error on raw data
  // whose zeros (an image's background) carry the information, and
  // correcting them costs accuracy (docs/quantization.md).
  DenseMap<Operation *, TensorStatistics> layerInputs;
  Operation *withoutMeans = nullptr;
  if (policy.biasCorrection)
    for (Operation *op : quantized)
      if (isLayer(op) && !readsModelInput(op->getOperand(0))) {
        std::optional<TensorStatistics> s = getStatistics(op->getOperand(0));
        if (s && !s->channelMeans.empty())
          layerInputs[op] = std::move(*s);
        else if (!withoutMeans)
          withoutMeans = op;
      }
  // Statistics from before channel means were recorded: say so rather than
  // quietly correct nothing.
  if (withoutMeans && layerInputs.empty())
    return withoutMeans->emitError()
           << source
           << ": bias correction needs the channel means of each layer's "
              "input, and the calibration statistics have none: calibrate "
              "again with --accel-calibrate";
  auto typeOf = [&](Value v) -> Type {
    Value root = find(v);
    return getActivationType(params.lookup(root), bits.lookup(root));
  };
  // Tensors entering the quantized region: qcast after their producer.
  SmallVector<Value> values;
  for (auto &[v, p] : parent)
    values.push_back(v);
  llvm::sort(values,
             [&](Value x, Value y) { return position(x) < position(y); });
  for (Value v : values) {
    Operation *def = v.getDefiningOp();
    if (def && quantized.contains(def))
      continue;
    if (def)
      b.setInsertionPointAfter(def);
    else
      b.setInsertionPointToStart(&main.front());
    auto cast_ = mlir::quant::QuantizeCastOp::create(
        b, v.getLoc(), withElement(v, typeOf(v)), v);
    v.replaceUsesWithIf(cast_.getResult(), [&](OpOperand &use) {
      return quantized.contains(use.getOwner());
    });
  }
  // Results of quantized ops take their group's type; float readers get a
  // dcast.
  for (Operation *op : quantized) {
    Value result = op->getResult(0);
    if (Operation *add = biasAddOf.lookup(op)) {
      (void)add;
      continue; // typed with its weights below
    }
    Type floatType = result.getType();
    result.setType(withElement(result, typeOf(result)));
    bool floatUse = llvm::any_of(result.getUses(), [&](OpOperand &use) {
      return !quantized.contains(use.getOwner());
    });
    if (!floatUse)
      continue;
    b.setInsertionPointAfter(op);
    auto dcast = mlir::quant::DequantizeCastOp::create(b, result.getLoc(),
                                                       floatType, result);
    result.replaceUsesWithIf(dcast.getResult(), [&](OpOperand &use) {
      return use.getOwner() != dcast && !quantized.contains(use.getOwner());
    });
  }
  // Layers: requantize inputs stored wider than the layer reads them;
  // quantize weights and biases.
  for (Operation *op : quantized) {
    if (!isLayer(op))
      continue;
    std::string name = getDisplayName(op);
    LayerBits layerBits = policy.getBits(name);
    ActivationClipping clipping = policy.getActivationClipping(name);
    b.setInsertionPoint(op);
    Location loc = op->getLoc();
    for (Value v : getActivationOperands(op)) {
      // A tensor entering the quantized region is read through its qcast.
      Value tensor = v;
      if (auto entry = v.getDefiningOp<mlir::quant::QuantizeCastOp>())
        tensor = entry.getInput();
      Value root = find(tensor);
      // Readers at the stored width share its range.
      if (bits.lookup(root) <= layerBits.activationBits)
        continue;
      FailureOr<SmallVector<QuantParams, 1>> p =
          getParams(root, layerBits.activationBits, clipping);
      if (failed(p))
        return failure();
      auto narrow = CastOp::create(
          b, loc,
          withElement(v, getActivationType(*p, layerBits.activationBits)), v);
      op->replaceUsesOfWith(v, narrow.getResult());
    }
    // One input scale, or one per channel (a depthwise layer's input).
    SmallVector<double, 1> inputScales;
    Value weight;
    int32_t axis = 0;
    if (auto conv = dyn_cast<Conv2DOp>(op)) {
      std::optional<Grid> g = getGrid(conv.getInput().getType());
      inputScales.assign(g->scales.begin(), g->scales.end());
      weight = conv.getWeight();
    } else {
      auto mm = cast<MatmulOp>(op);
      auto lhsType = cast<UniformQuantizedType>(
          cast<RankedTensorType>(mm.getLhs().getType()).getElementType());
      inputScales = {lhsType.getScale()};
      if (getConstantF32Values(mm.getRhs())) {
        weight = mm.getRhs();
        axis = cast<RankedTensorType>(weight.getType()).getRank() - 1;
      }
    }
    if (!weight) {
      // A layer the policy names with an encoding must have weights to
      // encode (a default encoding skips products of two activations).
      std::string name = getDisplayName(op);
      auto named = policy.layers.find(name);
      if (named != policy.layers.end() &&
          named->second.encoding != EncodingKind::Multiply)
        return op->emitError()
               << source << ": field 'layers." << name << ".encoding': layer '"
               << name
               << "' multiplies two activations; it has no constant weights "
                  "to encode";
      continue;
    }
    auto wType = cast<RankedTensorType>(weight.getType());
    FailureOr<const InputMoment *> moment = getMoment(op, layerBits);
    if (failed(moment))
      return failure();
    const WeightCache::Impl::Entry &qw =
        getQuantizedWeight(weight, wType, axis, layerBits, *moment);
    std::optional<SmallVector<double>> correction;
    if (auto it = layerInputs.find(op); it != layerInputs.end())
      correction =
          getBiasCorrection(op, *getConstantF32Values(weight),
                            dequantize(qw, wType.getShape(), axis), it->second);
    Value raw = arith::ConstantOp::create(b, loc, qw.ints);
    Value w =
        mlir::quant::StorageCastOp::create(b, loc, wType.clone(qw.type), raw);
    op->setOperand(1, w);
    if (layerBits.encoding != EncodingKind::Multiply)
      setWeightEncoding(op, layerBits.getWeightEncoding(), qw.terms);
    // The accumulator's scale per output channel.
    SmallVector<double> accScales;
    // Rounded to float like every scale, so that the types survive the f32
    // scales of a QDQ ONNX export.
    size_t channels = std::max(inputScales.size(), qw.params.size());
    for (size_t c = 0; c < channels; ++c)
      accScales.push_back(
          static_cast<float>(inputScales[inputScales.size() == 1 ? 0 : c] *
                             qw.params[qw.params.size() == 1 ? 0 : c].scale));
    // A bias of `type` with real `values`, plus the correction if any.
    auto quantizeBias = [&](Location biasLoc, SmallVector<float> values,
                            RankedTensorType type, int32_t biasAxis) -> Value {
      if (correction && correction->size() == values.size())
        for (size_t i = 0; i < values.size(); ++i)
          values[i] += static_cast<float>((*correction)[i]);
      FailureOr<Value> q =
          createBias(b, biasLoc, values, type, accScales, biasAxis, op);
      return succeeded(q) ? *q : Value();
    };
    auto quantizeBiasOperand = [&](Value bias, int32_t biasAxis) -> Value {
      return quantizeBias(bias.getLoc(), *getConstantF32Values(bias),
                          cast<RankedTensorType>(bias.getType()), biasAxis);
    };
    if (auto conv = dyn_cast<Conv2DOp>(op)) {
      Value bias;
      if (conv.getBias())
        bias = quantizeBiasOperand(conv.getBias(), 0);
      else if (correction) // the correction is a bias of its own
        bias = quantizeBias(
            loc, SmallVector<float>(correction->size(), 0),
            RankedTensorType::get({static_cast<int64_t>(correction->size())},
                                  b.getF32Type()),
            0);
      else
        continue;
      if (!bias)
        return failure();
      conv.getBiasMutable().assign(bias);
    } else if (Operation *add = biasAddOf.lookup(op)) {
      Value result = op->getResult(0);
      int32_t resultAxis =
          cast<RankedTensorType>(result.getType()).getRank() - 1;
      result.setType(
          withElement(result, getAccumulatorType(ctx, accScales, resultAxis)));
      b.setInsertionPoint(add);
      Value bias = add->getOperand(1);
      Value quantizedBias = quantizeBiasOperand(
          bias, cast<RankedTensorType>(bias.getType()).getRank() - 1);
      if (!quantizedBias)
        return failure();
      add->setOperand(1, quantizedBias);
    }
  }
  return success();
}

LogicalResult Quantizer::run() {
  if (failed(checkPolicyLayers()))
    return failure();
  int64_t i = 0;
  for (Operation &op : main.front())
    order[&op] = i++;
  chooseQuantizedOps();
  if (quantized.empty())
    return main.emitError("nothing to quantize: @main has no f32 "
                          "convolution or matrix product");
  computeBits();
  if (policy.depthwiseInputsPerChannel && failed(choosePerChannelGroups()))
    return failure();
  if (failed(chooseTypes()) || failed(rewrite()))
    return failure();
  // The f32 weights the integer constants replace.
  SmallVector<Operation *> dead;
  for (Operation &op : main.front())
    if (isa<arith::ConstantOp>(op) && op.use_empty())
      dead.push_back(&op);
  for (Operation *op : dead)
    op->erase();
  return success();
}

FailureOr<const InputMoment *> Quantizer::getMoment(Operation *layer,
                                                    const LayerBits &bits) {
  if (policy.weightRounding != WeightRounding::GPTQ ||
      bits.encoding != EncodingKind::Multiply)
    return nullptr;
  // Batched constant right operands (one weight matrix per batch) are
  // rounded to nearest (docs/quantization.md).
  int64_t size = 0, groups = 1;
  auto weightType = cast<RankedTensorType>(layer->getOperand(1).getType());
  if (auto conv = dyn_cast<Conv2DOp>(layer)) {
    size = weightType.getNumElements() / weightType.getDimSize(0);
    groups = conv.getGroups();
  } else if (weightType.getRank() == 2) {
    size = weightType.getDimSize(0);
  } else {
    return nullptr;
  }
  std::string name = getDisplayName(layer);
  const LayerInputMoments *moments =
      cache ? cache->impl->moments.get() : nullptr;
  if (!moments)
    return layer->emitError()
           << source << ": field 'weights.rounding': \"gptq\" rounds layer '"
           << name
           << "' by its inputs' moments on calibration data, and none were "
              "measured here; quantize with data (tandem-quantize, "
              "--accel-quantize=\"data=...\", tandem.quant.quantize(..., "
              "data=...))";
  if (moments->ambiguous.contains(name))
    return layer->emitError()
           << source << ": field 'weights.rounding': \"gptq\" cannot round "
           << "layer '" << name
           << "': another layer has the same name, so their inputs' moments "
              "cannot be told apart";
  auto it = moments->layers.find(name);
  if (it == moments->layers.end() || it->second.size != size ||
      it->second.groups != groups)
    return layer->emitError()
           << source << ": field 'weights.rounding': no input moment of "
           << size << " x " << size << " (" << groups
           << " groups) was measured for layer '" << name
           << "' (its input is not f32, or the moments come from another "
              "model)";
  return &it->second;
}

const WeightCache::Impl::Entry &
Quantizer::getQuantizedWeight(Value weight, RankedTensorType type, int32_t axis,
                              const LayerBits &layerBits,
                              const InputMoment *moment) {
  WeightEncoding encoding = layerBits.getWeightEncoding();
  // Encoded integers may be wider than their code (PoT-5 up to 2^15).
  int64_t bits =
      encoding.isShiftAdd() ? getValueBits(encoding) : layerBits.weightBits;
  auto compute = [&](WeightCache::Impl::Entry &e) {
    QuantizedWeight qw =
        encoding.isShiftAdd()
            ? encodeWeights(*getConstantF32Values(weight), type.getShape(),
                            axis, encoding, policy.weightPerChannel,
                            policy.weightClipping)
            : quantizeWeight(*getConstantF32Values(weight), type.getShape(),
                             axis, bits, policy, moment,
                             cache ? cache->impl->threads() : 1);
    if (encoding.isShiftAdd())
      e.terms = countWeightTerms(qw.values, encoding).terms;
    SmallVector<APInt> ints;
    ints.reserve(qw.values.size());
    for (int64_t v : qw.values)
      ints.push_back(APInt(bits, v, /*isSigned=*/true));
    e.ints =
        DenseElementsAttr::get(type.clone(IntegerType::get(ctx, bits)), ints);
    e.type = getWeightType(ctx, qw, bits);
    e.params = std::move(qw.params);
  };
  Attribute attr;
  if (!cache || !matchPattern(weight, m_Constant(&attr))) {
    compute(uncached);
    return uncached;
  }
  WeightCache::Impl::Key key{attr.getAsOpaquePointer(),
                             layerBits.weightBits,
                             int(encoding.kind),
                             encoding.maxDigits,
                             policy.weightPerChannel,
                             policy.weightSymmetric,
                             int(policy.weightClipping),
                             axis,
                             moment};
  auto [it, inserted] = cache->impl->entries.try_emplace(key);
  if (inserted)
    compute(it->second);
  return it->second;
}

} // namespace

LogicalResult tandem::quant::quantizeModule(ModuleOp module,
                                            const Policy &policy,
                                            StringRef policySource,
                                            WeightCache *cache) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.isExternal())
    return module.emitError("expects a function @main with a body");
  if (!main.getBody().hasOneBlock())
    return main.emitError("expects @main to have a single block");
  // It reruns the model after each layer: quantizeSequentially does.
  if (policy.weightRounding == WeightRounding::GPTQSequential)
    return mlir::emitError(main.getLoc())
           << policySource
           << ": field 'weights.rounding': \"gptq-sequential\" is applied "
              "where a model is quantized once with calibration data "
              "(--accel-quantize with data=, tandem.quant.quantize with "
              "data=), not in a search or when scoring policies; use "
              "\"gptq\" there";
  return Quantizer(main, policy, policySource, cache).run();
}
