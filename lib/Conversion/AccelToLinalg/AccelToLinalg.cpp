//===- AccelToLinalg.cpp - The accel-lower-to-linalg pass -----------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "tandem/Conversion/Passes.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

#include <limits>

namespace tandem {
#define GEN_PASS_DEF_ACCELTOLINALGPASS
#include "tandem/Conversion/Passes.h.inc"
} // namespace tandem

using namespace mlir;

namespace tandem::accel_to_linalg {

bool isUnsignedInteger(Type type) {
  auto i = dyn_cast<IntegerType>(type);
  return i && i.isUnsigned();
}

Value scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  if (auto f = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(f, value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value lowestValue(OpBuilder &b, Location loc, Type type) {
  if (auto f = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(f, APFloat::getInf(f.getFloatSemantics(),
                                          /*Negative=*/true)));
  auto i = cast<IntegerType>(type);
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(i, APInt::getSignedMinValue(i.getWidth())));
}

Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   Value value) {
  Value empty =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  return linalg::FillOp::create(b, loc, value, empty).getResult(0);
}

Value padTensor(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> low,
                ArrayRef<int64_t> high, Value value) {
  if (llvm::all_of(low, [](int64_t p) { return p == 0; }) &&
      llvm::all_of(high, [](int64_t p) { return p == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape;
  for (auto [d, lo, hi] : llvm::zip(type.getShape(), low, high))
    shape.push_back(d + lo + hi);
  auto padded = RankedTensorType::get(shape, type.getElementType());
  SmallVector<OpFoldResult> lowAttrs, highAttrs;
  for (auto [lo, hi] : llvm::zip(low, high)) {
    lowAttrs.push_back(b.getIndexAttr(lo));
    highAttrs.push_back(b.getIndexAttr(hi));
  }
  return tensor::PadOp::create(b, loc, padded, input, lowAttrs, highAttrs,
                               value);
}

Value reshapeTensor(OpBuilder &b, Location loc, Value value,
                    RankedTensorType type) {
  auto source = cast<RankedTensorType>(value.getType());
  if (source.getShape() == type.getShape())
    return value;
  // Through a rank-1 (or rank-0 for single elements) intermediate: collapse
  // everything, then expand. Both are views after bufferization.
  Value flat = value;
  int64_t n = source.getNumElements();
  auto flatType = RankedTensorType::get(
      type.getRank() == 0 || source.getRank() == 0 ? ArrayRef<int64_t>{}
                                                   : ArrayRef<int64_t>{n},
      source.getElementType());
  if (source.getShape() != flatType.getShape()) {
    SmallVector<ReassociationIndices> all;
    if (flatType.getRank() == 1)
      all.push_back(llvm::to_vector(llvm::seq<int64_t>(0, source.getRank())));
    flat = tensor::CollapseShapeOp::create(b, loc, flatType, value, all);
  }
  if (flatType.getShape() == type.getShape())
    return flat;
  SmallVector<ReassociationIndices> all;
  if (flatType.getRank() == 1)
    all.push_back(llvm::to_vector(llvm::seq<int64_t>(0, type.getRank())));
  return tensor::ExpandShapeOp::create(b, loc, type, flat, all);
}

Value copyThroughMap(OpBuilder &b, Location loc, Value input,
                     AffineMap inputMap, RankedTensorType type) {
  int64_t rank = type.getRank();
  AffineMap out = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  Value empty =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  return linalg::GenericOp::create(
             b, loc, type, input, empty, ArrayRef<AffineMap>{inputMap, out},
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [](OpBuilder &nested, Location l, ValueRange args) {
               linalg::YieldOp::create(nested, l, args[0]);
             })
      .getResult(0);
}

Value broadcastTensor(OpBuilder &b, Location loc, Value input,
                      RankedTensorType type) {
  auto inType = cast<RankedTensorType>(input.getType());
  if (inType.getShape() == type.getShape())
    return input;
  MLIRContext *ctx = b.getContext();
  int64_t offset = type.getRank() - inType.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < inType.getRank(); ++d)
    exprs.push_back(inType.getDimSize(d) == 1 &&
                            type.getDimSize(offset + d) != 1
                        ? getAffineConstantExpr(0, ctx)
                        : getAffineDimExpr(offset + d, ctx));
  return copyThroughMap(b, loc, input,
                        AffineMap::get(type.getRank(), 0, exprs, ctx), type);
}

} // namespace tandem::accel_to_linalg

namespace {

using namespace tandem::accel_to_linalg;

/// Reports what cannot be executed, with the op's name, before converting.
LogicalResult checkLowerable(Operation *root) {
  bool ok = true;
  root->walk([&](Operation *op) {
    if (auto onnx = dyn_cast<tandem::accel::OnnxOp>(op)) {
      onnx.emitError("cannot lower accel.onnx_op \"")
          << onnx.getOpType()
          << "\": Tandem has no implementation of this ONNX operator";
      ok = false;
      return;
    }
    if (!isa<tandem::accel::AccelDialect>(op->getDialect()))
      return;
    for (Type t :
         llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes())) {
      Type element = getElementTypeOrSelf(t);
      if (isa<quant::QuantizedType>(element)) {
        op->emitError("cannot lower quantized element type ")
            << element << "; dequantize or lower the quantized form first";
        ok = false;
        return;
      }
      // arith works on signless integers only.
      if (isUnsignedInteger(element) ||
          (isa<IntegerType>(element) &&
           cast<IntegerType>(element).isSigned())) {
        op->emitError("cannot lower element type ")
            << element << "; cast to a signless integer type first";
        ok = false;
        return;
      }
    }
  });
  return success(ok);
}

struct AccelToLinalgPass
    : public tandem::impl::AccelToLinalgPassBase<AccelToLinalgPass> {
  void runOnOperation() override {
    if (failed(checkLowerable(getOperation())))
      return signalPassFailure();
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect,
                           func::FuncDialect>();
    target.addIllegalDialect<tandem::accel::AccelDialect>();
    RewritePatternSet patterns(ctx);
    populateStructuredOpPatterns(patterns);
    populateElementwisePatterns(patterns);
    populateDataMovementPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
