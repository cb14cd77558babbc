//===- ImportShapeOps.cpp - Layout, data movement and constants -----------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Reshape and friends, Transpose, Concat, Split, Slice, Gather, Pad, Expand,
// and the ops that produce constants (Constant, ConstantOfShape, Shape). The
// shape subgraphs PyTorch's exporter emits (Shape -> Gather -> Unsqueeze ->
// Concat -> Reshape) fold to constants here, so the imported graph is static.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Dialect/Accel/IR/ShapeUtils.h"

#include "llvm/Support/CheckedArithmetic.h"

#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace tandem::accel;

namespace tandem::onnx_import {
namespace {

/// Output `out` is input `in` with a new shape of the same size.
LogicalResult setReshaped(NodeImporter &node, unsigned in,
                          ArrayRef<int64_t> shape, unsigned out = 0) {
  if (getNumElements(shape) != getNumElements(node.getInputShape(in)))
    return node.emitError()
           << "cannot reshape " << formatShape(node.getInputShape(in)) << " ("
           << getNumElements(node.getInputShape(in)) << " elements) to "
           << formatShape(shape);
  if (const HostTensor *c = node.getConstant(in)) {
    node.setOutput(out, c->reshaped(shape));
    return success();
  }
  auto x = node.getInput(in);
  if (failed(x))
    return failure();
  if (node.getInputShape(in) == shape) {
    node.setOutput(out, *x);
    return success();
  }
  node.setOutput(out,
                 node.create<ReshapeOp>(
                     node.getTensorType(shape, node.getInputDType(in)), *x));
  return success();
}

LogicalResult importReshape(NodeImporter &node) {
  auto target = node.getConstantInts(1, "the target shape");
  if (failed(target))
    return failure();
  ArrayRef<int64_t> in = node.getInputShape(0);
  bool allowZero = node.getInt("allowzero", 0) != 0;
  SmallVector<int64_t> shape;
  int inferred = -1;
  int64_t known = 1;
  for (auto [i, d] : llvm::enumerate(*target)) {
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        return node.emitError() << "shape entry " << i
                                << " is 0 (copy the input's dimension), but "
                                   "the input has rank "
                                << in.size();
      d = in[i];
    }
    if (d == -1) {
      if (inferred >= 0)
        return node.emitError()
               << "shape " << formatList(*target) << " has more than one -1";
      inferred = i;
    } else if (d < 0) {
      return node.emitError()
             << "shape " << formatList(*target) << " has a negative entry";
    } else {
      // A product that wraps could match the input's count by accident.
      std::optional<int64_t> product = llvm::checkedMul(known, d);
      if (!product)
        return node.emitError() << "shape " << formatList(*target)
                                << " has more elements than int64 can count";
      known = *product;
    }
    shape.push_back(d);
  }
  if (inferred >= 0) {
    int64_t total = getNumElements(in);
    if (known == 0 || total % known != 0)
      return node.emitError()
             << "cannot infer the -1 in " << formatList(*target) << " for "
             << formatShape(in);
    shape[inferred] = total / known;
  }
  return setReshaped(node, 0, shape);
}

LogicalResult importFlatten(NodeImporter &node) {
  ArrayRef<int64_t> in = node.getInputShape(0);
  int64_t rank = in.size();
  int64_t axis = node.getInt("axis", 1);
  if (axis < -rank || axis > rank)
    return node.emitError()
           << "axis " << axis << " is out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  return setReshaped(node, 0,
                     {getNumElements(in.take_front(axis)),
                      getNumElements(in.drop_front(axis))});
}

/// Axes from the optional second input (opset 13) or the attribute.
FailureOr<SmallVector<int64_t>> getAxes(NodeImporter &node, int64_t rank) {
  SmallVector<int64_t> axes = node.getInts("axes");
  if (node.hasInput(1)) {
    auto given = node.getConstantInts(1, "axes");
    if (failed(given))
      return failure();
    axes = *given;
  }
  for (int64_t &axis : axes) {
    auto a = node.normalizeAxis(axis, rank);
    if (failed(a))
      return failure();
    axis = *a;
  }
  return axes;
}

