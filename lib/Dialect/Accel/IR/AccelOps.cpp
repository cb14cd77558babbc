//===- AccelOps.cpp - Verifiers of the accel operations -------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Dialect/Accel/IR/ShapeUtils.h"
#include "tandem/Support/Limits.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"

using namespace mlir;
using namespace tandem::accel;

namespace {

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// Element types must agree unless quantization is involved: a quantized
/// operator mixes storage types (i8 inputs, i32 accumulators) on purpose.
LogicalResult verifySameElementTypes(Operation *op) {
  Type first;
  for (Type t :
       llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes())) {
    Type elem = cast<ShapedType>(t).getElementType();
    if (isa<quant::QuantizedType>(elem))
      return success();
    if (!first)
      first = elem;
    else if (elem != first)
      return op->emitOpError("expects all operands and the result to have "
                             "the same element type, got ")
             << first << " and " << elem;
  }
  return success();
}

/// Contractions (convolution, matrix product) may also read integers
/// narrower than the integer they accumulate in: the integer form of a
/// quantized layer (i8 or i16 operands, an i32 or i64 result).
LogicalResult verifyContractionElementTypes(Operation *op) {
  auto resultInt = dyn_cast<IntegerType>(
      cast<ShapedType>(op->getResult(0).getType()).getElementType());
  bool integerAccumulation =
      resultInt && resultInt.isSignless() &&
      llvm::all_of(op->getOperandTypes(), [&](Type t) {
        auto i = dyn_cast<IntegerType>(cast<ShapedType>(t).getElementType());
        return i && i.isSignless() && i.getWidth() <= resultInt.getWidth();
      });
  if (integerAccumulation)
    return success();
  return verifySameElementTypes(op);
}

LogicalResult verifyResultShape(Operation *op, ArrayRef<int64_t> expected,
                                StringRef why) {
  ArrayRef<int64_t> actual = shapeOf(op->getResult(0));
  if (actual == expected)
    return success();
  return op->emitOpError("expects result shape ")
         << formatShape(expected) << " (" << why << "), got "
         << formatShape(actual);
}

LogicalResult verifyRank(Operation *op, Value v, StringRef what, int64_t rank,
                         StringRef layout) {
  int64_t actual = shapeOf(v).size();
  if (actual == rank)
    return success();
  return op->emitOpError("expects ") << what << " of rank " << rank << " ("
                                     << layout << "), got rank " << actual;
}

/// Strides, pads and dilations of a 2-D sliding window.
LogicalResult verifyWindowAttrs(Operation *op, ArrayRef<int64_t> strides,
                                ArrayRef<int64_t> pads,
                                ArrayRef<int64_t> dilations) {
  if (strides.size() != 2)
    return op->emitOpError("expects 2 strides, got ") << strides.size();
  if (pads.size() != 4)
    return op->emitOpError("expects 4 pads [top, left, bottom, right], got ")
           << pads.size();
  if (dilations.size() != 2)
    return op->emitOpError("expects 2 dilations, got ") << dilations.size();
  if (llvm::any_of(strides, [](int64_t s) { return s < 1; }))
    return op->emitOpError("expects positive strides, got ")
           << formatList(strides);
  if (llvm::any_of(pads, [](int64_t p) { return p < 0; }))
    return op->emitOpError("expects non-negative pads, got ")
           << formatList(pads);
  if (llvm::any_of(dilations, [](int64_t d) { return d < 1; }))
    return op->emitOpError("expects positive dilations, got ")
           << formatList(dilations);
  return success();
}

/// Output height and width of a window sliding over an NCHW input, or an
/// error if the (dilated) window does not fit even once.
FailureOr<std::pair<int64_t, int64_t>>
verifyWindowFits(Operation *op, ArrayRef<int64_t> inputShape,
                 ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                 ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations,
                 bool ceilMode) {
  int64_t p = getWindowOutputSize(inputShape[2], kernel[0], strides[0],
                                  dilations[0], pads[0], pads[2], ceilMode);
  int64_t q = getWindowOutputSize(inputShape[3], kernel[1], strides[1],
                                  dilations[1], pads[1], pads[3], ceilMode);
  if (p < 1 || q < 1) {
    int64_t kh = dilations[0] * (kernel[0] - 1) + 1;
    int64_t kw = dilations[1] * (kernel[1] - 1) + 1;
    return op->emitOpError("expects the ")
           << kh << "x" << kw << " window (dilated) to fit the padded "
           << (inputShape[2] + pads[0] + pads[2]) << "x"
           << (inputShape[3] + pads[1] + pads[3]) << " input";
  }
  return std::make_pair(p, q);
}

