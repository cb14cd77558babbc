//===- ConvToGemm.cpp - f32 convolutions as im2col + matmul ---------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Execution/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace tandem {
#define GEN_PASS_DEF_CONVTOGEMMPASS
#include "tandem/Execution/Passes.h.inc"
} // namespace tandem

using namespace mlir;

namespace {

struct ConvToGemm : OpRewritePattern<linalg::Conv2DNchwFchwOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::Conv2DNchwFchwOp conv,
                                PatternRewriter &rewriter) const override {
    if (!conv.hasPureTensorSemantics())
      return failure();
    Value input = conv.getInputs()[0], filter = conv.getInputs()[1];
    Value init = conv.getOutputs()[0];
    auto inType = cast<RankedTensorType>(input.getType());
    auto fType = cast<RankedTensorType>(filter.getType());
    auto outType = cast<RankedTensorType>(init.getType());
    Type elem = outType.getElementType();
    if (!elem.isF32() || !inType.getElementType().isF32() ||
        !fType.getElementType().isF32() || !inType.hasStaticShape() ||
        !fType.hasStaticShape() || !outType.hasStaticShape())
      return failure();
    int64_t n = inType.getDimSize(0), c = inType.getDimSize(1);
    int64_t k = fType.getDimSize(0), r = fType.getDimSize(2),
            s = fType.getDimSize(3);
    int64_t p = outType.getDimSize(2), q = outType.getDimSize(3);
    SmallVector<int64_t> strides(conv.getStrides().getValues<int64_t>());
    SmallVector<int64_t> dilations(conv.getDilations().getValues<int64_t>());
    Location loc = conv.getLoc();
    MLIRContext *ctx = conv.getContext();
    int64_t crs = c * r * s, pq = p * q;

    // cols[n, c*R*S + r*S + s, p*Q + q] = input[n, c, p*sh + r*dh, q*sw + s*dw]
    Value cols;
    bool direct = r == 1 && s == 1 && strides[0] == 1 && strides[1] == 1 &&
                  inType.getDimSize(2) == p && inType.getDimSize(3) == q;
    if (direct) {
      cols = tensor::CollapseShapeOp::create(
          rewriter, loc, RankedTensorType::get({n, c, pq}, elem), input,
          SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
    } else {
      auto cols6 = RankedTensorType::get({n, c, r, s, p, q}, elem);
      AffineExpr dn = getAffineDimExpr(0, ctx), dc = getAffineDimExpr(1, ctx),
                 dr = getAffineDimExpr(2, ctx), ds = getAffineDimExpr(3, ctx),
                 dp = getAffineDimExpr(4, ctx), dq = getAffineDimExpr(5, ctx);
      AffineMap in =
          AffineMap::get(6, 0,
                         {dn, dc, dp * strides[0] + dr * dilations[0],
                          dq * strides[1] + ds * dilations[1]},
                         ctx);
      AffineMap out = AffineMap::getMultiDimIdentityMap(6, ctx);
      Value empty =
          tensor::EmptyOp::create(rewriter, loc, cols6.getShape(), elem);
      Value gathered =
          linalg::GenericOp::create(
              rewriter, loc, cols6, input, empty, ArrayRef<AffineMap>{in, out},
              SmallVector<utils::IteratorType>(6,
                                               utils::IteratorType::parallel),
              [](OpBuilder &b, Location l, ValueRange args) {
                linalg::YieldOp::create(b, l, args[0]);
              })
              .getResult(0);
      cols = tensor::CollapseShapeOp::create(
          rewriter, loc, RankedTensorType::get({n, crs, pq}, elem), gathered,
          SmallVector<ReassociationIndices>{{0}, {1, 2, 3}, {4, 5}});
    }
    Value w2 = tensor::CollapseShapeOp::create(
        rewriter, loc, RankedTensorType::get({k, crs}, elem), filter,
        SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
    Value acc = tensor::CollapseShapeOp::create(
        rewriter, loc, RankedTensorType::get({n, k, pq}, elem), init,
        SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});

    Value product;
    if (n == 1) {
      // The common single-image case: one K x CRS by CRS x PQ product.
      auto drop = SmallVector<ReassociationIndices>{{0, 1}, {2}};
      Value cols2 = tensor::CollapseShapeOp::create(
          rewriter, loc, RankedTensorType::get({crs, pq}, elem), cols, drop);
      Value acc2 = tensor::CollapseShapeOp::create(
          rewriter, loc, RankedTensorType::get({k, pq}, elem), acc, drop);
      Value mm =
          linalg::MatmulOp::create(rewriter, loc, TypeRange{acc2.getType()},
                                   ValueRange{w2, cols2}, ValueRange{acc2})
              .getResult(0);
      product = tensor::ExpandShapeOp::create(
          rewriter, loc, RankedTensorType::get({1, k, pq}, elem), mm, drop);
    } else {
      // Every image shares the filter: a batched product whose first
      // operand is broadcast over the batch by its indexing map, not
      // copied once per image.
      AffineExpr b = getAffineDimExpr(0, ctx), m = getAffineDimExpr(1, ctx),
                 nn = getAffineDimExpr(2, ctx), kk = getAffineDimExpr(3, ctx);
      auto maps = rewriter.getAffineMapArrayAttr(
          {AffineMap::get(4, 0, {m, kk}, ctx),
           AffineMap::get(4, 0, {b, kk, nn}, ctx),
           AffineMap::get(4, 0, {b, m, nn}, ctx)});
      product =
          linalg::BatchMatmulOp::create(
              rewriter, loc, TypeRange{acc.getType()}, ValueRange{w2, cols},
              ValueRange{acc}, {rewriter.getNamedAttr("indexing_maps", maps)})
              .getResult(0);
    }
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
        conv, outType, product,
        SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
    return success();
  }
};

struct ConvToGemmPass
    : public tandem::impl::ConvToGemmPassBase<ConvToGemmPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ConvToGemm>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
