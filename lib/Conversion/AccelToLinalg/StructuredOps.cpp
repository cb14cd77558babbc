//===- StructuredOps.cpp - Convolution, matmul and pooling ----------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "tandem/Dialect/Accel/IR/AccelOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

using namespace mlir;
using namespace tandem::accel;

namespace tandem::accel_to_linalg {
namespace {

DenseIntElementsAttr i64Elements(OpBuilder &b, ArrayRef<int64_t> values) {
  return DenseIntElementsAttr::get(
      RankedTensorType::get({(int64_t)values.size()}, b.getI64Type()), values);
}

/// Pads an NCHW tensor's H and W: pads are [top, left, bottom, right].
Value padHW(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> pads,
            Value value) {
  return padTensor(b, loc, input, {0, 0, pads[0], pads[1]},
                   {0, 0, pads[2], pads[3]}, value);
}

/// The accumulator of a convolution: zeros, or the bias broadcast over
/// N x K x P x Q.
Value convInit(OpBuilder &b, Location loc, RankedTensorType type, Value bias) {
  Type elem = type.getElementType();
  if (!bias)
    return filledTensor(b, loc, type, scalarConstant(b, loc, elem, 0));
  MLIRContext *ctx = b.getContext();
  return copyThroughMap(
      b, loc, bias, AffineMap::get(4, 0, getAffineDimExpr(1, ctx), ctx), type);
}

struct Conv2DLowering : public OpConversionPattern<Conv2DOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Conv2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Type elem = type.getElementType();
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto wType = cast<RankedTensorType>(adaptor.getWeight().getType());
    int64_t groups = op.getGroups();
    int64_t n = inType.getDimSize(0), c = inType.getDimSize(1);
    int64_t k = wType.getDimSize(0), r = wType.getDimSize(2),
            s = wType.getDimSize(3);
    int64_t p = type.getDimSize(2), q = type.getDimSize(3);
    // Integer convolutions read narrower operands than they accumulate in.
    Type inElem = inType.getElementType(), wElem = wType.getElementType();
    Value input = padHW(rewriter, loc, adaptor.getInput(), op.getPads(),
                        scalarConstant(rewriter, loc, inElem, 0));
    auto paddedType = cast<RankedTensorType>(input.getType());
    int64_t h = paddedType.getDimSize(2), w = paddedType.getDimSize(3);
    Value init = convInit(rewriter, loc, type, adaptor.getBias());
    auto strides = i64Elements(rewriter, op.getStrides());
    auto dilations = i64Elements(rewriter, op.getDilations());