/// Axes of a reduction: sorted, distinct and inside the rank.
LogicalResult verifyAxes(Operation *op, ArrayRef<int64_t> axes, int64_t rank) {
  for (auto [i, axis] : llvm::enumerate(axes)) {
    if (axis < 0 || axis >= rank)
      return op->emitOpError("expects axes in [0, ")
             << rank << "), got " << axis;
    if (i > 0 && axes[i - 1] >= axis)
      return op->emitOpError("expects sorted, distinct axes, got ")
             << formatList(axes);
  }
  return success();
}

LogicalResult verifyAxis(Operation *op, int64_t axis, int64_t rank) {
  if (axis >= 0 && axis < rank)
    return success();
  return op->emitOpError("expects axis in [0, ") << rank << "), got " << axis;
}

} // namespace

//===----------------------------------------------------------------------===//
// Conv2DOp
//===----------------------------------------------------------------------===//

LogicalResult Conv2DOp::verify() {
  Operation *op = getOperation();
  if (failed(verifyRank(op, getInput(), "input", 4, "NCHW")) ||
      failed(
          verifyRank(op, getWeight(), "weight", 4, "K x C/groups x R x S")) ||
      failed(verifyRank(op, getOutput(), "result", 4, "NKPQ")) ||
      failed(verifyWindowAttrs(op, getStrides(), getPads(), getDilations())) ||
      failed(verifyContractionElementTypes(op)))
    return failure();

  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> w = shapeOf(getWeight());
  int64_t groups = getGroups();
  if (groups < 1)
    return emitOpError("expects groups >= 1, got ") << groups;
  if (in[1] % groups != 0)
    return emitOpError("expects input channels (")
           << in[1] << ") to be divisible by groups (" << groups << ")";
  if (w[0] % groups != 0)
    return emitOpError("expects output channels (weight dim 0 = ")
           << w[0] << ") to be divisible by groups (" << groups << ")";
  if (w[1] != in[1] / groups)
    return emitOpError("expects weight dim 1 to be input channels / groups = ")
           << in[1] / groups << ", got " << w[1];
  if (Value bias = getBias()) {
    if (shapeOf(bias) != ArrayRef<int64_t>{w[0]})
      return emitOpError("expects bias of shape ")
             << w[0] << " (output channels), got "
             << formatShape(shapeOf(bias));
  }
  auto pq = verifyWindowFits(op, in, w.drop_front(2), getStrides(), getPads(),
                             getDilations(), /*ceilMode=*/false);
  if (failed(pq))
    return failure();
  return verifyResultShape(op, {in[0], w[0], pq->first, pq->second},
                           "from input, weight, strides, pads and dilations");
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  ArrayRef<int64_t> lhs = shapeOf(getLhs());
  ArrayRef<int64_t> rhs = shapeOf(getRhs());
  if (lhs.size() < 2 || rhs.size() < 2)
    return emitOpError("expects operands of rank 2 or more, got ranks ")
           << lhs.size() << " and " << rhs.size();
  if (failed(verifyContractionElementTypes(getOperation())))
    return failure();
  int64_t kl = lhs.back(), kr = rhs[rhs.size() - 2];
  if (kl != kr)
    return emitOpError(
               "expects the contracted dimensions to match, got lhs K = ")
           << kl << " and rhs K = " << kr;
  auto batch = broadcastShapes(lhs.drop_back(2), rhs.drop_back(2));
  if (!batch)
    return emitOpError("expects broadcast-compatible batch dimensions, got ")
           << formatShape(lhs.drop_back(2)) << " and "
           << formatShape(rhs.drop_back(2));
  SmallVector<int64_t> expected(batch->begin(), batch->end());
  expected.push_back(lhs[lhs.size() - 2]);
  expected.push_back(rhs.back());
  return verifyResultShape(getOperation(), expected, "broadcast batch x M x N");
}

//===----------------------------------------------------------------------===//
// Pool2DOp
//===----------------------------------------------------------------------===//

