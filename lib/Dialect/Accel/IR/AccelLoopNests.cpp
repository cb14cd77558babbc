//===- AccelLoopNests.cpp - LoopNestOpInterface for every compute op ------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Each compute operator describes itself as a loop nest. Everything that
// knows the semantics of an operator's indices lives here; the cost model and
// the mapper only read the resulting LoopNest.
//
//===----------------------------------------------------------------------===//

#include "tandem/Dialect/Accel/IR/AccelOps.h"

#include "tandem/Dialect/Accel/IR/ConstantUtils.h"
#include "tandem/Dialect/Accel/IR/EncodedWeights.h"
#include "tandem/Dialect/Accel/IR/ShapeUtils.h"

#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace tandem::accel;

#include "tandem/Dialect/Accel/IR/AccelInterfaces.cpp.inc"

namespace {

/// How an operand takes part in the arithmetic; with its constness this
/// decides its OperandRole.
enum class Use {
  /// Multiplied and summed in a contraction (a conv's input and filter).
  Multiplicand,
  /// Everything else: elementwise operands, biases, statistics.
  Other,
};

/// Collects loops and tensor projections; maps are built at the end, once
/// the number of loops is known.
class LoopNestBuilder {
public:
  LoopNestBuilder(MLIRContext *ctx, ComputeKind kind) : ctx(ctx) {
    nest.kind = kind;
  }

  AffineExpr addDim(StringRef name, int64_t extent, bool isReduction = false) {
    nest.dims.push_back({name.str(), extent, isReduction});
    return getAffineDimExpr(nest.dims.size() - 1, ctx);
  }

  /// Adds an operand: a constant is a Weight (multiplicands) or a
  /// Parameter; activations are the Input, then SecondInputs.
  void addOperand(StringRef name, Value value, ArrayRef<AffineExpr> exprs,
                  Use use = Use::Other) {
    OperandRole role;
    if (isConstantTensor(value))
      role = use == Use::Multiplicand ? OperandRole::Weight
                                      : OperandRole::Parameter;
    else
      role = haveInput ? OperandRole::SecondInput : OperandRole::Input;
    haveInput |= role == OperandRole::Input;
    add(name, value, exprs, role);
  }

  void addResult(Value value, ArrayRef<AffineExpr> exprs) {
    add("output", value, exprs, OperandRole::Output);
  }

  AffineExpr constant(int64_t c) { return getAffineConstantExpr(c, ctx); }

  LoopNest finish(OpCounts perIteration, OpCounts perOutput = {},
                  OpCounts perOp = {}) {
    for (auto [t, exprs] : llvm::zip(nest.tensors, exprsPerTensor)) {
      t.map = AffineMap::get(nest.dims.size(), 0, exprs, ctx);
      t.projection = TensorProjection::get(t.map, t.shape);
    }
    nest.perIteration = perIteration;
    nest.perOutput = perOutput;
    nest.perOp = perOp;
    return std::move(nest);
  }

private:
  void add(StringRef name, Value value, ArrayRef<AffineExpr> exprs,
           OperandRole role) {
    auto type = cast<RankedTensorType>(value.getType());
    TensorAccess t;
    t.name = name.str();
    t.role = role;
    t.shape.assign(type.getShape().begin(), type.getShape().end());
    t.elementType = type.getElementType();
    nest.tensors.push_back(std::move(t));
    exprsPerTensor.emplace_back(exprs.begin(), exprs.end());
  }

  MLIRContext *ctx;
  LoopNest nest;
  bool haveInput = false;
  SmallVector<SmallVector<AffineExpr, 4>> exprsPerTensor;
};

/// The value of `v` if it is a constant splat of floats.
std::optional<double> getSplatValue(Value v) {
  Attribute attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat() || !isa<FloatType>(dense.getElementType()))
    return std::nullopt;
  return dense.getSplatValue<APFloat>().convertToDouble();
}

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// Projection of an operand broadcast (numpy rules) onto the loops `loops`
/// that iterate over the broadcast shape `full`.
SmallVector<AffineExpr, 4> broadcastExprs(LoopNestBuilder &b,
                                          ArrayRef<int64_t> operand,
                                          ArrayRef<int64_t> full,
                                          ArrayRef<AffineExpr> loops) {
  SmallVector<AffineExpr, 4> exprs;
  size_t offset = full.size() - operand.size();
  for (auto [i, size] : llvm::enumerate(operand))
    exprs.push_back(size == 1 && full[offset + i] != 1 ? b.constant(0)
                                                       : loops[offset + i]);
  return exprs;
}

