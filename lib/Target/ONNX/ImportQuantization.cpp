//===- ImportQuantization.cpp - QuantizeLinear, DequantizeLinear, Clip ----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// QDQ models carry quantization as QuantizeLinear / DequantizeLinear pairs
// around float ops (opset 10+, per-axis from 13). They import as upstream
// quant casts: QuantizeLinear -> quant.qcast to !quant.uniform<i8:f32, s:z>
// (uint8 becomes int8 with the zero point moved by -128: the same reals),
// of a constant -> an integer constant behind quant.scast; a Clip of a
// quantized tensor -> accel.cast to the narrower storage range; and
// DequantizeLinear -> quant.dcast (int32 biases: constant + scast + dcast).
// --accel-fold-qdq then turns the float ops between them into quantized
// ops (docs/quantization.md).
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"
#include "HostTensor.h"

#include "tandem/Dialect/Accel/IR/AccelOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace tandem::accel;

namespace tandem::onnx_import {
namespace {

/// The quantized type QuantizeLinear / DequantizeLinear inputs 1 and 2
/// describe, for a tensor of `rank`; unsigned storage is shifted to signed.
FailureOr<Type> getLinearType(NodeImporter &node, int64_t rank, bool int32) {
  const HostTensor *scale = node.getConstant(1);
  const HostTensor *zero = node.hasInput(2) ? node.getConstant(2) : nullptr;
  if (!scale || (node.hasInput(2) && !zero))
    return node.unsupported("a non-constant scale or zero point");
  int32_t zeroType = zero ? zero->getDType() : onnx::TensorProto::UINT8;
  bool isUnsigned = zeroType == onnx::TensorProto::UINT8;
  if (!isUnsigned && zeroType != onnx::TensorProto::INT8 &&
      !(int32 && zeroType == onnx::TensorProto::INT32))
    return node.unsupported("zero points of this element type");
  int64_t n = scale->getNumElements();
  if (n == 0 || scale->getRank() > 1 || (zero && zero->getNumElements() != n))
    return node.emitError() << "expects a scalar or 1-D scale with a zero "
                               "point of the same shape";
  int64_t axis = node.getInt("axis", 1);
  if (axis < 0)
    axis += rank;
  SmallVector<double> scales;
  SmallVector<int64_t> zeros;
  for (int64_t i = 0; i < n; ++i) {
    double s = scale->getDouble(i);
    if (!(s > 0) || !std::isfinite(s))
      return node.emitError() << "scale " << s << " is not positive";
    scales.push_back(s);
    zeros.push_back((zero ? zero->getInt(i) : 0) - (isUnsigned ? 128 : 0));
  }
  MLIRContext *ctx = node.getContext();
  unsigned width = zeroType == onnx::TensorProto::INT32 ? 32 : 8;
  auto storage = IntegerType::get(ctx, width);
  int64_t lo = -(int64_t(1) << (width - 1)),
          hi = (int64_t(1) << (width - 1)) - 1;
  auto f32 = Float32Type::get(ctx);
  if (scale->getRank() == 0)
    return Type(quant::UniformQuantizedType::get(
        quant::QuantizationFlags::Signed, storage, f32, scales[0], zeros[0], lo,
        hi));
  if (axis < 0 || axis >= rank)
    return node.emitError() << "axis " << node.getInt("axis", 1)
                            << " is out of range for rank " << rank;
  return Type(quant::UniformQuantizedPerAxisType::get(
      quant::QuantizationFlags::Signed, storage, f32, scales, zeros, axis, lo,
      hi));
}

LogicalResult importQuantizeLinear(NodeImporter &node) {
  ArrayRef<int64_t> shape = node.getInputShape(0);
  FailureOr<Type> qtype = getLinearType(node, shape.size(), false);
  if (failed(qtype))
    return failure();
  auto type = RankedTensorType::get(shape, *qtype);
  if (const HostTensor *c = node.getConstant(0)) {
    // A weight: its integers now, behind a storage cast.
    auto q = cast<quant::QuantizedType>(*qtype);
    auto axisType = dyn_cast<quant::UniformQuantizedPerAxisType>(*qtype);
    auto tensorType = dyn_cast<quant::UniformQuantizedType>(*qtype);
    int64_t axis = axisType ? axisType.getQuantizedDimension() : 0;
    int64_t inner = 1;
    for (size_t d = axis + 1; d < shape.size(); ++d)
      inner *= shape[d];
    SmallVector<APInt> ints;
    for (int64_t i = 0, e = c->getNumElements(); i < e; ++i) {
      int64_t ch = axisType ? (i / inner) % shape[axis] : 0;
      double s = axisType ? axisType.getScales()[ch] : tensorType.getScale();
      int64_t z =
          axisType ? axisType.getZeroPoints()[ch] : tensorType.getZeroPoint();
      double v = std::nearbyint(float(c->getDouble(i)) / float(s)) + z;
      v = std::clamp<double>(v, q.getStorageTypeMin(), q.getStorageTypeMax());
      ints.push_back(APInt(8, static_cast<int64_t>(v), true));
    }
    auto intType = RankedTensorType::get(shape, node.getBuilder().getI8Type());
    Value raw =
        node.create<arith::ConstantOp>(DenseElementsAttr::get(intType, ints));
    node.setOutput(0, node.create<quant::StorageCastOp>(type, raw).getResult());
    return success();
  }
  auto x = node.getInput(0);
  if (failed(x))
    return failure();
  // Per-axis activations too: the quant.qcast verifier checks the axis.
  node.setOutput(0, node.create<quant::QuantizeCastOp>(type, *x).getResult());
  return success();
}

LogicalResult importDequantizeLinear(NodeImporter &node) {
  ArrayRef<int64_t> shape = node.getInputShape(0);
  auto f32Type = node.getTensorType(shape, onnx::TensorProto::FLOAT);
  if (const HostTensor *c = node.getConstant(0)) {
    // Integers stored in the model (an int32 bias, int8 weights).
    FailureOr<Type> qtype = getLinearType(
        node, shape.size(), c->getDType() == onnx::TensorProto::INT32);
    if (failed(qtype))
      return failure();
    unsigned width =
        cast<quant::QuantizedType>(*qtype).getStorageTypeIntegralWidth();
    bool isUnsigned = c->getDType() == onnx::TensorProto::UINT8;
    SmallVector<APInt> ints;
    for (int64_t i = 0, e = c->getNumElements(); i < e; ++i)
      ints.push_back(APInt(width, c->getInt(i) - (isUnsigned ? 128 : 0), true));
    auto intType =
        RankedTensorType::get(shape, node.getBuilder().getIntegerType(width));
    Value raw =
        node.create<arith::ConstantOp>(DenseElementsAttr::get(intType, ints));
    Value q = node.create<quant::StorageCastOp>(
        RankedTensorType::get(shape, *qtype), raw);
    node.setOutput(
        0, node.create<quant::DequantizeCastOp>(f32Type, q).getResult());
    return success();
  }
  auto x = node.getInput(0);
  if (failed(x))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  auto q = dyn_cast<quant::QuantizedType>(xType.getElementType());
  if (!q)
    return node.unsupported("dequantizing a tensor that no QuantizeLinear "
                            "produced");
  // The scale and zero point must be the ones the tensor was quantized
  // with (a different pair would be a requantization ONNX does not have).
  FailureOr<Type> qtype = getLinearType(node, shape.size(), false);
  if (failed(qtype))
    return failure();
  auto same = [&](Type a, Type b) {
    auto ua = dyn_cast<quant::UniformQuantizedType>(a);
    auto ub = dyn_cast<quant::UniformQuantizedType>(b);
    if (ua && ub)
      return float(ua.getScale()) == float(ub.getScale()) &&
             ua.getZeroPoint() == ub.getZeroPoint();
    auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(a);
    auto pb = dyn_cast<quant::UniformQuantizedPerAxisType>(b);
    return pa && pb && pa.getScales() == pb.getScales() &&
           pa.getZeroPoints() == pb.getZeroPoints() &&
           pa.getQuantizedDimension() == pb.getQuantizedDimension();
  };
  if (!same(q, *qtype))
    return node.emitError() << "dequantizes with another scale or zero point "
                               "than its input was quantized with";
  node.setOutput(0,
                 node.create<quant::DequantizeCastOp>(f32Type, *x).getResult());
  return success();
}

} // namespace

/// Clip of a quantized tensor with integer bounds: the same grid with a
/// narrower storage range (how QCDQ models carry sub-8-bit widths).
FailureOr<bool> importQuantizedClip(NodeImporter &node) {
  auto x = node.getInput(0);
  if (failed(x))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  auto q = dyn_cast<quant::QuantizedType>(xType.getElementType());
  if (!q)
    return false;
  auto bounds = getClipBounds(node);
  if (failed(bounds))
    return failure();
  // Clamped to the storage range before converting (a NaN bound clips
  // nothing).
  auto bound = [&](std::optional<double> v, int64_t fallback) {
    if (!v || std::isnan(*v))
      return fallback;
    return static_cast<int64_t>(std::clamp(std::round(*v),
                                           double(q.getStorageTypeMin()),
                                           double(q.getStorageTypeMax())));
  };
  int64_t lo = bound((*bounds)[0], q.getStorageTypeMin());
  int64_t hi = bound((*bounds)[1], q.getStorageTypeMax());
  if (lo > hi)
    return node.emitError()
           << "clips to an empty range [" << lo << ", " << hi << "]";
  // The narrowest signed width holding [lo, hi].
  unsigned width = 1;
  while (lo < -(int64_t(1) << (width - 1)) ||
         hi > (int64_t(1) << (width - 1)) - 1)
    ++width;
  MLIRContext *ctx = node.getContext();
  auto storage = IntegerType::get(ctx, width);
  Type narrowed;
  if (auto u = dyn_cast<quant::UniformQuantizedType>(q))
    narrowed = quant::UniformQuantizedType::get(
        quant::QuantizationFlags::Signed, storage, u.getExpressedType(),
        u.getScale(), u.getZeroPoint(), lo, hi);
  else if (auto a = dyn_cast<quant::UniformQuantizedPerAxisType>(q))
    narrowed = quant::UniformQuantizedPerAxisType::get(
        quant::QuantizationFlags::Signed, storage, a.getExpressedType(),
        a.getScales(), a.getZeroPoints(), a.getQuantizedDimension(), lo, hi);
  else
    return node.unsupported("clipping this quantized type");
  node.setOutput(0, node.create<CastOp>(xType.clone(narrowed), *x).getResult());
  return true;
}

void addQuantizationHandlers(HandlerTable &table) {
  table["QuantizeLinear"] = importQuantizeLinear;
  table["DequantizeLinear"] = importDequantizeLinear;
}

} // namespace tandem::onnx_import