LogicalResult Pool2DOp::verify() {
  Operation *op = getOperation();
  if (failed(verifyRank(op, getInput(), "input", 4, "NCHW")) ||
      failed(verifyWindowAttrs(op, getStrides(), getPads(), getDilations())) ||
      failed(verifySameElementTypes(op)))
    return failure();
  ArrayRef<int64_t> kernel = getKernel();
  if (kernel.size() != 2)
    return emitOpError("expects a 2-D kernel, got ")
           << kernel.size() << " extents";
  if (llvm::any_of(kernel, [](int64_t k) { return k < 1; }))
    return emitOpError("expects positive kernel extents, got ")
           << formatList(kernel);
  if (getCountIncludePad() && getKind() != PoolKind::Avg)
    return emitOpError("expects count_include_pad only on avg pooling");
  // A window entirely in the padding would have nothing to reduce.
  ArrayRef<int64_t> pads = getPads();
  for (int i = 0; i < 4; ++i)
    if (pads[i] >= getDilations()[i % 2] * (kernel[i % 2] - 1) + 1)
      return emitOpError("expects each pad to be smaller than the (dilated) "
                         "kernel, got pads ")
             << formatList(pads) << " for kernel " << formatList(kernel);
  ArrayRef<int64_t> in = shapeOf(getInput());
  auto pq = verifyWindowFits(op, in, kernel, getStrides(), pads, getDilations(),
                             getCeilMode());
  if (failed(pq))
    return failure();
  return verifyResultShape(op, {in[0], in[1], pq->first, pq->second},
                           "from input, kernel, strides, pads and dilations");
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

static LogicalResult verifyBinary(Operation *op) {
  if (failed(verifySameElementTypes(op)))
    return failure();
  ArrayRef<int64_t> lhs = shapeOf(op->getOperand(0));
  ArrayRef<int64_t> rhs = shapeOf(op->getOperand(1));
  auto shape = broadcastShapes(lhs, rhs);
  if (!shape)
    return op->emitOpError("expects broadcast-compatible operands, got ")
           << formatShape(lhs) << " and " << formatShape(rhs);
  return verifyResultShape(op, *shape, "the broadcast of the operand shapes");
}

LogicalResult AddOp::verify() { return verifyBinary(getOperation()); }
LogicalResult SubOp::verify() { return verifyBinary(getOperation()); }
LogicalResult MulOp::verify() { return verifyBinary(getOperation()); }
LogicalResult DivOp::verify() { return verifyBinary(getOperation()); }
LogicalResult PowOp::verify() { return verifyBinary(getOperation()); }

LogicalResult EqualOp::verify() {
  ArrayRef<int64_t> lhs = shapeOf(getLhs()), rhs = shapeOf(getRhs());
  Type lt = getLhs().getType().getElementType();
  Type rt = getRhs().getType().getElementType();
  if (lt != rt)
    return emitOpError("expects operands of the same element type, got ")
           << lt << " and " << rt;
  auto shape = broadcastShapes(lhs, rhs);
  if (!shape)
    return emitOpError("expects broadcast-compatible operands, got ")
           << formatShape(lhs) << " and " << formatShape(rhs);
  return verifyResultShape(*this, *shape,
                           "the broadcast of the operand shapes");
}

LogicalResult WhereOp::verify() {
  Type lt = getLhs().getType().getElementType();
  Type rt = getRhs().getType().getElementType();
  Type ot = getOutput().getType().getElementType();
  if (lt != rt || lt != ot)
    return emitOpError("expects lhs, rhs and the result to have the same "
                       "element type, got ")
           << lt << ", " << rt << " and " << ot;
  auto shape = broadcastShapes(shapeOf(getCondition()), shapeOf(getLhs()));
  if (shape)
    shape = broadcastShapes(*shape, shapeOf(getRhs()));
  if (!shape)
    return emitOpError("expects broadcast-compatible operands, got ")
           << formatShape(shapeOf(getCondition())) << ", "
           << formatShape(shapeOf(getLhs())) << " and "
           << formatShape(shapeOf(getRhs()));
  return verifyResultShape(*this, *shape,
                           "the broadcast of the operand shapes");
}

LogicalResult CastOp::verify() {
  return verifyResultShape(*this, shapeOf(getInput()), "the input's shape");
}

static LogicalResult verifyUnary(Operation *op) {
  if (failed(verifySameElementTypes(op)))
    return failure();
  return verifyResultShape(op, shapeOf(op->getOperand(0)), "the input's shape");
}

LogicalResult ReluOp::verify() { return verifyUnary(getOperation()); }
LogicalResult LeakyReluOp::verify() { return verifyUnary(getOperation()); }
LogicalResult SigmoidOp::verify() { return verifyUnary(getOperation()); }
LogicalResult HardSigmoidOp::verify() { return verifyUnary(getOperation()); }
LogicalResult HardSwishOp::verify() { return verifyUnary(getOperation()); }
LogicalResult TanhOp::verify() { return verifyUnary(getOperation()); }
LogicalResult ErfOp::verify() { return verifyUnary(getOperation()); }
LogicalResult ExpOp::verify() { return verifyUnary(getOperation()); }
LogicalResult SqrtOp::verify() { return verifyUnary(getOperation()); }
LogicalResult NegOp::verify() { return verifyUnary(getOperation()); }

LogicalResult ClipOp::verify() {
  if (getMin() && getMax() &&
      getMin()->convertToFloat() > getMax()->convertToFloat())
    return emitOpError("expects min <= max, got min ")
           << getMin()->convertToFloat() << " and max "
           << getMax()->convertToFloat();
  return verifyUnary(getOperation());
}

//===----------------------------------------------------------------------===//
// Normalization and reduction
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  if (failed(verifyAxis(getOperation(), getAxis(), shapeOf(getInput()).size())))
    return failure();
  return verifyUnary(getOperation());
}

