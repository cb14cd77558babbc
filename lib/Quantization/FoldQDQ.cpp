//===- FoldQDQ.cpp - Quantize-dequantize pairs into quantized ops ---------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// An imported QDQ model computes in f32 between quant.dcast and quant.qcast.
// This pass gives those ops the quantized types instead, as --accel-quantize
// writes them:
//
//   - a narrowing accel.cast of a quant.qcast or of a weight's quant.scast
//     (an ONNX Clip on integers) becomes the narrower type of that cast;
//   - an op whose operands all come from quant.dcast and whose only reader
//     is a quant.qcast computes on the quantized operands and produces the
//     qcast's type (a matrix product whose only reader is the add of an
//     int32 bias produces the i32 accumulator that bias is quantized to);
//   - a quant.dcast read only by a quant.qcast is the identity (same type)
//     or a requantizing accel.cast.
//
//===----------------------------------------------------------------------===//

#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Quantization/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

#include <cmath>

namespace tandem {
#define GEN_PASS_DEF_FOLDQDQPASS
#include "tandem/Quantization/Passes.h.inc"
} // namespace tandem

using namespace mlir;
using namespace tandem::accel;

namespace {

bool isQuantized(Type t) {
  return isa<quant::QuantizedType>(getElementTypeOrSelf(t));
}

/// Whether `to` is `from` with a narrower storage range (same grid).
bool isNarrowing(Type from, Type to) {
  Type a = getElementTypeOrSelf(from), b = getElementTypeOrSelf(to);
  if (auto ua = dyn_cast<quant::UniformQuantizedType>(a)) {
    auto ub = dyn_cast<quant::UniformQuantizedType>(b);
    return ub && ua.getScale() == ub.getScale() &&
           ua.getZeroPoint() == ub.getZeroPoint() &&
           ub.getStorageTypeMin() >= ua.getStorageTypeMin() &&
           ub.getStorageTypeMax() <= ua.getStorageTypeMax();
  }
  auto pa = dyn_cast<quant::UniformQuantizedPerAxisType>(a);
  auto pb = dyn_cast<quant::UniformQuantizedPerAxisType>(b);
  return pa && pb && pa.getScales() == pb.getScales() &&
         pa.getZeroPoints() == pb.getZeroPoints() &&
         pa.getQuantizedDimension() == pb.getQuantizedDimension() &&
         pb.getStorageTypeMin() >= pa.getStorageTypeMin() &&
         pb.getStorageTypeMax() <= pa.getStorageTypeMax();
}

/// The quantized value behind `v` = quant.dcast(q), or null.
Value dequantized(Value v) {
  auto d = v.getDefiningOp<quant::DequantizeCastOp>();
  return d ? d.getInput() : Value();
}

/// The single quant.qcast reading `v`, or null.
quant::QuantizeCastOp onlyQuantizer(Value v) {
  if (!v.hasOneUse())
    return nullptr;
  return dyn_cast<quant::QuantizeCastOp>(*v.getUsers().begin());
}

/// Narrowing casts of quant.qcast and weight quant.scast results.
void foldNarrowingCasts(func::FuncOp func) {
  SmallVector<CastOp> casts;
  func.walk([&](CastOp c) { casts.push_back(c); });
  for (CastOp c : casts) {
    Value in = c.getInput();
    if (!in.hasOneUse() || !isNarrowing(in.getType(), c.getType()))
      continue;
    if (auto q = in.getDefiningOp<quant::QuantizeCastOp>()) {
      q.getResult().setType(c.getType());
      c.getResult().replaceAllUsesWith(q.getResult());
      c.erase();
      continue;
    }
    auto s = in.getDefiningOp<quant::StorageCastOp>();
    DenseIntElementsAttr ints;
    if (!s || !matchPattern(s.getInput(), m_Constant(&ints)))
      continue;
    auto q = cast<quant::QuantizedType>(getElementTypeOrSelf(c.getType()));
    unsigned width = q.getStorageTypeIntegralWidth();
    SmallVector<APInt> values;
    for (const APInt &v : ints.getValues<APInt>())
      values.push_back(
          APInt(width,
                std::clamp<int64_t>(v.getSExtValue(), q.getStorageTypeMin(),
                                    q.getStorageTypeMax()),
                true));
    OpBuilder b(s);
    auto type = cast<RankedTensorType>(c.getType());
    Value raw = arith::ConstantOp::create(
        b, s.getLoc(),
        DenseElementsAttr::get(type.clone(b.getIntegerType(width)), values));
    Value narrowed =
        quant::StorageCastOp::create(b, s.getLoc(), type, raw).getResult();
    c.getResult().replaceAllUsesWith(narrowed);
    c.erase();
    s.erase();
  }
}

/// A bias add's i32 accumulator type for a matrix product result of
/// `rank`, taken from the bias's own grid (laid along the last dim).
Type accumulatorType(Type biasElement, int64_t rank) {
  if (auto a = dyn_cast<quant::UniformQuantizedPerAxisType>(biasElement))
    return quant::UniformQuantizedPerAxisType::get(
        a.getFlags(), a.getStorageType(), a.getExpressedType(), a.getScales(),
        a.getZeroPoints(), rank - 1, a.getStorageTypeMin(),
        a.getStorageTypeMax());
  return biasElement;
}

/// Rebuilds `op` on quantized operands with result type `type`.
Operation *requantizeOp(Operation *op, ArrayRef<Value> operands, Type type) {
  OpBuilder b(op);
  IRMapping mapping;
  for (auto [old, now] : llvm::zip(op->getOperands(), operands))
    mapping.map(old, now);
  Operation *clone = b.clone(*op, mapping);
  clone->getResult(0).setType(type);
  return clone;
}

/// The quantized operands of `op` (every operand behind a dcast), or empty.
SmallVector<Value> quantizedOperands(Operation *op) {
  SmallVector<Value> operands;
  for (Value v : op->getOperands()) {
    Value q = dequantized(v);
    if (!q)
      return {};
    operands.push_back(q);
  }
  return operands;
}

void foldOps(func::FuncOp func) {
  SmallVector<Operation *> ops;
  for (Operation &op : func.front())
    if (isa<Conv2DOp, MatmulOp, AddOp, Pool2DOp, ReluOp, ClipOp, ReshapeOp,
            TransposeOp>(op) &&
        op.getNumResults() == 1 && !isQuantized(op.getResult(0).getType()))
      ops.push_back(&op);
  for (Operation *op : ops) {
    if (!op->getBlock())
      continue; // folded with its matrix product
    SmallVector<Value> operands = quantizedOperands(op);
    if (operands.empty())
      continue;
    Value result = op->getResult(0);
    if (quant::QuantizeCastOp q = onlyQuantizer(result)) {
      Operation *folded = requantizeOp(op, operands, q.getType());
      q.getResult().replaceAllUsesWith(folded->getResult(0));
      q.erase();
      op->erase();
      continue;
    }
    // A matrix product and the add of its int32 bias.
    auto mm = dyn_cast<MatmulOp>(op);
    if (!mm || !result.hasOneUse())
      continue;
    auto add = dyn_cast<AddOp>(*result.getUsers().begin());
    if (!add || add.getLhs() != result)
      continue;
    Value bias = dequantized(add.getRhs());
    quant::QuantizeCastOp q = onlyQuantizer(add.getResult());
    if (!bias || !q)
      continue;
    auto biasType = cast<RankedTensorType>(bias.getType());
    auto biasElement =
        dyn_cast<quant::QuantizedType>(biasType.getElementType());
    if (!biasElement || biasElement.getStorageTypeIntegralWidth() != 32)
      continue;
    auto resultType = cast<RankedTensorType>(result.getType());
    Operation *product = requantizeOp(
        op, operands,
        resultType.clone(accumulatorType(biasElement, resultType.getRank())));
    Operation *sum =
        requantizeOp(add, {product->getResult(0), bias}, q.getType());
    q.getResult().replaceAllUsesWith(sum->getResult(0));
    q.erase();
    add.erase();
    op->erase();
  }
}

/// dcast -> qcast: the identity, or a requantization.
void foldRequantizations(func::FuncOp func) {
  SmallVector<quant::QuantizeCastOp> qcasts;
  func.walk([&](quant::QuantizeCastOp q) { qcasts.push_back(q); });
  for (quant::QuantizeCastOp q : qcasts) {
    Value in = dequantized(q.getInput());
    if (!in)
      continue;
    Value replacement = in;
    if (in.getType() != q.getType()) {
      OpBuilder b(q);
      replacement = CastOp::create(b, q.getLoc(), q.getType(), in).getResult();
    }
    q.getResult().replaceAllUsesWith(replacement);
    q.erase();
  }
}

void eraseDeadCasts(func::FuncOp func) {
  bool changed = true;
  while (changed) {
    changed = false;
    SmallVector<Operation *> dead;
    func.walk([&](Operation *op) {
      if (isa<quant::DequantizeCastOp, quant::StorageCastOp, arith::ConstantOp>(
              op) &&
          op->use_empty())
        dead.push_back(op);
    });
    for (Operation *op : dead)
      op->erase();
    changed = !dead.empty();
  }
}

struct FoldQDQPass : public tandem::impl::FoldQDQPassBase<FoldQDQPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    foldNarrowingCasts(func);
    foldOps(func);
    foldRequantizations(func);
    eraseDeadCasts(func);
  }
};

} // namespace
