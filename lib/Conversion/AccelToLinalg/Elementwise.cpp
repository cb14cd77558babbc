//===- Elementwise.cpp - Elementwise, normalization and reductions --------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Elementwise ops become one linalg.generic whose indexing maps are exactly
// the op's loop-nest projections (LoopNestOpInterface), so numpy
// broadcasting needs no separate handling. Softmax, layer norm and the
// reductions are short chains of generics.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "tandem/Dialect/Accel/IR/AccelOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace tandem::accel;

namespace tandem::accel_to_linalg {
namespace {

bool isFloat(Type t) { return isa<FloatType>(t); }

/// The scalar computation of one elementwise op on its operands' elements.
/// Returns null for element types the op has no meaning on.
Value buildScalar(Operation *op, OpBuilder &b, Location loc, ValueRange in,
                  Type out) {
  Type t = in.empty() ? out : in.front().getType();
  bool f = isFloat(t);
  auto cst = [&](double v) { return scalarConstant(b, loc, t, v); };
  // max(0, min(1, alpha * x + beta)), shared by the two hard activations.
  auto hardSigmoid = [&](Value x, double alpha, double beta) -> Value {
    Value y = arith::AddFOp::create(
        b, loc, arith::MulFOp::create(b, loc, x, cst(alpha)), cst(beta));
    y = arith::MinimumFOp::create(b, loc, y, cst(1.0));
    return arith::MaximumFOp::create(b, loc, y, cst(0.0));
  };
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case([&](AddOp) -> Value {
        return f ? arith::AddFOp::create(b, loc, in[0], in[1]).getResult()
                 : arith::AddIOp::create(b, loc, in[0], in[1]).getResult();
      })
      .Case([&](SubOp) -> Value {
        return f ? arith::SubFOp::create(b, loc, in[0], in[1]).getResult()
                 : arith::SubIOp::create(b, loc, in[0], in[1]).getResult();
      })
      .Case([&](MulOp) -> Value {
        return f ? arith::MulFOp::create(b, loc, in[0], in[1]).getResult()
                 : arith::MulIOp::create(b, loc, in[0], in[1]).getResult();
      })
      .Case([&](DivOp) -> Value {
        return f ? arith::DivFOp::create(b, loc, in[0], in[1]).getResult()
                 : arith::DivSIOp::create(b, loc, in[0], in[1]).getResult();
      })
      .Case([&](PowOp) -> Value {
        return f ? math::PowFOp::create(b, loc, in[0], in[1]).getResult()
                 : math::IPowIOp::create(b, loc, in[0], in[1]).getResult();
      })
      .Case([&](EqualOp) -> Value {
        return f ? arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                         in[0], in[1])
                       .getResult()
                 : arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                         in[0], in[1])
                       .getResult();
      })
      .Case([&](WhereOp) -> Value {
        return arith::SelectOp::create(b, loc, in[0], in[1], in[2]);
      })
      .Case([&](CastOp) -> Value {
        Value x = in[0];
        Type from = x.getType();
        if (from == out)
          return x;
        if (out.isInteger(1)) // Non-zero is true.
          return isFloat(from)
                     ? arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE,
                                             x, scalarConstant(b, loc, from, 0))
                           .getResult()
                     : arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                             x, scalarConstant(b, loc, from, 0))
                           .getResult();
        if (isFloat(from) && isFloat(out))
          return from.getIntOrFloatBitWidth() < out.getIntOrFloatBitWidth()
                     ? arith::ExtFOp::create(b, loc, out, x).getResult()
                     : arith::TruncFOp::create(b, loc, out, x).getResult();
        if (isFloat(from))
          return arith::FPToSIOp::create(b, loc, out, x);
        if (isFloat(out))
          return from.isInteger(1)
                     ? arith::UIToFPOp::create(b, loc, out, x).getResult()
                     : arith::SIToFPOp::create(b, loc, out, x).getResult();
        unsigned fw = from.getIntOrFloatBitWidth(),
                 ow = out.getIntOrFloatBitWidth();
        if (fw < ow)
          return from.isInteger(1)
                     ? arith::ExtUIOp::create(b, loc, out, x).getResult()
                     : arith::ExtSIOp::create(b, loc, out, x).getResult();
        return arith::TruncIOp::create(b, loc, out, x);
      })
      .Case([&](ReluOp) -> Value {
        return f ? arith::MaximumFOp::create(b, loc, in[0], cst(0)).getResult()
                 : arith::MaxSIOp::create(b, loc, in[0], cst(0)).getResult();
      })
      .Case([&](LeakyReluOp r) -> Value {
        if (!f)
          return nullptr;
        Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                          in[0], cst(0));
        Value scaled = arith::MulFOp::create(
            b, loc, in[0], cst(r.getAlpha().convertToDouble()));
        return arith::SelectOp::create(b, loc, neg, scaled, in[0]);
      })
      .Case([&](ClipOp c) -> Value {
        Value x = in[0];
        if (auto lo = c.getMin())
          x = f ? arith::MaximumFOp::create(b, loc, x,
                                            cst(lo->convertToDouble()))
                      .getResult()
                : arith::MaxSIOp::create(b, loc, x, cst(lo->convertToDouble()))
                      .getResult();
        if (auto hi = c.getMax())
          x = f ? arith::MinimumFOp::create(b, loc, x,
                                            cst(hi->convertToDouble()))
                      .getResult()
                : arith::MinSIOp::create(b, loc, x, cst(hi->convertToDouble()))
                      .getResult();
        return x;
      })
      .Case([&](SigmoidOp) -> Value {
        if (!f)
          return nullptr;
        Value e =
            math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, in[0]));
        return arith::DivFOp::create(b, loc, cst(1),
                                     arith::AddFOp::create(b, loc, cst(1), e));
      })
      .Case([&](HardSigmoidOp h) -> Value {
        if (!f)
          return nullptr;
        return hardSigmoid(in[0], h.getAlpha().convertToDouble(),
                           h.getBeta().convertToDouble());
      })
      .Case([&](HardSwishOp) -> Value {
        if (!f)
          return nullptr;
        return arith::MulFOp::create(b, loc, in[0],
                                     hardSigmoid(in[0], 1.0 / 6.0, 0.5));
      })
      .Case([&](TanhOp) -> Value {
        return f ? math::TanhOp::create(b, loc, in[0]).getResult() : Value();
      })
      .Case([&](ErfOp) -> Value {
        return f ? math::ErfOp::create(b, loc, in[0]).getResult() : Value();
      })
      .Case([&](ExpOp) -> Value {
        return f ? math::ExpOp::create(b, loc, in[0]).getResult() : Value();
      })
      .Case([&](SqrtOp) -> Value {
        return f ? math::SqrtOp::create(b, loc, in[0]).getResult() : Value();
      })
      .Case([&](NegOp) -> Value {
        return f ? arith::NegFOp::create(b, loc, in[0]).getResult()
                 : arith::SubIOp::create(b, loc, cst(0), in[0]).getResult();
      })
      .Case([&](BatchNormOp bn) -> Value {
        // (x - mean) / sqrt(var + eps) * scale + bias
        if (!f)
          return nullptr;
        Value centered = arith::SubFOp::create(b, loc, in[0], in[3]);
        Value stddev = math::SqrtOp::create(
            b, loc,
            arith::AddFOp::create(b, loc, in[4],
                                  cst(bn.getEpsilon().convertToDouble())));
        Value normalized = arith::DivFOp::create(b, loc, centered, stddev);
        return arith::AddFOp::create(
            b, loc, arith::MulFOp::create(b, loc, normalized, in[1]), in[2]);
      })
      .Default([](Operation *) { return Value(); });
}