LogicalResult LayerNormOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (failed(verifyAxis(getOperation(), getAxis(), in.size())) ||
      failed(verifySameElementTypes(getOperation())))
    return failure();
  if (getEpsilon().convertToFloat() < 0)
    return emitOpError("expects a non-negative epsilon");
  ArrayRef<int64_t> normalized = in.drop_front(getAxis());
  if (shapeOf(getScale()) != normalized)
    return emitOpError("expects scale of shape ")
           << formatShape(normalized) << " (the normalized dimensions), got "
           << formatShape(shapeOf(getScale()));
  if (Value bias = getBias(); bias && shapeOf(bias) != normalized)
    return emitOpError("expects bias of shape ")
           << formatShape(normalized) << " (the normalized dimensions), got "
           << formatShape(shapeOf(bias));
  return verifyResultShape(getOperation(), in, "the input's shape");
}

LogicalResult BatchNormOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (in.size() < 2)
    return emitOpError(
               "expects input of rank 2 or more (N x C x ...), got rank ")
           << in.size();
  if (failed(verifySameElementTypes(getOperation())))
    return failure();
  if (getEpsilon().convertToFloat() < 0)
    return emitOpError("expects a non-negative epsilon");
  StringRef names[] = {"scale", "bias", "mean", "variance"};
  Value stats[] = {getScale(), getBias(), getMean(), getVariance()};
  for (auto [name, v] : llvm::zip(names, stats)) {
    if (shapeOf(v) != ArrayRef<int64_t>{in[1]})
      return emitOpError("expects ")
             << name << " of shape " << in[1] << " (the channels), got "
             << formatShape(shapeOf(v));
  }
  return verifyResultShape(getOperation(), in, "the input's shape");
}

static LogicalResult verifyReduce(Operation *op, ArrayRef<int64_t> axes,
                                  bool keepdims) {
  ArrayRef<int64_t> in = shapeOf(op->getOperand(0));
  if (failed(verifyAxes(op, axes, in.size())) ||
      failed(verifySameElementTypes(op)))
    return failure();
  SmallVector<int64_t> expected;
  for (auto [d, size] : llvm::enumerate(in)) {
    bool reduced = llvm::is_contained(axes, static_cast<int64_t>(d));
    if (!reduced)
      expected.push_back(size);
    else if (keepdims)
      expected.push_back(1);
  }
  return verifyResultShape(op, expected,
                           keepdims ? "reduced axes kept as 1"
                                    : "reduced axes removed");
}

LogicalResult ReduceMeanOp::verify() {
  return verifyReduce(getOperation(), getAxes(), getKeepdims());
}
LogicalResult ReduceSumOp::verify() {
  return verifyReduce(getOperation(), getAxes(), getKeepdims());
}

//===----------------------------------------------------------------------===//
// Layout and data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  if (failed(verifySameElementTypes(getOperation())))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getOutput());
  for (ArrayRef<int64_t> shape : {in, out})
    if (!tandem::getByteSize(shape, 1))
      return emitOpError("has a type whose element count overflows int64: ")
             << formatShape(shape);
  if (getNumElements(in) != getNumElements(out))
    return emitOpError("expects the result to hold as many elements as the "
                       "input, got ")
           << formatShape(in) << " (" << getNumElements(in) << ") and "
           << formatShape(out) << " (" << getNumElements(out) << ")";
  return success();
}

