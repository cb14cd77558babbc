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

#include "mlir/IR/AffineExpr.h"

using namespace mlir;
using namespace tandem::accel;

#include "tandem/Dialect/Accel/IR/AccelInterfaces.cpp.inc"

namespace {

/// Collects loops and tensor projections; maps are built at the end, once
/// the number of loops is known.
class LoopNestBuilder {
public:
  explicit LoopNestBuilder(MLIRContext *ctx) : ctx(ctx) {}

  AffineExpr addDim(StringRef name, int64_t extent, bool isReduction = false) {
    nest.dims.push_back({name.str(), extent, isReduction});
    return getAffineDimExpr(nest.dims.size() - 1, ctx);
  }

  void addTensor(StringRef name, Value value, ArrayRef<AffineExpr> exprs,
                 bool isOutput = false) {
    auto type = cast<RankedTensorType>(value.getType());
    TensorAccess t;
    t.name = name.str();
    t.shape.assign(type.getShape().begin(), type.getShape().end());
    t.elementType = type.getElementType();
    t.isOutput = isOutput;
    nest.tensors.push_back(std::move(t));
    exprsPerTensor.emplace_back(exprs.begin(), exprs.end());
  }

  AffineExpr constant(int64_t c) { return getAffineConstantExpr(c, ctx); }

  LoopNest finish(OpCounts perIteration, OpCounts perOutput = {}) {
    for (auto [t, exprs] : llvm::zip(nest.tensors, exprsPerTensor))
      t.map = AffineMap::get(nest.dims.size(), 0, exprs, ctx);
    nest.perIteration = perIteration;
    nest.perOutput = perOutput;
    return std::move(nest);
  }

private:
  MLIRContext *ctx;
  LoopNest nest;
  SmallVector<SmallVector<AffineExpr, 4>> exprsPerTensor;
};

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
  LoopNestBuilder b(op->getContext());
  ArrayRef<int64_t> full = shapeOf(op->getResult(0));
  auto loops = addShapeLoops(b, full);
  for (auto [name, v] : llvm::zip(operandNames, op->getOperands()))
    b.addTensor(name, v, broadcastExprs(b, shapeOf(v), full, loops));
  b.addTensor("output", op->getResult(0), loops, /*isOutput=*/true);
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

} // namespace

LoopNest Conv2DOp::getLoopNest() {
  LoopNestBuilder b(getContext());
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
  b.addTensor("input", getInput(), {n, g * cPerGroup + c, h, x});
  b.addTensor("weight", getWeight(), {outChannel, c, r, s});
  if (getBias())
    b.addTensor("bias", getBias(), {outChannel});
  b.addTensor("output", getOutput(), {n, outChannel, p, q}, /*isOutput=*/true);
  return b.finish(counts(1, 0, 0, 0, 0, 0),
                  counts(0, getBias() ? 1 : 0, 0, 0, 0, 0));
}

LoopNest MatmulOp::getLoopNest() {
  LoopNestBuilder b(getContext());
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
  b.addTensor("lhs", getLhs(), lhsExprs);
  b.addTensor("rhs", getRhs(), rhsExprs);
  b.addTensor("output", getOutput(), outExprs, /*isOutput=*/true);
  return b.finish(counts(1, 0, 0, 0, 0, 0));
}

LoopNest Pool2DOp::getLoopNest() {
  LoopNestBuilder b(getContext());
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getOutput());
  AffineExpr n = b.addDim("N", in[0]);
  AffineExpr c = b.addDim("C", in[1]);
  AffineExpr p = b.addDim("P", out[2]);
  AffineExpr q = b.addDim("Q", out[3]);
  AffineExpr r = b.addDim("R", getKernel()[0], /*isReduction=*/true);
  AffineExpr s = b.addDim("S", getKernel()[1], /*isReduction=*/true);
  auto [h, x] =
      windowExprs(p, q, r, s, getStrides(), getDilations(), getPads());
  b.addTensor("input", getInput(), {n, c, h, x});
  b.addTensor("output", getOutput(), {n, c, p, q}, /*isOutput=*/true);
  if (getKind() == PoolKind::Max)
    return b.finish(counts(0, 0, 0, 0, 1, 0));
  return b.finish(counts(0, 1, 0, 0, 0, 0), counts(0, 0, 0, 1, 0, 0));
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
  return binaryNest(*this, counts(0, 0, 0, 1, 0, 0));
}
LoopNest PowOp::getLoopNest() {
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
  return unaryNest(*this, counts(0, 1, 0, 1, 0, 1));
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
  return unaryNest(*this, counts(0, 2, 0, 1, 1, 1));
}

LoopNest LayerNormOp::getLoopNest() {
  LoopNestBuilder b(getContext());
  ArrayRef<int64_t> in = shapeOf(getInput());
  auto loops = addShapeLoops(b, in);
  ArrayRef<AffineExpr> normalized =
      ArrayRef<AffineExpr>(loops).drop_front(getAxis());
  b.addTensor("input", getInput(), loops);
  b.addTensor("scale", getScale(), normalized);
  if (getBias())
    b.addTensor("bias", getBias(), normalized);
  b.addTensor("output", getOutput(), loops, /*isOutput=*/true);
  // Sum for the mean, centring, square, sum for the variance, normalizing
  // multiply, then scale and bias as one multiply-add.
  return b.finish(counts(1, 3, 2, 0, 0, 0));
}

LoopNest BatchNormOp::getLoopNest() {
  LoopNestBuilder b(getContext());
  ArrayRef<int64_t> in = shapeOf(getInput());
  auto loops = addShapeLoops(b, in);
  b.addTensor("input", getInput(), loops);
  b.addTensor("scale", getScale(), {loops[1]});
  b.addTensor("bias", getBias(), {loops[1]});
  b.addTensor("mean", getMean(), {loops[1]});
  b.addTensor("variance", getVariance(), {loops[1]});
  b.addTensor("output", getOutput(), loops, /*isOutput=*/true);
  // The statistics fold into one per-channel scale and shift.
  return b.finish(counts(1, 0, 0, 0, 0, 0));
}

static LoopNest reduceNest(Operation *op, ArrayRef<int64_t> axes, bool keepdims,
                           OpCounts perOutput) {
  LoopNestBuilder b(op->getContext());
  ArrayRef<int64_t> in = shapeOf(op->getOperand(0));
  auto loops = addShapeLoops(b, in, axes);
  SmallVector<AffineExpr, 4> outExprs;
  for (auto [d, loop] : llvm::enumerate(loops)) {
    if (!llvm::is_contained(axes, (int64_t)d))
      outExprs.push_back(loop);
    else if (keepdims)
      outExprs.push_back(b.constant(0));
  }
  b.addTensor("input", op->getOperand(0), loops);
  b.addTensor("output", op->getResult(0), outExprs, /*isOutput=*/true);
  return b.finish(counts(0, 1, 0, 0, 0, 0), perOutput);
}

LoopNest ReduceMeanOp::getLoopNest() {
  return reduceNest(*this, getAxes(), getKeepdims(), counts(0, 0, 0, 1, 0, 0));
}

LoopNest ReduceSumOp::getLoopNest() {
  return reduceNest(*this, getAxes(), getKeepdims(), {});
}