    Value result;
    if (groups == 1) {
      result = linalg::Conv2DNchwFchwOp::create(
                   rewriter, loc, TypeRange{type},
                   ValueRange{input, adaptor.getWeight()}, ValueRange{init},
                   strides, dilations)
                   .getResult(0);
    } else if (groups == c && k == c) {
      // One filter per channel: K x 1 x R x S viewed as C x R x S.
      auto filterType = RankedTensorType::get({c, r, s}, wElem);
      Value filter =
          reshapeTensor(rewriter, loc, adaptor.getWeight(), filterType);
      result = linalg::DepthwiseConv2DNchwChwOp::create(
                   rewriter, loc, TypeRange{type}, ValueRange{input, filter},
                   ValueRange{init}, strides, dilations)
                   .getResult(0);
    } else {
      // N x G x C/G x H x W input, G x K/G x C/G x R x S filter.
      auto in5 = RankedTensorType::get({n, groups, c / groups, h, w}, inElem);
      auto f5 =
          RankedTensorType::get({groups, k / groups, c / groups, r, s}, wElem);
      auto out5 = RankedTensorType::get({n, groups, k / groups, p, q}, elem);
      SmallVector<ReassociationIndices> splitDim1 = {{0}, {1, 2}, {3}, {4}};
      SmallVector<ReassociationIndices> splitDim0 = {{0, 1}, {2}, {3}, {4}};
      Value in5v =
          tensor::ExpandShapeOp::create(rewriter, loc, in5, input, splitDim1);
      Value f5v = tensor::ExpandShapeOp::create(rewriter, loc, f5,
                                                adaptor.getWeight(), splitDim0);
      Value init5 =
          tensor::ExpandShapeOp::create(rewriter, loc, out5, init, splitDim1);
      Value conv = linalg::Conv2DNgchwGfchwOp::create(
                       rewriter, loc, TypeRange{out5}, ValueRange{in5v, f5v},
                       ValueRange{init5}, strides, dilations)
                       .getResult(0);
      result =
          tensor::CollapseShapeOp::create(rewriter, loc, type, conv, splitDim1);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct MatmulLowering : public OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Type elem = type.getElementType();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto lType = cast<RankedTensorType>(lhs.getType());
    auto rType = cast<RankedTensorType>(rhs.getType());
    ArrayRef<int64_t> out = type.getShape();
    int64_t m = out[out.size() - 2], nn = out.back(),
            kk = lType.getShape().back();
    ArrayRef<int64_t> batch = out.drop_back(2);
    int64_t batchSize = 1;
    for (int64_t b : batch)
      batchSize *= b;
    Value zero = scalarConstant(rewriter, loc, elem, 0);

    // A 2-D right operand shared by every batch (Linear layers): fold the
    // batch into M and run one matmul.
    if (rType.getRank() == 2) {
      auto l2 =
          RankedTensorType::get({batchSize * m, kk}, lType.getElementType());
      auto o2 = RankedTensorType::get({batchSize * m, nn}, elem);
      Value mm = linalg::MatmulOp::create(
                     rewriter, loc, TypeRange{o2},
                     ValueRange{reshapeTensor(rewriter, loc, lhs, l2), rhs},
                     ValueRange{filledTensor(rewriter, loc, o2, zero)})
                     .getResult(0);
      rewriter.replaceOp(op, reshapeTensor(rewriter, loc, mm, type));
      return success();
    }
    // Otherwise broadcast both operands to the full batch (a no-op when the
    // batch dims already agree) and run a batch_matmul over the flattened
    // batch.
    auto toBatch = [&](Value v, int64_t rows, int64_t cols) -> Value {
      Type vElem = cast<RankedTensorType>(v.getType()).getElementType();
      SmallVector<int64_t> full(batch.begin(), batch.end());
      full.append({rows, cols});
      auto fullType = RankedTensorType::get(full, vElem);
      v = broadcastTensor(rewriter, loc, v, fullType);
      return reshapeTensor(
          rewriter, loc, v,
          RankedTensorType::get({batchSize, rows, cols}, vElem));
    };
    Value l3 = toBatch(lhs, m, kk);
    Value r3 = toBatch(rhs, kk, nn);
    auto o3 = RankedTensorType::get({batchSize, m, nn}, elem);
    Value bmm = linalg::BatchMatmulOp::create(
                    rewriter, loc, TypeRange{o3}, ValueRange{l3, r3},
                    ValueRange{filledTensor(rewriter, loc, o3, zero)})
                    .getResult(0);
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, bmm, type));
    return success();
  }
};

} // namespace

SmallVector<double> windowCounts(int64_t in, int64_t out, int64_t kernel,
                                 int64_t stride, int64_t dilation,
                                 int64_t padBegin, int64_t padEnd,
                                 bool includePad) {
  SmallVector<double> counts;
  int64_t lo = includePad ? -padBegin : 0;
  int64_t hi = includePad ? in + padEnd : in;
  for (int64_t o = 0; o < out; ++o) {
    int64_t count = 0;
    for (int64_t t = 0; t < kernel; ++t) {
      int64_t pos = o * stride - padBegin + t * dilation;
      count += pos >= lo && pos < hi;
    }
    counts.push_back(std::max<int64_t>(count, 1));
  }
  return counts;
}

SmallVector<int64_t> getPoolPads(Pool2DOp op) {
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  RankedTensorType type = op.getType();
  ArrayRef<int64_t> kernel = op.getKernel(), strides = op.getStrides(),
                    dilations = op.getDilations();
  SmallVector<int64_t> pads(op.getPads());
  int64_t p = type.getDimSize(2), q = type.getDimSize(3);
  // Ceil mode: extend the bottom/right padding so the last window fits;
  // those positions never contribute (-inf for max, excluded for avg).
  for (int d = 0; d < 2; ++d) {
    int64_t need = (d == 0 ? p - 1 : q - 1) * strides[d] +
                   (kernel[d] - 1) * dilations[d] + 1;
    int64_t have = inType.getDimSize(2 + d) + pads[d] + pads[d + 2];
    pads[d + 2] += std::max<int64_t>(0, need - have);
  }
  return pads;
}