LogicalResult importSqueeze(NodeImporter &node) {
  ArrayRef<int64_t> in = node.getInputShape(0);
  auto axes = getAxes(node, in.size());
  if (failed(axes))
    return failure();
  SmallVector<int64_t> shape;
  for (auto [d, size] : llvm::enumerate(in)) {
    bool listed = llvm::is_contained(*axes, (int64_t)d);
    if (listed && size != 1)
      return node.emitError()
             << "cannot squeeze dimension " << d << " of size " << size;
    if (!(listed || (axes->empty() && size == 1)))
      shape.push_back(size);
  }
  return setReshaped(node, 0, shape);
}

LogicalResult importUnsqueeze(NodeImporter &node) {
  ArrayRef<int64_t> in = node.getInputShape(0);
  int64_t rank = in.size();
  SmallVector<int64_t> raw = node.getInts("axes");
  if (node.hasInput(1)) {
    auto given = node.getConstantInts(1, "axes");
    if (failed(given))
      return failure();
    raw = *given;
  }
  int64_t outRank = rank + raw.size();
  SmallVector<bool> inserted(outRank, false);
  for (int64_t axis : raw) {
    auto a = node.normalizeAxis(axis, outRank);
    if (failed(a))
      return failure();
    if (inserted[*a])
      return node.emitError() << "axis " << axis << " is listed twice";
    inserted[*a] = true;
  }
  SmallVector<int64_t> shape;
  size_t next = 0;
  for (int64_t d = 0; d < outRank; ++d)
    shape.push_back(inserted[d] ? 1 : in[next++]);
  return setReshaped(node, 0, shape);
}

LogicalResult importTranspose(NodeImporter &node) {
  ArrayRef<int64_t> in = node.getInputShape(0);
  SmallVector<int64_t> perm = node.getInts("perm");
  if (perm.empty())
    for (int64_t d = in.size() - 1; d >= 0; --d)
      perm.push_back(d);
  SmallVector<bool> seen(in.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (perm.size() != in.size() || p < 0 || p >= (int64_t)in.size() || seen[p])
      return node.emitError() << "perm " << formatList(perm)
                              << " is not a permutation of the input's "
                              << in.size() << " dimensions";
    seen[p] = true;
    shape.push_back(in[p]);
  }
  if (const HostTensor *c = node.getConstant(0)) {
    node.setOutput(0, foldTranspose(*c, perm));
    return success();
  }
  auto x = node.getInput(0);
  if (failed(x))
    return failure();
  if (llvm::equal(perm, llvm::seq<int64_t>(0, in.size()))) {
    node.setOutput(0, *x);
    return success();
  }
  node.setOutput(0, node.create<TransposeOp>(
                        node.getTensorType(shape, node.getInputDType(0)), *x,
                        node.getBuilder().getDenseI64ArrayAttr(perm)));
  return success();
}

