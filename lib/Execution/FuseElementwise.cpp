//===- FuseElementwise.cpp - Elementwise fusion that keeps contractions ---===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Upstream's --linalg-fuse-elementwise-ops also folds reshapes into any
// linalg op by expanding its iteration space: a Linear layer's flatten
// turns its linalg.matmul into a generic contraction over three reduction
// dimensions, which no longer reaches BLAS and runs as naive loops (a third
// of a small CNN's run time). This pass applies the same patterns but never
// to ops with reduction loops (matrix products, convolutions, pooling).
//
//===----------------------------------------------------------------------===//

#include "tandem/Execution/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace tandem {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "tandem/Execution/Passes.h.inc"
} // namespace tandem

using namespace mlir;

namespace {

bool hasReductions(Operation *op) {
  auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.getNumReductionLoops() > 0;
}

struct FuseElementwisePass
    : public tandem::impl::FuseElementwisePassBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse() &&
             !hasReductions(fused->getOwner()) && !hasReductions(producer);
    };
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(
        patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, control);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();

    // Then merge the trailing dimensions of every all-parallel generic that
    // reads them contiguously: an NCHW elementwise loop nest whose innermost
    // loop runs 7 to 28 times becomes one long loop LLVM vectorizes.
    RewritePatternSet collapse(ctx);
    linalg::populateCollapseDimensions(collapse, trailingContiguousDims);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(collapse, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(collapse, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(collapse))))
      signalPassFailure();
  }

  static SmallVector<ReassociationIndices>
  trailingContiguousDims(linalg::LinalgOp op) {
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic || generic.getNumReductionLoops() > 0 ||
        !generic.hasPureTensorSemantics())
      return {};
    int64_t rank = generic.getNumLoops();
    SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
    // Broadcasts of a size-1 dim (constant map results) are not collapsible
    // (and upstream's collapsing asserts on them).
    if (!llvm::all_of(maps,
                      [](AffineMap m) { return m.isProjectedPermutation(); }))
      return {};
    // The longest run of trailing dims every map keeps whole and in order.
    for (int64_t first = 0; first + 1 < rank; ++first) {
      ReassociationIndices dims;
      for (int64_t d = first; d < rank; ++d)
        dims.push_back(d);
      if (linalg::areDimSequencesPreserved(maps, {dims}))
        return {dims};
    }
    return {};
  }
};

} // namespace