/// Loops D0 D1 ... over `shape`, with the listed ones marked as reductions.
SmallVector<AffineExpr, 4> addShapeLoops(LoopNestBuilder &b,
                                         ArrayRef<int64_t> shape,
                                         ArrayRef<int64_t> reductions = {}) {
  SmallVector<AffineExpr, 4> loops;
  for (auto [i, size] : llvm::enumerate(shape))
    loops.push_back(b.addDim("D" + std::to_string(i), size,
                             llvm::is_contained(reductions, (int64_t)i)));
  return loops;
}

/// Elementwise operators: every operand broadcast onto the result's loops.
LoopNest elementwiseNest(Operation *op, ArrayRef<StringRef> operandNames,
                         OpCounts perIteration) {
  LoopNestBuilder b(op->getContext(), ComputeKind::Elementwise);
  ArrayRef<int64_t> full = shapeOf(op->getResult(0));
  auto loops = addShapeLoops(b, full);
  for (auto [name, v] : llvm::zip(operandNames, op->getOperands()))
    b.addOperand(name, v, broadcastExprs(b, shapeOf(v), full, loops));
  b.addResult(op->getResult(0), loops);
  return b.finish(perIteration);
}

LoopNest binaryNest(Operation *op, OpCounts perIteration) {
  return elementwiseNest(op, {"lhs", "rhs"}, perIteration);
}

LoopNest unaryNest(Operation *op, OpCounts perIteration) {
  return elementwiseNest(op, {"input"}, perIteration);
}

OpCounts counts(int64_t macs, int64_t adds, int64_t muls, int64_t divs,
                int64_t compares, int64_t transcendentals) {
  return {macs, adds, muls, divs, compares, transcendentals};
}

/// Loops N C P Q R S of a sliding window over NCHW (pooling), or of a
/// convolution's spatial part. Returns the input row and column expressions.
std::pair<AffineExpr, AffineExpr> windowExprs(AffineExpr p, AffineExpr q,
                                              AffineExpr r, AffineExpr s,
                                              ArrayRef<int64_t> strides,
                                              ArrayRef<int64_t> dilations,
                                              ArrayRef<int64_t> pads) {
  return {p * strides[0] + r * dilations[0] - pads[0],
          q * strides[1] + s * dilations[1] - pads[1]};
}

/// A contraction whose weights carry accel.weight_encoding multiplies by
/// shifts and adds: records the encoding and its terms per iteration (each
/// weight is used equally often, so the average over the weights is the
/// average over the iterations).
LoopNest withWeightEncoding(LoopNest nest, Operation *op) {
  auto attr = op->getAttrOfType<WeightEncodingAttr>(kWeightEncodingAttr);
  std::optional<unsigned> weight = nest.lookupRole(OperandRole::Weight);
  if (!attr || !weight)
    return nest;
  int64_t weights = getNumElements(nest.tensors[*weight].shape);
  nest.shiftAdd = LoopNest::ShiftAdd{
      attr.getEncoding(),
      weights > 0 ? double(attr.getTerms()) / double(weights) : 0.0};
  return nest;
}

} // namespace

LoopNest Conv2DOp::getLoopNest() {
  LoopNestBuilder b(getContext(), ComputeKind::Contraction);
  ArrayRef<int64_t> in = shapeOf(getInput()), w = shapeOf(getWeight()),
                    out = shapeOf(getOutput());
  int64_t groups = getGroups();
  int64_t kPerGroup = w[0] / groups, cPerGroup = w[1];
  AffineExpr n = b.addDim("N", in[0]);
  AffineExpr g = groups > 1 ? b.addDim("G", groups) : b.constant(0);
  AffineExpr k = b.addDim("K", kPerGroup);
  AffineExpr c = b.addDim("C", cPerGroup, /*isReduction=*/true);
  AffineExpr p = b.addDim("P", out[2]);
  AffineExpr q = b.addDim("Q", out[3]);
  AffineExpr r = b.addDim("R", w[2], /*isReduction=*/true);
  AffineExpr s = b.addDim("S", w[3], /*isReduction=*/true);
  auto [h, x] =
      windowExprs(p, q, r, s, getStrides(), getDilations(), getPads());
  AffineExpr outChannel = g * kPerGroup + k;
  b.addOperand("input", getInput(), {n, g * cPerGroup + c, h, x},
               Use::Multiplicand);
  b.addOperand("weight", getWeight(), {outChannel, c, r, s}, Use::Multiplicand);
  if (getBias())
    b.addOperand("bias", getBias(), {outChannel});
  b.addResult(getOutput(), {n, outChannel, p, q});
  return withWeightEncoding(
      b.finish(counts(1, 0, 0, 0, 0, 0),
               counts(0, getBias() ? 1 : 0, 0, 0, 0, 0)),
      getOperation());
}