/// Any op whose loop nest is all-parallel with an identity result map:
/// one linalg.generic with the nest's maps.
struct ElementwiseLowering : public ConversionPattern {
  ElementwiseLowering(MLIRContext *ctx)
      : ConversionPattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isa<AddOp, SubOp, MulOp, DivOp, PowOp, EqualOp, WhereOp, CastOp,
             ReluOp, LeakyReluOp, ClipOp, SigmoidOp, HardSigmoidOp, HardSwishOp,
             TanhOp, ErfOp, ExpOp, SqrtOp, NegOp, BatchNormOp>(op))
      return failure();
    LoopNest nest = cast<LoopNestOpInterface>(op).getLoopNest();
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    SmallVector<AffineMap> maps;
    for (const TensorAccess &t : nest.tensors)
      maps.push_back(t.map);
    SmallVector<utils::IteratorType> iterators(nest.dims.size(),
                                               utils::IteratorType::parallel);
    Location loc = op->getLoc();
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         resultType.getElementType());
    bool unsupported = false;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, operands, init, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value r = buildScalar(op, b, l, args.drop_back(),
                                resultType.getElementType());
          if (!r) {
            unsupported = true;
            r = args.back();
          }
          linalg::YieldOp::create(b, l, r);
        });
    if (unsupported) {
      rewriter.eraseOp(generic);
      return op->emitError("cannot lower '")
             << op->getName() << "' on element type "
             << resultType.getElementType();
    }
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// Maps for a reduction over `reduced` dims of a rank-`rank` space: the
/// identity for the input, the kept dims for the (non-keepdims) output.
std::pair<AffineMap, AffineMap> reductionMaps(MLIRContext *ctx, int64_t rank,
                                              ArrayRef<int64_t> reduced) {
  SmallVector<AffineExpr> kept;
  for (int64_t d = 0; d < rank; ++d)
    if (!llvm::is_contained(reduced, d))
      kept.push_back(getAffineDimExpr(d, ctx));
  return {AffineMap::getMultiDimIdentityMap(rank, ctx),
          AffineMap::get(rank, 0, kept, ctx)};
}

