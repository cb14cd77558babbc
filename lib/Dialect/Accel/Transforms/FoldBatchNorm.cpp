//===- FoldBatchNorm.cpp - Fold inference batch norms into convolutions ---===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Dialect/Accel/IR/ConstantUtils.h"
#include "tandem/Dialect/Accel/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace tandem::accel {
#define GEN_PASS_DEF_FOLDBATCHNORMPASS
#include "tandem/Dialect/Accel/Transforms/Passes.h.inc"
} // namespace tandem::accel

using namespace mlir;
using namespace tandem::accel;

namespace {

/// Everything a fold needs, read from the IR.
struct FoldInputs {
  Conv2DOp conv;
  SmallVector<float> weight, bias, scale, shift, mean, variance;
};

/// The values to fold `bn` with, or a reason it cannot be folded.
FailureOr<FoldInputs> matchFold(BatchNormOp bn, std::string &why) {
  auto conv = bn.getInput().getDefiningOp<Conv2DOp>();
  if (!conv) {
    why = "its input is not an accel.conv2d";
    return failure();
  }
  if (!conv->hasOneUse()) {
    why = "the convolution has other users";
    return failure();
  }
  FoldInputs in;
  in.conv = conv;
  auto read = [&](Value v, SmallVector<float> &out, StringRef what) {
    auto values = getConstantF32Values(v);
    if (!values) {
      why = ("the " + what + " is not an f32 constant").str();
      return false;
    }
    out = std::move(*values);
    return true;
  };
  if (!read(conv.getWeight(), in.weight, "convolution weight") ||
      !read(bn.getScale(), in.scale, "batch-norm scale") ||
      !read(bn.getBias(), in.shift, "batch-norm bias") ||
      !read(bn.getMean(), in.mean, "batch-norm mean") ||
      !read(bn.getVariance(), in.variance, "batch-norm variance"))
    return failure();
  int64_t channels = conv.getWeight().getType().getDimSize(0);
  in.bias.assign(channels, 0.0f);
  if (conv.getBias() && !read(conv.getBias(), in.bias, "convolution bias"))
    return failure();
  return in;
}

struct FoldBatchNormIntoConv : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    std::string why;
    auto in = matchFold(bn, why);
    if (failed(in))
      return rewriter.notifyMatchFailure(bn, why);
    Conv2DOp conv = in->conv;
    int64_t channels = in->scale.size();
    int64_t perChannel = in->weight.size() / channels;
    float epsilon = bn.getEpsilon().convertToFloat();

    SmallVector<float> weight(in->weight), bias(channels);
    for (int64_t k = 0; k < channels; ++k) {
      float s = in->scale[k] / std::sqrt(in->variance[k] + epsilon);
      for (int64_t i = 0; i < perChannel; ++i)
        weight[k * perChannel + i] *= s;
      bias[k] = (in->bias[k] - in->mean[k]) * s + in->shift[k];
    }

    auto weightType = conv.getWeight().getType();
    auto biasType =
        RankedTensorType::get({channels}, weightType.getElementType());
    Value newWeight =
        arith::ConstantOp::create(rewriter, conv.getLoc(),
                                  cast<TypedAttr>(createF32Elements(
                                      weightType, weight, "folded_weight")));
    Value newBias = arith::ConstantOp::create(
        rewriter, conv.getLoc(),
        cast<TypedAttr>(createF32Elements(biasType, bias, "folded_bias")));
    // The folded op is the convolution layer (reports name it by the
    // conv's node), carrying the batch norm's location too.
    auto folded = Conv2DOp::create(
        rewriter, rewriter.getFusedLoc({conv.getLoc(), bn.getLoc()}),
        bn.getType(), conv.getInput(), newWeight, newBias,
        conv.getStridesAttr(), conv.getPadsAttr(), conv.getDilationsAttr(),
        conv.getGroupsAttr());
    rewriter.replaceOp(bn, folded.getResult());
    rewriter.eraseOp(conv);
    return success();
  }
};

struct FoldBatchNormPass
    : public tandem::accel::impl::FoldBatchNormPassBase<FoldBatchNormPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldBatchNormIntoConv>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    if (!remarks)
      return;
    getOperation()->walk([](BatchNormOp bn) {
      std::string why;
      if (failed(matchFold(bn, why)))
        bn.emitRemark("batch norm not folded: ") << why;
    });
  }
};

} // namespace