LoopNest MatmulOp::getLoopNest() {
  LoopNestBuilder b(getContext(), ComputeKind::Contraction);
  ArrayRef<int64_t> lhs = shapeOf(getLhs()), rhs = shapeOf(getRhs()),
                    out = shapeOf(getOutput());
  ArrayRef<int64_t> batch = out.drop_back(2);
  SmallVector<AffineExpr, 4> batchLoops;
  for (auto [i, size] : llvm::enumerate(batch))
    batchLoops.push_back(b.addDim(
        batch.size() == 1 ? std::string("B") : "B" + std::to_string(i), size));
  AffineExpr m = b.addDim("M", out[out.size() - 2]);
  AffineExpr nDim = b.addDim("N", out.back());
  AffineExpr k = b.addDim("K", lhs.back(), /*isReduction=*/true);
  auto lhsExprs = broadcastExprs(b, lhs.drop_back(2), batch, batchLoops);
  lhsExprs.append({m, k});
  auto rhsExprs = broadcastExprs(b, rhs.drop_back(2), batch, batchLoops);
  rhsExprs.append({k, nDim});
  SmallVector<AffineExpr, 4> outExprs(batchLoops);
  outExprs.append({m, nDim});
  b.addOperand("lhs", getLhs(), lhsExprs, Use::Multiplicand);
  b.addOperand("rhs", getRhs(), rhsExprs, Use::Multiplicand);
  b.addResult(getOutput(), outExprs);
  return withWeightEncoding(b.finish(counts(1, 0, 0, 0, 0, 0)),
                            getOperation());
}

LoopNest Pool2DOp::getLoopNest() {
  LoopNestBuilder b(getContext(), ComputeKind::Window);
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getOutput());
  AffineExpr n = b.addDim("N", in[0]);
  AffineExpr c = b.addDim("C", in[1]);
  AffineExpr p = b.addDim("P", out[2]);
  AffineExpr q = b.addDim("Q", out[3]);
  AffineExpr r = b.addDim("R", getKernel()[0], /*isReduction=*/true);
  AffineExpr s = b.addDim("S", getKernel()[1], /*isReduction=*/true);
  auto [h, x] =
      windowExprs(p, q, r, s, getStrides(), getDilations(), getPads());
  b.addOperand("input", getInput(), {n, c, h, x});
  b.addResult(getOutput(), {n, c, p, q});
  if (getKind() == PoolKind::Max)
    return b.finish(counts(0, 0, 0, 0, 1, 0));
  // Average: the divisor is the window size unless padding is excluded from
  // a window that overlaps it; a constant divisor is a multiply by its
  // reciprocal.
  bool padded = llvm::any_of(getPads(), [](int64_t pad) { return pad != 0; });
  bool constantDivisor = !padded || getCountIncludePad();
  return b.finish(counts(0, 1, 0, 0, 0, 0), constantDivisor
                                                ? counts(0, 0, 1, 0, 0, 0)
                                                : counts(0, 0, 0, 1, 0, 0));
}

// Binary elementwise.
LoopNest AddOp::getLoopNest() {
  return binaryNest(*this, counts(0, 1, 0, 0, 0, 0));
}
LoopNest SubOp::getLoopNest() {
  return binaryNest(*this, counts(0, 1, 0, 0, 0, 0));
}
LoopNest MulOp::getLoopNest() {
  return binaryNest(*this, counts(0, 0, 1, 0, 0, 0));
}
LoopNest DivOp::getLoopNest() {
  // Dividing by a constant is multiplying by its reciprocal.
  if (matchPattern(getRhs(), m_Constant()))
    return binaryNest(*this, counts(0, 0, 1, 0, 0, 0));
  return binaryNest(*this, counts(0, 0, 0, 1, 0, 0));
}
LoopNest PowOp::getLoopNest() {
  // Small constant exponents are plain arithmetic.
  std::optional<double> exponent = getSplatValue(getRhs());
  if (exponent == 1.0)
    return binaryNest(*this, {});
  if (exponent == 2.0)
    return binaryNest(*this, counts(0, 0, 1, 0, 0, 0));
  return binaryNest(*this, counts(0, 0, 0, 0, 0, 1));
}