SmallVector<int64_t> keptShape(ArrayRef<int64_t> shape,
                               ArrayRef<int64_t> reduced) {
  SmallVector<int64_t> kept;
  for (auto [d, size] : llvm::enumerate(shape))
    if (!llvm::is_contained(reduced, (int64_t)d))
      kept.push_back(size);
  return kept;
}

SmallVector<utils::IteratorType> iteratorsFor(int64_t rank,
                                              ArrayRef<int64_t> reduced) {
  SmallVector<utils::IteratorType> it(rank, utils::IteratorType::parallel);
  for (int64_t d : reduced)
    it[d] = utils::IteratorType::reduction;
  return it;
}

/// sum (or max) of `input` over `reduced`, without the reduced dims.
Value reduce(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> reduced,
             bool isMax) {
  auto type = cast<RankedTensorType>(input.getType());
  Type elem = type.getElementType();
  auto outType =
      RankedTensorType::get(keptShape(type.getShape(), reduced), elem);
  Value init = filledTensor(b, loc, outType,
                            isMax ? lowestValue(b, loc, elem)
                                  : scalarConstant(b, loc, elem, 0));
  auto [inMap, outMap] = reductionMaps(b.getContext(), type.getRank(), reduced);
  bool f = isFloat(elem);
  return linalg::GenericOp::create(
             b, loc, outType, input, init, ArrayRef<AffineMap>{inMap, outMap},
             iteratorsFor(type.getRank(), reduced),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value r;
               if (isMax)
                 r = f ? arith::MaximumFOp::create(nb, l, args[0], args[1])
                             .getResult()
                       : arith::MaxSIOp::create(nb, l, args[0], args[1])
                             .getResult();
               else
                 r = f ? arith::AddFOp::create(nb, l, args[0], args[1])
                             .getResult()
                       : arith::AddIOp::create(nb, l, args[0], args[1])
                             .getResult();
               linalg::YieldOp::create(nb, l, r);
             })
      .getResult(0);
}

template <typename OpTy>
struct ReduceLowering : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto outType = cast<RankedTensorType>(op.getType());
    Type elem = inType.getElementType();
    ArrayRef<int64_t> axes = op.getAxes();
    Value sum = reduce(rewriter, loc, adaptor.getInput(), axes, false);
    if (std::is_same_v<OpTy, ReduceMeanOp>) {
      if (!isFloat(elem))
        return op.emitError("cannot lower a mean of integers");
      int64_t count = 1;
      for (int64_t a : axes)
        count *= inType.getDimSize(a);
      auto sumType = cast<RankedTensorType>(sum.getType());
      Value divisor = scalarConstant(rewriter, loc, elem, count);
      int64_t rank = sumType.getRank();
      auto id = AffineMap::getMultiDimIdentityMap(rank, op.getContext());
      sum =
          linalg::GenericOp::create(
              rewriter, loc, sumType, sum,
              tensor::EmptyOp::create(rewriter, loc, sumType.getShape(), elem)
                  .getResult(),
              ArrayRef<AffineMap>{id, id},
              SmallVector<utils::IteratorType>(rank,
                                               utils::IteratorType::parallel),
              [&](OpBuilder &b, Location l, ValueRange args) {
                linalg::YieldOp::create(
                    b, l,
                    arith::DivFOp::create(b, l, args[0], divisor).getResult());
              })
              .getResult(0);
    }
    rewriter.replaceOp(op, reshapeTensor(rewriter, loc, sum, outType));
    return success();
  }
};

/// A generic over `shape` reading `inputs` through `maps` (the last map is
/// the identity output), with `body` computing the element.
Value mapTensors(OpBuilder &b, Location loc, RankedTensorType type,
                 ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                 function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(
      AffineMap::getMultiDimIdentityMap(type.getRank(), b.getContext()));
  Value init =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  return linalg::GenericOp::create(
             b, loc, type, inputs, init, maps,
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, body(nb, l, args.drop_back()));
             })
      .getResult(0);
}