LogicalResult TransposeOp::verify() {
  if (failed(verifySameElementTypes(getOperation())))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> perm = getPerm();
  SmallVector<bool> seen(in.size(), false);
  bool valid = perm.size() == in.size();
  for (int64_t p : perm) {
    if (!valid || p < 0 || p >= static_cast<int64_t>(in.size()) || seen[p]) {
      valid = false;
      break;
    }
    seen[p] = true;
  }
  if (!valid)
    return emitOpError("expects perm to be a permutation of 0..")
           << in.size() - 1 << ", got " << formatList(perm);
  SmallVector<int64_t> expected;
  for (int64_t p : perm)
    expected.push_back(in[p]);
  return verifyResultShape(getOperation(), expected, "the permuted input");
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("expects at least one input");
  if (failed(verifySameElementTypes(getOperation())))
    return failure();
  ArrayRef<int64_t> first = shapeOf(getInputs().front());
  int64_t axis = getAxis();
  if (failed(verifyAxis(getOperation(), axis, first.size())))
    return failure();
  SmallVector<int64_t> expected(first);
  for (auto [i, v] : llvm::enumerate(getInputs().drop_front())) {
    ArrayRef<int64_t> shape = shapeOf(v);
    bool matches = shape.size() == first.size();
    for (size_t d = 0; matches && d < shape.size(); ++d)
      matches = static_cast<int64_t>(d) == axis || shape[d] == first[d];
    if (!matches)
      return emitOpError("expects input ")
             << i + 1 << " (" << formatShape(shape) << ") to match input 0 ("
             << formatShape(first) << ") except along axis " << axis;
    expected[axis] += shape[axis];
  }
  return verifyResultShape(getOperation(), expected,
                           "inputs joined along the axis");
}

LogicalResult SliceOp::verify() {
  if (failed(verifySameElementTypes(getOperation())))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getOutput());
  ArrayRef<int64_t> starts = getStarts(), steps = getSteps();
  if (starts.size() != in.size() || steps.size() != in.size())
    return emitOpError("expects one start and one step per input dimension (")
           << in.size() << "), got " << starts.size() << " and "
           << steps.size();
  if (out.size() != in.size())
    return emitOpError("expects the result rank to equal the input rank (")
           << in.size() << "), got " << out.size();
  for (size_t d = 0; d < in.size(); ++d) {
    if (steps[d] == 0)
      return emitOpError("expects non-zero steps, got ") << formatList(steps);
    if (out[d] == 0)
      continue;
    int64_t last = starts[d] + (out[d] - 1) * steps[d];
    if (starts[d] < 0 || starts[d] >= in[d] || last < 0 || last >= in[d])
      return emitOpError("reads outside the input along dimension ")
             << d << ": indices " << starts[d] << " to " << last
             << " of a dimension of size " << in[d];
  }
  return success();
}

LogicalResult PadOp::verify() {
  if (failed(verifySameElementTypes(getOperation())))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> pads = getPads();
  int64_t rank = in.size();
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    return emitOpError("expects ")
           << 2 * rank << " pads (leading then trailing per dimension), got "
           << pads.size();
  if (llvm::any_of(pads, [](int64_t p) { return p < 0; }))
    return emitOpError("expects non-negative pads, got ") << formatList(pads);
  SmallVector<int64_t> expected;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t before = pads[d], after = pads[d + rank];
    if (getMode() == PadMode::Reflect && (before >= in[d] || after >= in[d]))
      return emitOpError("expects reflect pads smaller than the dimension, "
                         "got ")
             << before << " and " << after << " for dimension " << d
             << " of size " << in[d];
    if (getMode() == PadMode::Edge && in[d] == 0 && before + after > 0)
      return emitOpError("cannot edge-pad the empty dimension ") << d;
    expected.push_back(in[d] + before + after);
  }
  return verifyResultShape(getOperation(), expected, "input plus pads");
}

LogicalResult BroadcastOp::verify() {
  if (failed(verifySameElementTypes(getOperation())))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getOutput());
  auto shape = broadcastShapes(in, out);
  if (!shape || ArrayRef<int64_t>(*shape) != out)
    return emitOpError("cannot broadcast ")
           << formatShape(in) << " to " << formatShape(out);
  return success();
}

LogicalResult GatherOp::verify() {
  ArrayRef<int64_t> data = shapeOf(getData()), indices = shapeOf(getIndices());
  if (data.empty())
    return emitOpError("expects data of rank 1 or more");
  if (failed(verifyAxis(*this, getAxis(), data.size())))
    return failure();
  Type dt = getData().getType().getElementType();
  Type ot = getOutput().getType().getElementType();
  if (dt != ot)
    return emitOpError("expects the result to have the data's element type ")
           << dt << ", got " << ot;
  int64_t axis = getAxis();
  SmallVector<int64_t> expected(data.begin(), data.begin() + axis);
  expected.append(indices.begin(), indices.end());
  expected.append(data.begin() + axis + 1, data.end());
  return verifyResultShape(*this, expected,
                           "data dims before the axis, indices, dims after");
}

#define GET_OP_CLASSES
#include "tandem/Dialect/Accel/IR/AccelOps.cpp.inc"