LogicalResult importConcat(NodeImporter &node) {
  ArrayRef<int64_t> first = node.getInputShape(0);
  auto axis = node.normalizeAxis(node.getInt("axis", 0), first.size());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(first);
  shape[*axis] = 0;
  for (unsigned i = 0; i < node.getNumInputs(); ++i) {
    ArrayRef<int64_t> s = node.getInputShape(i);
    for (size_t d = 0; d < s.size(); ++d)
      if (s.size() != first.size() ||
          (static_cast<int64_t>(d) != *axis && s[d] != first[d]))
        return node.emitError() << "input " << i << " (" << formatShape(s)
                                << ") does not match input 0 ("
                                << formatShape(first) << ") off axis " << *axis;
    std::optional<int64_t> sum = llvm::checkedAdd(shape[*axis], s[*axis]);
    if (!sum)
      return node.emitError() << "the inputs' sizes along axis " << *axis
                              << " add up to more than int64 can count";
    shape[*axis] = *sum;
  }
  if (node.allInputsConstant()) {
    if (failed(node.checkFoldSize(shape, node.getInputDType(0))))
      return failure();
    SmallVector<const HostTensor *> parts;
    for (unsigned i = 0; i < node.getNumInputs(); ++i)
      parts.push_back(node.getConstant(i));
    node.setOutput(0, foldConcat(parts, *axis));
    return success();
  }
  // Empty pieces contribute nothing and cannot become MLIR values.
  SmallVector<Value> operands;
  for (unsigned i = 0; i < node.getNumInputs(); ++i) {
    if (node.getInputShape(i)[*axis] == 0)
      continue;
    auto v = node.getInput(i);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  if (operands.size() == 1) {
    node.setOutput(0, operands.front());
    return success();
  }
  node.setOutput(0, node.create<ConcatOp>(
                        node.getTensorType(shape, node.getInputDType(0)),
                        operands, node.getBuilder().getI64IntegerAttr(*axis)));
  return success();
}

/// Output `out` = input 0 at starts[d] + i * steps[d], `shape` elements.
LogicalResult setSliced(NodeImporter &node, ArrayRef<int64_t> starts,
                        ArrayRef<int64_t> steps, ArrayRef<int64_t> shape,
                        unsigned out = 0) {
  if (const HostTensor *c = node.getConstant(0)) {
    node.setOutput(out, foldSlice(*c, starts, steps, shape));
    return success();
  }
  auto x = node.getInput(0);
  if (failed(x))
    return failure();
  if (shape == node.getInputShape(0) &&
      llvm::all_of(starts, [](int64_t s) { return s == 0; }) &&
      llvm::all_of(steps, [](int64_t s) { return s == 1; })) {
    node.setOutput(out, *x);
    return success();
  }
  if (llvm::is_contained(shape, 0))
    return node.emitError() << "the slice is empty (" << formatShape(shape)
                            << "); empty tensors are not supported";
  OpBuilder &b = node.getBuilder();
  node.setOutput(out, node.create<SliceOp>(
                          node.getTensorType(shape, node.getInputDType(0)), *x,
                          b.getDenseI64ArrayAttr(starts),
                          b.getDenseI64ArrayAttr(steps)));
  return success();
}

LogicalResult importSlice(NodeImporter &node) {
  ArrayRef<int64_t> in = node.getInputShape(0);
  int64_t rank = in.size();
  auto starts = node.getConstantInts(1, "starts");
  auto ends = node.getConstantInts(2, "ends");
  if (failed(starts) || failed(ends))
    return failure();
  SmallVector<int64_t> axes, steps;
  if (node.hasInput(3)) {
    auto a = node.getConstantInts(3, "axes");
    if (failed(a))
      return failure();
    axes = *a;
  } else {
    for (int64_t d = 0; d < (int64_t)starts->size(); ++d)
      axes.push_back(d);
  }
  if (node.hasInput(4)) {
    auto s = node.getConstantInts(4, "steps");
    if (failed(s))
      return failure();
    steps = *s;
  } else {
    steps.assign(starts->size(), 1);
  }
  if (ends->size() != starts->size() || axes.size() != starts->size() ||
      steps.size() != starts->size())
    return node.emitError() << "starts, ends, axes and steps differ in length";

  SmallVector<int64_t> fullStarts(rank, 0), fullSteps(rank, 1);
  SmallVector<int64_t> shape(in);
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < axes.size(); ++i) {
    auto axis = node.normalizeAxis(axes[i], rank);
    if (failed(axis))
      return failure();
    if (seen[*axis])
      return node.emitError() << "axis " << axes[i] << " is sliced twice";
    seen[*axis] = true;
    int64_t dim = in[*axis], step = steps[i];
    if (step == 0)
      return node.emitError() << "step 0 along axis " << axes[i];
    // ONNX: negative starts/ends count from the end; then clamp.
    int64_t start = (*starts)[i], end = (*ends)[i];
    if (start < 0)
      start += dim;
    if (end < 0)
      end += dim;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
    }
    int64_t size = step > 0 ? (end - start + step - 1) / step
                            : (start - end + (-step) - 1) / (-step);
    shape[*axis] = std::max<int64_t>(0, size);
    fullStarts[*axis] = shape[*axis] ? start : 0;
    fullSteps[*axis] = step;
  }
  return setSliced(node, fullStarts, fullSteps, shape);
}