/// Map from the full space to a reduced tensor (the kept dims).
AffineMap keptMap(MLIRContext *ctx, int64_t rank, ArrayRef<int64_t> reduced) {
  return reductionMaps(ctx, rank, reduced).second;
}

struct SoftmaxLowering : public OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    if (!isFloat(type.getElementType()))
      return op.emitError("cannot lower softmax on integers");
    int64_t axis = op.getAxis(), rank = type.getRank();
    MLIRContext *ctx = op.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap kept = keptMap(ctx, rank, {axis});
    // exp(x - max) / sum(exp(x - max)), along the axis.
    Value max = reduce(rewriter, loc, adaptor.getInput(), {axis}, true);
    Value e =
        mapTensors(rewriter, loc, type, {adaptor.getInput(), max}, {id, kept},
                   [](OpBuilder &b, Location l, ValueRange a) {
                     return math::ExpOp::create(
                                b, l, arith::SubFOp::create(b, l, a[0], a[1]))
                         .getResult();
                   });
    Value sum = reduce(rewriter, loc, e, {axis}, false);
    Value result =
        mapTensors(rewriter, loc, type, {e, sum}, {id, kept},
                   [](OpBuilder &b, Location l, ValueRange a) {
                     return arith::DivFOp::create(b, l, a[0], a[1]).getResult();
                   });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LayerNormLowering : public OpConversionPattern<LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type elem = type.getElementType();
    if (!isFloat(elem))
      return op.emitError("cannot lower layer_norm on integers");
    int64_t rank = type.getRank(), axis = op.getAxis();
    MLIRContext *ctx = op.getContext();
    SmallVector<int64_t> normalized;
    int64_t count = 1;
    for (int64_t d = axis; d < rank; ++d) {
      normalized.push_back(d);
      count *= type.getDimSize(d);
    }
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap kept = keptMap(ctx, rank, normalized);
    SmallVector<int64_t> leading;
    for (int64_t d = 0; d < axis; ++d)
      leading.push_back(d);
    AffineMap param = keptMap(ctx, rank, leading);
    Value n = scalarConstant(rewriter, loc, elem, count);
    Value eps =
        scalarConstant(rewriter, loc, elem, op.getEpsilon().convertToDouble());

    // mean = sum(x) / n; var = sum((x - mean)^2) / n.
    Value sum = reduce(rewriter, loc, adaptor.getInput(), normalized, false);
    auto meanType = cast<RankedTensorType>(sum.getType());
    AffineMap meanId =
        AffineMap::getMultiDimIdentityMap(meanType.getRank(), ctx);
    Value mean =
        mapTensors(rewriter, loc, meanType, sum, meanId,
                   [&](OpBuilder &b, Location l, ValueRange a) {
                     return arith::DivFOp::create(b, l, a[0], n).getResult();
                   });
    Value sq =
        mapTensors(rewriter, loc, type, {adaptor.getInput(), mean}, {id, kept},
                   [](OpBuilder &b, Location l, ValueRange a) {
                     Value c = arith::SubFOp::create(b, l, a[0], a[1]);
                     return arith::MulFOp::create(b, l, c, c).getResult();
                   });
    Value sqSum = reduce(rewriter, loc, sq, normalized, false);
    SmallVector<Value> inputs = {adaptor.getInput(), mean, sqSum,
                                 adaptor.getScale()};
    SmallVector<AffineMap> maps = {id, kept, kept, param};
    if (adaptor.getBias()) {
      inputs.push_back(adaptor.getBias());
      maps.push_back(param);
    }
    Value result =
        mapTensors(rewriter, loc, type, inputs, maps,
                   [&](OpBuilder &b, Location l, ValueRange a) {
                     Value var = arith::DivFOp::create(b, l, a[2], n);
                     Value stddev = math::SqrtOp::create(
                         b, l, arith::AddFOp::create(b, l, var, eps));
                     Value y = arith::DivFOp::create(
                         b, l, arith::SubFOp::create(b, l, a[0], a[1]), stddev);
                     y = arith::MulFOp::create(b, l, y, a[3]);
                     if (a.size() > 4)
                       y = arith::AddFOp::create(b, l, y, a[4]);
                     return y;
                   });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateElementwisePatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<ElementwiseLowering>(ctx);
  patterns.add<ReduceLowering<ReduceMeanOp>, ReduceLowering<ReduceSumOp>,
               SoftmaxLowering, LayerNormLowering>(ctx);
}

} // namespace tandem::accel_to_linalg