SmallVector<double> getPoolCounts(Pool2DOp op) {
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  RankedTensorType type = op.getType();
  ArrayRef<int64_t> kernel = op.getKernel(), strides = op.getStrides(),
                    dilations = op.getDilations(), given = op.getPads();
  bool includePad = op.getCountIncludePad();
  int64_t p = type.getDimSize(2), q = type.getDimSize(3);
  auto rows = windowCounts(inType.getDimSize(2), p, kernel[0], strides[0],
                           dilations[0], given[0], given[2], includePad);
  auto cols = windowCounts(inType.getDimSize(3), q, kernel[1], strides[1],
                           dilations[1], given[1], given[3], includePad);
  SmallVector<double> counts;
  for (double rc : rows)
    for (double cc : cols)
      counts.push_back(rc * cc);
  return counts;
}

namespace {

struct Pool2DLowering : public OpConversionPattern<Pool2DOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Pool2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Type elem = type.getElementType();
    bool isMax = op.getKind() == PoolKind::Max;
    if (!isMax && !isa<FloatType>(elem))
      return op.emitError("cannot lower average pooling on integers");
    ArrayRef<int64_t> kernel = op.getKernel(), strides = op.getStrides(),
                      dilations = op.getDilations();
    SmallVector<int64_t> pads = getPoolPads(op);
    int64_t p = type.getDimSize(2), q = type.getDimSize(3);
    Value fill = isMax ? lowestValue(rewriter, loc, elem)
                       : scalarConstant(rewriter, loc, elem, 0);
    Value input = padHW(rewriter, loc, adaptor.getInput(), pads, fill);
    Value window =
        tensor::EmptyOp::create(rewriter, loc, kernel, elem).getResult();
    Value init = filledTensor(rewriter, loc, type, fill);
    auto stridesAttr = i64Elements(rewriter, strides);
    auto dilationsAttr = i64Elements(rewriter, dilations);
    Value pooled =
        isMax ? linalg::PoolingNchwMaxOp::create(
                    rewriter, loc, TypeRange{type}, ValueRange{input, window},
                    ValueRange{init}, stridesAttr, dilationsAttr)
                    .getResult(0)
              : linalg::PoolingNchwSumOp::create(
                    rewriter, loc, TypeRange{type}, ValueRange{input, window},
                    ValueRange{init}, stridesAttr, dilationsAttr)
                    .getResult(0);
    if (!isMax) {
      // Divide by the per-position count, a P x Q constant.
      SmallVector<APFloat> counts;
      auto fType = cast<FloatType>(elem);
      for (double count : getPoolCounts(op)) {
        APFloat v(count);
        bool lost;
        v.convert(fType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                  &lost);
        counts.push_back(v);
      }
      auto countType = RankedTensorType::get({p, q}, elem);
      Value divisor = arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(countType, counts));
      MLIRContext *ctx = op.getContext();
      AffineMap id = AffineMap::getMultiDimIdentityMap(4, ctx);
      AffineMap pq = AffineMap::get(
          4, 0, {getAffineDimExpr(2, ctx), getAffineDimExpr(3, ctx)}, ctx);
      pooled =
          linalg::GenericOp::create(
              rewriter, loc, type, ValueRange{pooled, divisor},
              tensor::EmptyOp::create(rewriter, loc, type.getShape(), elem)
                  .getResult(),
              ArrayRef<AffineMap>{id, pq, id},
              SmallVector<utils::IteratorType>(4,
                                               utils::IteratorType::parallel),
              [](OpBuilder &b, Location l, ValueRange args) {
                linalg::YieldOp::create(
                    b, l,
                    arith::DivFOp::create(b, l, args[0], args[1]).getResult());
              })
              .getResult(0);
    }
    rewriter.replaceOp(op, pooled);
    return success();
  }
};

} // namespace

void populateStructuredOpPatterns(RewritePatternSet &patterns) {
  patterns.add<Conv2DLowering, MatmulLowering, Pool2DLowering>(
      patterns.getContext());
}

} // namespace tandem::accel_to_linalg