LogicalResult importSplit(NodeImporter &node) {
  ArrayRef<int64_t> in = node.getInputShape(0);
  auto axis = node.normalizeAxis(node.getInt("axis", 0), in.size());
  if (failed(axis))
    return failure();
  unsigned parts = node.getNumOutputs();
  SmallVector<int64_t> sizes = node.getInts("split");
  if (node.hasInput(1)) {
    auto given = node.getConstantInts(1, "split");
    if (failed(given))
      return failure();
    sizes = *given;
  }
  if (sizes.empty()) {
    if (in[*axis] % parts != 0)
      return node.emitError()
             << "cannot split " << in[*axis] << " elements evenly into "
             << parts << " outputs";
    sizes.assign(parts, in[*axis] / parts);
  }
  int64_t total = 0;
  for (int64_t s : sizes)
    total += s;
  if (sizes.size() != parts || total != in[*axis])
    return node.emitError()
           << "split sizes " << formatList(sizes) << " do not cover dimension "
           << *axis << " of size " << in[*axis] << " with " << parts
           << " outputs";
  SmallVector<int64_t> starts(in.size(), 0), steps(in.size(), 1);
  SmallVector<int64_t> shape(in);
  for (unsigned i = 0; i < parts; ++i) {
    shape[*axis] = sizes[i];
    if (node.isOutputUsed(i) &&
        failed(setSliced(node, starts, steps, shape, i)))
      return failure();
    starts[*axis] += sizes[i];
  }
  return success();
}

LogicalResult importGather(NodeImporter &node) {
  ArrayRef<int64_t> data = node.getInputShape(0);
  if (data.empty())
    return node.emitError() << "expects data of rank 1 or more";
  auto axis = node.normalizeAxis(node.getInt("axis", 0), data.size());
  if (failed(axis))
    return failure();
  ArrayRef<int64_t> indicesShape = node.getInputShape(1);
  SmallVector<int64_t> shape(data.take_front(*axis));
  shape.append(indicesShape.begin(), indicesShape.end());
  shape.append(data.begin() + *axis + 1, data.end());

  Value indices;
  if (const HostTensor *idx = node.getConstant(1)) {
    // Normalize known indices so folding and the op see them in range.
    HostTensor normalized(kInt64, idx->getShape());
    for (int64_t i = 0, e = idx->getNumElements(); i < e; ++i) {
      int64_t v = idx->getInt(i);
      if (v < -data[*axis] || v >= data[*axis])
        return node.emitError() << "index " << v << " is out of range for "
                                << "a dimension of size " << data[*axis];
      normalized.setInt(i, v < 0 ? v + data[*axis] : v);
    }
    if (const HostTensor *c = node.getConstant(0)) {
      if (failed(node.checkFoldSize(shape, c->getDType())))
        return failure();
      node.setOutput(0, foldGather(*c, normalized, *axis));
      return success();
    }
    indices = node.createConstant(normalized, "indices");
    if (!indices)
      return failure();
  } else {
    auto v = node.getInput(1);
    if (failed(v))
      return failure();
    indices = *v;
  }
  auto x = node.getInput(0);
  if (failed(x))
    return failure();
  node.setOutput(0, node.create<GatherOp>(
                        node.getTensorType(shape, node.getInputDType(0)), *x,
                        indices, node.getBuilder().getI64IntegerAttr(*axis)));
  return success();
}

