//===- DataMovement.cpp - Layout and data-movement ops --------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Reshapes become collapse/expand_shape and positive-step slices become
// extract_slice (views after bufferization); transposes use
// linalg.transpose; the rest (negative steps, reflect/edge padding,
// broadcast, gather) are linalg.generic ops whose bodies compute indices.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "tandem/Dialect/Accel/IR/AccelOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace tandem::accel;

namespace tandem::accel_to_linalg {
namespace {

SmallVector<utils::IteratorType> parallel(int64_t rank) {
  return SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel);
}

Value emptyOf(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType());
}

Value indexConstant(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

struct ReshapeLowering : public OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, reshapeTensor(rewriter, op.getLoc(),
                                         adaptor.getInput(), op.getType()));
    return success();
  }
};

struct TransposeLowering : public OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value init = emptyOf(rewriter, op.getLoc(), op.getType());
    rewriter.replaceOp(op, linalg::TransposeOp::create(rewriter, op.getLoc(),
                                                       adaptor.getInput(), init,
                                                       op.getPerm())
                               .getResult());
    return success();
  }
};

struct ConcatLowering : public OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    int64_t axis = op.getAxis();
    Value result = emptyOf(rewriter, loc, type);
    int64_t offset = 0;
    for (Value input : adaptor.getInputs()) {
      auto inType = cast<RankedTensorType>(input.getType());
      SmallVector<OpFoldResult> offsets(type.getRank(),
                                        rewriter.getIndexAttr(0));
      offsets[axis] = rewriter.getIndexAttr(offset);
      SmallVector<OpFoldResult> sizes,
          strides(type.getRank(), rewriter.getIndexAttr(1));
      for (int64_t d : inType.getShape())
        sizes.push_back(rewriter.getIndexAttr(d));
      result = tensor::InsertSliceOp::create(rewriter, loc, input, result,
                                             offsets, sizes, strides);
      offset += inType.getDimSize(axis);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SliceLowering : public OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    ArrayRef<int64_t> starts = op.getStarts(), steps = op.getSteps();
    if (llvm::all_of(steps, [](int64_t s) { return s > 0; })) {
      SmallVector<OpFoldResult> offsets, sizes, strides;
      for (auto [start, size, step] :
           llvm::zip(starts, type.getShape(), steps)) {
        offsets.push_back(rewriter.getIndexAttr(start));
        sizes.push_back(rewriter.getIndexAttr(size));
        strides.push_back(rewriter.getIndexAttr(step));
      }
      rewriter.replaceOp(op, tensor::ExtractSliceOp::create(
                                 rewriter, loc, type, adaptor.getInput(),
                                 offsets, sizes, strides));
      return success();
    }
    // Negative steps: the input map start + step * d reads backwards.
    MLIRContext *ctx = op.getContext();
    SmallVector<AffineExpr> exprs;
    for (auto [d, start, step] : llvm::enumerate(starts, steps))
      exprs.push_back(getAffineDimExpr(d, ctx) * step + start);
    rewriter.replaceOp(
        op,
        copyThroughMap(rewriter, loc, adaptor.getInput(),
                       AffineMap::get(type.getRank(), 0, exprs, ctx), type));
    return success();
  }
};

