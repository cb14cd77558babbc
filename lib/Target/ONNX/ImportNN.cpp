//===- ImportNN.cpp - Convolution, matmul, pooling, normalization ---------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Dialect/Accel/IR/ShapeUtils.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace tandem::accel;

namespace tandem::onnx_import {
namespace {

/// Strides, pads ([top, left, bottom, right]) and dilations of a 2-D window
/// op, with auto_pad resolved the way ONNX defines it.
struct Window {
  SmallVector<int64_t> strides, pads, dilations;
};

FailureOr<Window> getWindow(NodeImporter &node, ArrayRef<int64_t> inputHW,
                            ArrayRef<int64_t> kernel) {
  Window w;
  w.strides = node.getInts("strides");
  w.dilations = node.getInts("dilations");
  w.pads = node.getInts("pads");
  if (w.strides.empty())
    w.strides = {1, 1};
  if (w.dilations.empty())
    w.dilations = {1, 1};
  if (w.pads.empty())
    w.pads = {0, 0, 0, 0};
  if (w.strides.size() != 2 || w.dilations.size() != 2 || w.pads.size() != 4) {
    node.emitError() << "expects 2 strides, 2 dilations and 4 pads for a 2-D "
                        "window, got "
                     << w.strides.size() << ", " << w.dilations.size()
                     << " and " << w.pads.size();
    return failure();
  }
  // Bounds that keep every window computation far from int64's limits.
  constexpr int64_t kLargest = int64_t(1) << 31;
  auto inRange = [&](ArrayRef<int64_t> values, int64_t low, StringRef what) {
    for (int64_t v : values)
      if (v < low || v >= kLargest) {
        node.emitError() << what << " " << formatList(values)
                         << " must lie in [" << low << ", 2^31)";
        return false;
      }
    return true;
  };
  if (!inRange(w.strides, 1, "strides") ||
      !inRange(w.dilations, 1, "dilations") || !inRange(w.pads, 0, "pads"))
    return failure();
  std::string autoPad = node.getString("auto_pad", "NOTSET");
  if (autoPad == "NOTSET")
    return w;
  if (autoPad == "VALID") {
    w.pads = {0, 0, 0, 0};
    return w;
  }
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER") {
    node.emitError() << "unknown auto_pad '" << autoPad << "'";
    return failure();
  }
  // SAME: output = ceil(input / stride); the odd pad goes to the end for
  // SAME_UPPER and to the beginning for SAME_LOWER.
  for (int d = 0; d < 2; ++d) {
    int64_t out = (inputHW[d] + w.strides[d] - 1) / w.strides[d];
    int64_t extent = (kernel[d] - 1) * w.dilations[d] + 1;
    int64_t total =
        std::max<int64_t>(0, (out - 1) * w.strides[d] + extent - inputHW[d]);
    int64_t small = total / 2, large = total - small;
    w.pads[d] = autoPad == "SAME_UPPER" ? small : large;
    w.pads[d + 2] = autoPad == "SAME_UPPER" ? large : small;
  }
  return w;
}

LogicalResult requireRank(NodeImporter &node, unsigned input, int64_t rank,
                          StringRef what) {
  int64_t actual = node.getInputShape(input).size();
  if (actual == rank)
    return success();
  return node.unsupported(Twine(what) + " with a rank-" + Twine(actual) +
                          " input (only rank " + Twine(rank) +
                          ", i.e. 2-D NCHW, is supported)");
}

LogicalResult importConv(NodeImporter &node) {
  if (failed(requireRank(node, 0, 4, "Conv")))
    return failure();
  ArrayRef<int64_t> in = node.getInputShape(0), w = node.getInputShape(1);
  if (w.size() != 4)
    return node.emitError()
           << "expects a rank-4 weight, got " << formatShape(w);
  SmallVector<int64_t> kernel = node.getInts("kernel_shape");
  if (!kernel.empty() && ArrayRef<int64_t>(kernel) != w.drop_front(2))
    return node.emitError()
           << "kernel_shape " << formatList(kernel)
           << " disagrees with the weight's " << formatShape(w.drop_front(2));
  auto window = getWindow(node, in.drop_front(2), w.drop_front(2));
  if (failed(window))
    return failure();
  int64_t groups = node.getInt("group", 1);
  int64_t p =
      getWindowOutputSize(in[2], w[2], window->strides[0], window->dilations[0],
                          window->pads[0], window->pads[2]);
  int64_t q =
      getWindowOutputSize(in[3], w[3], window->strides[1], window->dilations[1],
                          window->pads[1], window->pads[3]);
  auto x = node.getInput(0), weight = node.getInput(1);
  if (failed(x) || failed(weight))
    return failure();
  Value bias;
  if (node.hasInput(2)) {
    auto b = node.getInput(2);
    if (failed(b))
      return failure();
    bias = *b;
  }
  auto type = node.getTensorType(
      {in[0], w[0], std::max<int64_t>(p, 1), std::max<int64_t>(q, 1)},
      node.getInputDType(0));
  OpBuilder &b = node.getBuilder();
  node.setOutput(
      0, node.create<Conv2DOp>(type, *x, *weight, bias,
                               b.getDenseI64ArrayAttr(window->strides),
                               b.getDenseI64ArrayAttr(window->pads),
                               b.getDenseI64ArrayAttr(window->dilations),
                               b.getI64IntegerAttr(groups)));
  return success();
}

/// MaxPool, AveragePool and the global forms.
LogicalResult importPool(NodeImporter &node, PoolKind kind, bool global) {
  if (failed(requireRank(node, 0, 4, node.getOpType())))
    return failure();
  if (node.isOutputUsed(1))
    return node.unsupported("MaxPool's Indices output");
  if (node.getInt("storage_order", 0) != 0)
    return node.unsupported("MaxPool with storage_order = 1");
  ArrayRef<int64_t> in = node.getInputShape(0);
  SmallVector<int64_t> kernel = global ? SmallVector<int64_t>{in[2], in[3]}
                                       : node.getInts("kernel_shape");
  if (kernel.size() != 2)
    return node.emitError()
           << "expects a 2-D kernel_shape, got " << formatList(kernel);
  auto window = global ? FailureOr<Window>(Window{{1, 1}, {0, 0, 0, 0}, {1, 1}})
                       : getWindow(node, in.drop_front(2), kernel);
  if (failed(window))
    return failure();
  bool ceilMode = node.getInt("ceil_mode", 0) != 0;
  int64_t p = getWindowOutputSize(in[2], kernel[0], window->strides[0],
                                  window->dilations[0], window->pads[0],
                                  window->pads[2], ceilMode);
  int64_t q = getWindowOutputSize(in[3], kernel[1], window->strides[1],
                                  window->dilations[1], window->pads[1],
                                  window->pads[3], ceilMode);
  auto x = node.getInput(0);
  if (failed(x))
    return failure();
  bool countIncludePad =
      kind == PoolKind::Avg && node.getInt("count_include_pad", 0) != 0;
  auto type = node.getTensorType(
      {in[0], in[1], std::max<int64_t>(p, 1), std::max<int64_t>(q, 1)},
      node.getInputDType(0));
  node.setOutput(0, node.create<Pool2DOp>(type, kind, *x, ArrayRef(kernel),
                                          ArrayRef(window->strides),
                                          ArrayRef(window->pads),
                                          ArrayRef(window->dilations), ceilMode,
                                          countIncludePad));
  return success();
}

LogicalResult importMaxPool(NodeImporter &node) {
  return importPool(node, PoolKind::Max, /*global=*/false);
}
LogicalResult importAveragePool(NodeImporter &node) {
  return importPool(node, PoolKind::Avg, /*global=*/false);
}
LogicalResult importGlobalAveragePool(NodeImporter &node) {
  return importPool(node, PoolKind::Avg, /*global=*/true);
}
LogicalResult importGlobalMaxPool(NodeImporter &node) {
  return importPool(node, PoolKind::Max, /*global=*/true);
}

/// A constant or an accel.transpose of a rank-2 value.
FailureOr<Value> transpose2D(NodeImporter &node, unsigned input) {
  ArrayRef<int64_t> shape = node.getInputShape(input);
  SmallVector<int64_t> perm = {1, 0};
  if (const HostTensor *c = node.getConstant(input)) {
    // Fold weights into the layout the matmul wants (Gemm transB = 1).
    Value t = node.createConstant(foldTranspose(*c, perm), "transposed");
    if (!t)
      return failure();
    return t;
  }
  auto x = node.getInput(input);
  if (failed(x))
    return failure();
  return node
      .create<TransposeOp>(
          node.getTensorType({shape[1], shape[0]}, node.getInputDType(input)),
          *x, node.getBuilder().getDenseI64ArrayAttr(perm))
      .getResult();
}

/// A scalar constant tensor of the given element type.
Value scalarConstant(NodeImporter &node, int32_t dtype, double value) {
  return node.createConstant(HostTensor::fromDoubles(dtype, {}, {value}),
                             "scalar");
}

/// Gemm: Y = alpha * A' B' + beta * C, with A' and B' optionally transposed.
LogicalResult importGemm(NodeImporter &node) {
  ArrayRef<int64_t> aShape = node.getInputShape(0),
                    bShape = node.getInputShape(1);
  if (aShape.size() != 2 || bShape.size() != 2)
    return node.emitError()
           << "expects rank-2 A and B, got " << formatShape(aShape) << " and "
           << formatShape(bShape);
  bool transA = node.getInt("transA", 0), transB = node.getInt("transB", 0);
  float alpha = node.getFloat("alpha", 1.0f),
        beta = node.getFloat("beta", 1.0f);
  int32_t dtype = node.getInputDType(0);
  auto a = transA ? transpose2D(node, 0) : node.getInput(0);
  auto b = transB ? transpose2D(node, 1) : node.getInput(1);
  if (failed(a) || failed(b))
    return failure();
  int64_t m = transA ? aShape[1] : aShape[0];
  int64_t n = transB ? bShape[0] : bShape[1];
  auto type = node.getTensorType({m, n}, dtype);
  Value y = node.create<MatmulOp>(type, *a, *b);
  if (alpha != 1.0f)
    y = node.create<MulOp>(type, y, scalarConstant(node, dtype, alpha));
  if (node.hasInput(2) && beta != 0.0f) {
    ArrayRef<int64_t> cShape = node.getInputShape(2);
    auto bc = broadcastShapes(cShape, {m, n});
    if (!bc || ArrayRef<int64_t>(*bc) != ArrayRef<int64_t>{m, n})
      return node.emitError() << "C of shape " << formatShape(cShape)
                              << " does not broadcast to " << m << "x" << n;
    Value c;
    if (const HostTensor *cc = node.getConstant(2); cc && beta != 1.0f) {
      c = node.createConstant(
          foldUnary(*cc, [=](double v) { return beta * v; }), "scaled_c");
      if (!c)
        return failure();
    } else {
      auto input = node.getInput(2);
      if (failed(input))
        return failure();
      c = *input;
      if (beta != 1.0f)
        c = node.create<MulOp>(node.getTensorType(cShape, dtype), c,
                               scalarConstant(node, dtype, beta));
    }
    y = node.create<AddOp>(type, y, c);
  }
  node.setOutput(0, y);
  return success();
}

/// MatMul with numpy semantics: 1-D operands get a unit dimension that is
/// removed from the result again.
LogicalResult importMatMul(NodeImporter &node) {
  ArrayRef<int64_t> lhsShape = node.getInputShape(0),
                    rhsShape = node.getInputShape(1);
  if (lhsShape.empty() || rhsShape.empty())
    return node.emitError() << "expects operands of rank 1 or more";
  auto lhs = node.getInput(0), rhs = node.getInput(1);
  if (failed(lhs) || failed(rhs))
    return failure();
  int32_t dtype = node.getInputDType(0);
  SmallVector<int64_t> l(lhsShape), r(rhsShape);
  bool lhsVector = l.size() == 1, rhsVector = r.size() == 1;
  if (lhsVector) {
    l.insert(l.begin(), 1);
    *lhs = node.create<ReshapeOp>(node.getTensorType(l, dtype), *lhs);
  }
  if (rhsVector) {
    r.push_back(1);
    *rhs = node.create<ReshapeOp>(node.getTensorType(r, dtype), *rhs);
  }
  if (l.back() != r[r.size() - 2])
    return node.emitError()
           << "contracted dimensions differ: " << formatShape(lhsShape) << " x "
           << formatShape(rhsShape);
  auto batch =
      broadcastShapes(ArrayRef(l).drop_back(2), ArrayRef(r).drop_back(2));
  if (!batch)
    return node.emitError()
           << "batch dimensions of " << formatShape(lhsShape) << " and "
           << formatShape(rhsShape) << " do not broadcast";
  SmallVector<int64_t> out(batch->begin(), batch->end());
  out.push_back(l[l.size() - 2]);
  out.push_back(r.back());
  Value y = node.create<MatmulOp>(node.getTensorType(out, dtype), *lhs, *rhs);
  if (lhsVector || rhsVector) {
    SmallVector<int64_t> squeezed(batch->begin(), batch->end());
    if (!lhsVector)
      squeezed.push_back(l[l.size() - 2]);
    if (!rhsVector)
      squeezed.push_back(r.back());
    y = node.create<ReshapeOp>(node.getTensorType(squeezed, dtype), y);
  }
  node.setOutput(0, y);
  return success();
}

LogicalResult importBatchNormalization(NodeImporter &node) {
  if (node.getInt("training_mode", 0) != 0)
    return node.unsupported("BatchNormalization in training mode");
  if (node.isOutputUsed(1) || node.isOutputUsed(2))
    return node.unsupported("BatchNormalization's running mean/var outputs");
  SmallVector<Value> operands;
  for (unsigned i = 0; i < 5; ++i) {
    auto v = node.getInput(i);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  node.setOutput(0, node.create<BatchNormOp>(
                        operands[0].getType(), operands[0], operands[1],
                        operands[2], operands[3], operands[4],
                        node.getBuilder().getF32FloatAttr(
                            node.getFloat("epsilon", 1e-5f))));
  return success();
}

LogicalResult importSoftmax(NodeImporter &node) {
  int64_t rank = node.getInputShape(0).size();
  auto axis = node.normalizeAxis(node.getInt("axis", -1), rank);
  auto x = node.getInput(0);
  if (failed(axis) || failed(x))
    return failure();
  node.setOutput(
      0, node.create<SoftmaxOp>(x->getType(), *x,
                                node.getBuilder().getI64IntegerAttr(*axis)));
  return success();
}

/// LayerNormalization's optional Mean and InvStdDev outputs, from accel ops:
/// mean(x), 1 / sqrt(mean((x - mean)^2) + epsilon), over the normalized
/// axes with those axes kept as size 1.
LogicalResult importLayerNormStatistics(NodeImporter &node, Value x,
                                        int64_t axis, float epsilon) {
  auto type = cast<RankedTensorType>(x.getType());
  int32_t dtype = node.getInputDType(0);
  SmallVector<int64_t> axes, keptShape(type.getShape());
  for (int64_t d = axis; d < type.getRank(); ++d) {
    axes.push_back(d);
    keptShape[d] = 1;
  }
  OpBuilder &b = node.getBuilder();
  auto keptType = node.getTensorType(keptShape, dtype);
  auto axesAttr = b.getDenseI64ArrayAttr(axes);
  Value mean =
      node.create<ReduceMeanOp>(keptType, x, axesAttr, b.getUnitAttr());
  Value centered = node.create<SubOp>(type, x, mean);
  Value squared = node.create<MulOp>(type, centered, centered);
  Value var =
      node.create<ReduceMeanOp>(keptType, squared, axesAttr, b.getUnitAttr());
  Value eps = scalarConstant(node, dtype, epsilon);
  Value one = scalarConstant(node, dtype, 1.0);
  if (!eps || !one)
    return failure();
  Value stddev =
      node.create<SqrtOp>(keptType, node.create<AddOp>(keptType, var, eps));
  node.setOutput(1, mean);
  node.setOutput(2, node.create<DivOp>(keptType, one, stddev).getResult());
  return success();
}

LogicalResult importLayerNormalization(NodeImporter &node) {
  ArrayRef<int64_t> in = node.getInputShape(0);
  auto axis = node.normalizeAxis(node.getInt("axis", -1), in.size());
  if (failed(axis))
    return failure();
  ArrayRef<int64_t> normalized = in.drop_front(*axis);
  int32_t dtype = node.getInputDType(0);
  // Scale and bias may be given with leading unit dims; reshape them.
  auto param = [&](unsigned i) -> FailureOr<Value> {
    auto v = node.getInput(i);
    if (failed(v))
      return failure();
    ArrayRef<int64_t> shape = node.getInputShape(i);
    if (shape == normalized)
      return *v;
    if (getNumElements(shape) != getNumElements(normalized)) {
      (void)node.unsupported("LayerNormalization with a scale or bias of "
                             "shape " +
                             formatShape(shape) + " broadcast over " +
                             formatShape(normalized));
      return failure();
    }
    return node.create<ReshapeOp>(node.getTensorType(normalized, dtype), *v)
        .getResult();
  };
  auto x = node.getInput(0);
  auto scale = param(1);
  if (failed(x) || failed(scale))
    return failure();
  Value bias;
  if (node.hasInput(2)) {
    auto b = param(2);
    if (failed(b))
      return failure();
    bias = *b;
  }
  OpBuilder &b = node.getBuilder();
  float epsilon = node.getFloat("epsilon", 1e-5f);
  node.setOutput(0, node.create<LayerNormOp>(x->getType(), *x, *scale, bias,
                                             b.getI64IntegerAttr(*axis),
                                             b.getF32FloatAttr(epsilon)));
  if (node.isOutputUsed(1) || node.isOutputUsed(2))
    return importLayerNormStatistics(node, *x, *axis, epsilon);
  return success();
}

/// ReduceMean/ReduceSum with axes as an attribute (ReduceMean-13) or as an
/// optional input (ReduceSum-13, ReduceMean-18).
template <typename OpTy> LogicalResult importReduce(NodeImporter &node) {
  ArrayRef<int64_t> in = node.getInputShape(0);
  int64_t rank = in.size();
  SmallVector<int64_t> axes = node.getInts("axes");
  if (node.hasInput(1)) {
    auto given = node.getConstantInts(1, "axes");
    if (failed(given))
      return failure();
    axes = *given;
  }
  bool keepdims = node.getInt("keepdims", 1) != 0;
  auto x = node.getInput(0);
  if (failed(x))
    return failure();
  if (axes.empty()) {
    if (node.getInt("noop_with_empty_axes", 0) != 0) {
      node.setOutput(0, *x);
      return success();
    }
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  for (int64_t &axis : axes) {
    auto a = node.normalizeAxis(axis, rank, "reduction axis");
    if (failed(a))
      return failure();
    axis = *a;
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  SmallVector<int64_t> out;
  for (int64_t d = 0; d < rank; ++d) {
    if (!llvm::is_contained(axes, d))
      out.push_back(in[d]);
    else if (keepdims)
      out.push_back(1);
  }
  OpBuilder &b = node.getBuilder();
  node.setOutput(
      0, node.create<OpTy>(node.getTensorType(out, node.getInputDType(0)), *x,
                           b.getDenseI64ArrayAttr(axes),
                           keepdims ? b.getUnitAttr() : UnitAttr()));
  return success();
}

} // namespace

void addNNHandlers(HandlerTable &table) {
  table["Conv"] = importConv;
  table["Gemm"] = importGemm;
  table["MatMul"] = importMatMul;
  table["BatchNormalization"] = importBatchNormalization;
  table["MaxPool"] = importMaxPool;
  table["AveragePool"] = importAveragePool;
  table["GlobalAveragePool"] = importGlobalAveragePool;
  table["GlobalMaxPool"] = importGlobalMaxPool;
  table["Softmax"] = importSoftmax;
  table["LayerNormalization"] = importLayerNormalization;
  table["ReduceMean"] = importReduce<ReduceMeanOp>;
  table["ReduceSum"] = importReduce<ReduceSumOp>;
}

} // namespace tandem::onnx_import