LogicalResult importPad(NodeImporter &node) {
  ArrayRef<int64_t> in = node.getInputShape(0);
  int64_t rank = in.size();
  auto pads = node.getConstantInts(1, "pads");
  if (failed(pads))
    return failure();
  if ((int64_t)pads->size() != 2 * rank)
    return node.emitError()
           << "expects " << 2 * rank << " pads, got " << pads->size();
  double value = 0;
  if (node.hasInput(2)) {
    auto given = node.getConstantScalar(2, "constant_value");
    if (failed(given))
      return failure();
    value = *given;
  }
  std::string mode = node.getString("mode", "constant");
  PadMode padMode;
  if (mode == "constant")
    padMode = PadMode::Constant;
  else if (mode == "reflect")
    padMode = PadMode::Reflect;
  else if (mode == "edge")
    padMode = PadMode::Edge;
  else
    return node.unsupported("Pad mode '" + mode + "'");

  auto x = node.getInput(0);
  if (failed(x))
    return failure();
  int32_t dtype = node.getInputDType(0);
  // Negative pads crop: slice first, then pad by the positive amounts.
  SmallVector<int64_t> starts(rank, 0), steps(rank, 1), cropped(in);
  SmallVector<int64_t> positive(2 * rank, 0), shape(rank);
  bool crops = false;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t before = (*pads)[d], after = (*pads)[d + rank];
    if (before < 0) {
      starts[d] = -before;
      cropped[d] += before;
      crops = true;
    }
    if (after < 0) {
      cropped[d] += after;
      crops = true;
    }
    if (cropped[d] < 1)
      return node.emitError() << "pads " << formatList(*pads)
                              << " crop dimension " << d << " to nothing";
    positive[d] = std::max<int64_t>(before, 0);
    positive[d + rank] = std::max<int64_t>(after, 0);
    std::optional<int64_t> padded = llvm::checkedAdd(cropped[d], positive[d]);
    if (padded)
      padded = llvm::checkedAdd(*padded, positive[d + rank]);
    if (!padded)
      return node.emitError()
             << "pads " << formatList(*pads) << " make dimension " << d
             << " larger than int64 can count";
    shape[d] = *padded;
  }
  Value v = *x;
  OpBuilder &b = node.getBuilder();
  if (crops)
    v = node.create<SliceOp>(node.getTensorType(cropped, dtype), v,
                             b.getDenseI64ArrayAttr(starts),
                             b.getDenseI64ArrayAttr(steps));
  if (llvm::any_of(positive, [](int64_t p) { return p > 0; }))
    v = node.create<PadOp>(node.getTensorType(shape, dtype), v,
                           ArrayRef(positive), padMode,
                           llvm::APFloat(static_cast<float>(value)));
  node.setOutput(0, v);
  return success();
}

LogicalResult importExpand(NodeImporter &node) {
  auto target = node.getConstantInts(1, "the target shape");
  if (failed(target))
    return failure();
  ArrayRef<int64_t> in = node.getInputShape(0);
  auto shape = broadcastShapes(in, *target);
  if (!shape)
    return node.emitError() << "cannot expand " << formatShape(in) << " to "
                            << formatList(*target);
  if (const HostTensor *c = node.getConstant(0)) {
    if (failed(node.checkFoldSize(*shape, c->getDType())))
      return failure();
    node.setOutput(0, foldBroadcast(*c, *shape));
    return success();
  }
  auto x = node.getInput(0);
  if (failed(x))
    return failure();
  if (ArrayRef<int64_t>(*shape) == in) {
    node.setOutput(0, *x);
    return success();
  }
  node.setOutput(0, node.create<BroadcastOp>(
                        node.getTensorType(*shape, node.getInputDType(0)), *x));
  return success();
}