struct PadLowering : public OpConversionPattern<PadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    int64_t rank = type.getRank();
    ArrayRef<int64_t> pads = op.getPads();
    if (op.getMode() == PadMode::Constant) {
      Value value = scalarConstant(rewriter, loc, type.getElementType(),
                                   op.getValue().convertToDouble());
      rewriter.replaceOp(op, padTensor(rewriter, loc, adaptor.getInput(),
                                       pads.take_front(rank),
                                       pads.drop_front(rank), value));
      return success();
    }
    // Reflect and edge: each output element reads the input at a computed
    // index; the input is captured by the body.
    bool reflect = op.getMode() == PadMode::Reflect;
    Value input = adaptor.getInput();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, ValueRange{}, emptyOf(rewriter, loc, type),
        ArrayRef<AffineMap>{
            AffineMap::getMultiDimIdentityMap(rank, op.getContext())},
        parallel(rank), [&](OpBuilder &b, Location l, ValueRange) {
          SmallVector<Value> indices;
          for (int64_t d = 0; d < rank; ++d) {
            Value i =
                arith::SubIOp::create(b, l, linalg::IndexOp::create(b, l, d),
                                      indexConstant(b, l, pads[d]));
            Value last = indexConstant(b, l, inType.getDimSize(d) - 1);
            Value zero = indexConstant(b, l, 0);
            if (reflect) {
              // -i below the start, 2 * last - i past the end.
              Value below = arith::CmpIOp::create(
                  b, l, arith::CmpIPredicate::slt, i, zero);
              i = arith::SelectOp::create(
                  b, l, below, arith::SubIOp::create(b, l, zero, i), i);
              Value above = arith::CmpIOp::create(
                  b, l, arith::CmpIPredicate::sgt, i, last);
              Value mirrored = arith::SubIOp::create(
                  b, l, arith::AddIOp::create(b, l, last, last).getResult(), i);
              i = arith::SelectOp::create(b, l, above, mirrored, i);
            } else {
              i = arith::MaxSIOp::create(b, l, i, zero);
              i = arith::MinSIOp::create(b, l, i, last);
            }
            indices.push_back(i);
          }
          linalg::YieldOp::create(
              b, l,
              tensor::ExtractOp::create(b, l, input, indices).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct BroadcastLowering : public OpConversionPattern<BroadcastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BroadcastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, broadcastTensor(rewriter, op.getLoc(),
                                           adaptor.getInput(), op.getType()));
    return success();
  }
};

struct GatherLowering : public OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    auto dataType = cast<RankedTensorType>(adaptor.getData().getType());
    auto indicesType = cast<RankedTensorType>(adaptor.getIndices().getType());
    int64_t axis = op.getAxis(), q = indicesType.getRank();
    MLIRContext *ctx = op.getContext();
    // The indices are read with the output dims they span.
    SmallVector<AffineExpr> indexExprs;
    for (int64_t d = 0; d < q; ++d)
      indexExprs.push_back(getAffineDimExpr(axis + d, ctx));
    AffineMap indexMap = AffineMap::get(type.getRank(), 0, indexExprs, ctx);
    AffineMap out = AffineMap::getMultiDimIdentityMap(type.getRank(), ctx);
    Value data = adaptor.getData();
    int64_t axisSize = dataType.getDimSize(axis);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, type, adaptor.getIndices(), emptyOf(rewriter, loc, type),
        ArrayRef<AffineMap>{indexMap, out}, parallel(type.getRank()),
        [&](OpBuilder &b, Location l, ValueRange args) {
          // A negative index counts from the end of the axis.
          Value idx =
              arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
          Value negative = arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::slt, idx, indexConstant(b, l, 0));
          idx = arith::SelectOp::create(
              b, l, negative,
              arith::AddIOp::create(b, l, idx, indexConstant(b, l, axisSize)),
              idx);
          SmallVector<Value> coords;
          for (int64_t d = 0; d < axis; ++d)
            coords.push_back(linalg::IndexOp::create(b, l, d));
          coords.push_back(idx);
          for (int64_t d = axis + 1; d < dataType.getRank(); ++d)
            coords.push_back(linalg::IndexOp::create(b, l, d + q - 1));
          linalg::YieldOp::create(
              b, l, tensor::ExtractOp::create(b, l, data, coords).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void populateDataMovementPatterns(RewritePatternSet &patterns) {
  patterns.add<ReshapeLowering, TransposeLowering, ConcatLowering,
               SliceLowering, PadLowering, BroadcastLowering, GatherLowering>(
      patterns.getContext());
}

} // namespace tandem::accel_to_linalg