// Unary elementwise: counts follow the formula in each op's summary.
LoopNest ReluOp::getLoopNest() {
  return unaryNest(*this, counts(0, 0, 0, 0, 1, 0));
}
LoopNest LeakyReluOp::getLoopNest() {
  return unaryNest(*this, counts(0, 0, 1, 0, 1, 0));
}
LoopNest ClipOp::getLoopNest() {
  int64_t bounds = (getMin() ? 1 : 0) + (getMax() ? 1 : 0);
  return unaryNest(*this, counts(0, 0, 0, 0, bounds, 0));
}
LoopNest SigmoidOp::getLoopNest() {
  // One special-function evaluation, as for tanh: output stages tabulate
  // the sigmoid itself (NVDLA's SDP LUT, TPU's activation unit) rather than
  // computing 1 / (1 + exp(-x)).
  return unaryNest(*this, counts(0, 0, 0, 0, 0, 1));
}
LoopNest HardSigmoidOp::getLoopNest() {
  return unaryNest(*this, counts(1, 0, 0, 0, 2, 0));
}
LoopNest HardSwishOp::getLoopNest() {
  return unaryNest(*this, counts(1, 0, 1, 0, 2, 0));
}
LoopNest TanhOp::getLoopNest() {
  return unaryNest(*this, counts(0, 0, 0, 0, 0, 1));
}
LoopNest ErfOp::getLoopNest() {
  return unaryNest(*this, counts(0, 0, 0, 0, 0, 1));
}
LoopNest ExpOp::getLoopNest() {
  return unaryNest(*this, counts(0, 0, 0, 0, 0, 1));
}
LoopNest SqrtOp::getLoopNest() {
  return unaryNest(*this, counts(0, 0, 0, 0, 0, 1));
}
LoopNest NegOp::getLoopNest() {
  return unaryNest(*this, counts(0, 1, 0, 0, 0, 0));
}

LoopNest EqualOp::getLoopNest() {
  return binaryNest(*this, counts(0, 0, 0, 0, 1, 0));
}
LoopNest WhereOp::getLoopNest() {
  return elementwiseNest(*this, {"condition", "lhs", "rhs"},
                         counts(0, 0, 0, 0, 1, 0));
}
LoopNest CastOp::getLoopNest() { return unaryNest(*this, {}); }

LoopNest SoftmaxOp::getLoopNest() {
  // max (compare), x - max and the running sum (adds), exp, final divide.
  LoopNest nest = unaryNest(*this, counts(0, 2, 0, 1, 1, 1));
  nest.kind = ComputeKind::Reduction;
  return nest;
}

LoopNest LayerNormOp::getLoopNest() {
  LoopNestBuilder b(getContext(), ComputeKind::Reduction);
  ArrayRef<int64_t> in = shapeOf(getInput());
  auto loops = addShapeLoops(b, in);
  ArrayRef<AffineExpr> normalized =
      ArrayRef<AffineExpr>(loops).drop_front(getAxis());
  b.addOperand("input", getInput(), loops);
  b.addOperand("scale", getScale(), normalized);
  if (getBias())
    b.addOperand("bias", getBias(), normalized);
  b.addResult(getOutput(), loops);
  // Per element: the sum for the mean, centring, square, the sum for the
  // variance, the normalizing multiply, then scale and bias as one
  // multiply-add. Per normalized row: mean and variance as multiplies by
  // 1/n, epsilon added, and the reciprocal square root (a square root and a
  // divide).
  int64_t rows = 1;
  for (int64_t size : in.take_front(getAxis()))
    rows *= size;
  return b.finish(counts(1, 3, 2, 0, 0, 0), {},
                  counts(0, rows, 2 * rows, rows, 0, rows));
}

LoopNest BatchNormOp::getLoopNest() {
  LoopNestBuilder b(getContext(), ComputeKind::Elementwise);
  ArrayRef<int64_t> in = shapeOf(getInput());
  auto loops = addShapeLoops(b, in);
  b.addOperand("input", getInput(), loops);
  b.addOperand("scale", getScale(), {loops[1]});
  b.addOperand("bias", getBias(), {loops[1]});
  b.addOperand("mean", getMean(), {loops[1]});
  b.addOperand("variance", getVariance(), {loops[1]});
  b.addResult(getOutput(), loops);
  // The statistics fold into one per-channel scale and shift.
  return b.finish(counts(1, 0, 0, 0, 0, 0));
}

static LoopNest reduceNest(Operation *op, ArrayRef<int64_t> axes, bool keepdims,
                           OpCounts perOutput) {
  LoopNestBuilder b(op->getContext(), ComputeKind::Reduction);
  ArrayRef<int64_t> in = shapeOf(op->getOperand(0));
  auto loops = addShapeLoops(b, in, axes);
  SmallVector<AffineExpr, 4> outExprs;
  for (auto [d, loop] : llvm::enumerate(loops)) {
    if (!llvm::is_contained(axes, (int64_t)d))
      outExprs.push_back(loop);
    else if (keepdims)
      outExprs.push_back(b.constant(0));
  }
  b.addOperand("input", op->getOperand(0), loops);
  b.addResult(op->getResult(0), outExprs);
  return b.finish(counts(0, 1, 0, 0, 0, 0), perOutput);
}

LoopNest ReduceMeanOp::getLoopNest() {
  // The mean divides by the constant element count: a multiply.
  return reduceNest(*this, getAxes(), getKeepdims(), counts(0, 0, 1, 0, 0, 0));
}

LoopNest ReduceSumOp::getLoopNest() {
  return reduceNest(*this, getAxes(), getKeepdims(), {});
}