LogicalResult importShape(NodeImporter &node) {
  ArrayRef<int64_t> in = node.getInputShape(0);
  int64_t rank = in.size();
  int64_t start = node.getInt("start", 0), end = node.getInt("end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  SmallVector<int64_t> dims(in.begin() + start, in.begin() + end);
  node.setOutput(0, HostTensor::fromInts(kInt64, {(int64_t)dims.size()}, dims));
  return success();
}

LogicalResult importConstant(NodeImporter &node) {
  if (const auto *a = node.getAttr("value")) {
    onnx::TensorProto copy = a->t();
    auto t = HostTensor::fromProto(copy, ".");
    if (!t)
      return node.emitError() << llvm::toString(t.takeError());
    node.setOutput(0, std::move(*t));
    return success();
  }
  if (const auto *a = node.getAttr("value_float")) {
    node.setOutput(0, HostTensor::fromDoubles(kFloat, {}, {a->f()}));
    return success();
  }
  if (const auto *a = node.getAttr("value_int")) {
    node.setOutput(0, HostTensor::fromInts(kInt64, {}, {a->i()}));
    return success();
  }
  if (const auto *a = node.getAttr("value_floats")) {
    SmallVector<double> v(a->floats().begin(), a->floats().end());
    node.setOutput(0, HostTensor::fromDoubles(kFloat, {(int64_t)v.size()}, v));
    return success();
  }
  if (const auto *a = node.getAttr("value_ints")) {
    SmallVector<int64_t> v(a->ints().begin(), a->ints().end());
    node.setOutput(0, HostTensor::fromInts(kInt64, {(int64_t)v.size()}, v));
    return success();
  }
  return node.unsupported("Constant with a sparse or string value");
}

LogicalResult importConstantOfShape(NodeImporter &node) {
  auto shape = node.getConstantInts(0, "the shape");
  if (failed(shape))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return node.emitError()
             << "negative dimension in shape " << formatList(*shape);
  HostTensor fill = HostTensor::fromDoubles(kFloat, {1}, {0.0});
  if (const auto *a = node.getAttr("value")) {
    onnx::TensorProto copy = a->t();
    auto t = HostTensor::fromProto(copy, ".");
    if (!t)
      return node.emitError() << llvm::toString(t.takeError());
    if (t->getNumElements() != 1)
      return node.emitError() << "value must have one element";
    fill = std::move(*t);
  }
  if (failed(node.checkFoldSize(*shape, fill.getDType())))
    return failure();
  node.setOutput(0, foldBroadcast(fill.reshaped({}), *shape));
  return success();
}

/// Identity and inference-mode Dropout pass their input through.
LogicalResult importIdentity(NodeImporter &node) {
  if (node.getOpType() == "Dropout") {
    // In inference every element is kept: the mask is all true.
    if (node.isOutputUsed(1)) {
      if (failed(node.checkFoldSize(node.getInputShape(0), kBool)))
        return failure();
      node.setOutput(1, foldBroadcast(HostTensor::fromInts(kBool, {}, {1}),
                                      node.getInputShape(0)));
    }
    if (node.hasInput(2)) {
      auto training = node.getConstantScalar(2, "training_mode");
      if (failed(training))
        return failure();
      if (*training != 0)
        return node.unsupported("Dropout in training mode");
    }
  }
  if (const HostTensor *c = node.getConstant(0)) {
    node.setOutput(0, *c);
    return success();
  }
  auto x = node.getInput(0);
  if (failed(x))
    return failure();
  node.setOutput(0, *x);
  return success();
}

} // namespace

void addShapeHandlers(HandlerTable &table) {
  table["Reshape"] = importReshape;
  table["Flatten"] = importFlatten;
  table["Squeeze"] = importSqueeze;
  table["Unsqueeze"] = importUnsqueeze;
  table["Transpose"] = importTranspose;
  table["Concat"] = importConcat;
  table["Split"] = importSplit;
  table["Slice"] = importSlice;
  table["Gather"] = importGather;
  table["Pad"] = importPad;
  table["Expand"] = importExpand;
  table["Shape"] = importShape;
  table["Constant"] = importConstant;
  table["ConstantOfShape"] = importConstantOfShape;
  table["Identity"] = importIdentity;
  table["Dropout"] = importIdentity;
}

} // namespace tandem::onnx_import
