//===- LowerQuantized.cpp - Quantized accel IR to integer or float IR -----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// mode=integer: every quantized tensor becomes its storage values in a
// signless container (i8 up to 8 bits, i16 up to 16, i32 for 32), and every
// quantized op integer arithmetic, exactly as docs/quantization.md states:
//
//   contraction  acc = sum (x - zx) * (w - zw)     (i32; i64 with 16-bit data)
//                y   = clamp(rshift_rne((acc + bias) * m, n) + zy, qmin, qmax)
//   add          y   = clamp(rshift_rne((a - za) * ma + (b - zb) * mb, n) + zy)
//   avg pool     y   = clamp(rshift_rne(sum(x - zx) * m[p,q], n[p,q]) + zy)
//   max pool, relu, clip, reshape, transpose: on the integers (clip bounds
//                rounded to the grid), then requantized if the result's type
//                differs from the input's
//   qcast        q   = clamp(roundeven(x / s) + z, qmin, qmax)   (f32)
//   dcast        x   = f32(q - z) * s
//
// where M = m * 2^-n is the real rescale (input scales over output scale,
// per channel or position) with m in [2^30, 2^31), and rshift_rne rounds
// half to even.
//
// mode=float ("fake quantization"): every quantized tensor becomes its real
// value in f32, every op computes in f32 on those values, and its result is
// rounded to its type's grid: fq(x) = (clamp(roundeven(x / s) + z) - z) * s.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "tandem/Conversion/Passes.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Quantization/Grid.h"
#include "tandem/Quantization/Statistics.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

namespace tandem {
#define GEN_PASS_DEF_LOWERQUANTIZEDPASS
#include "tandem/Conversion/Passes.h.inc"
} // namespace tandem

using namespace mlir;
using namespace tandem;
using namespace tandem::accel;
using namespace tandem::accel_to_linalg;
using tandem::quant::FixedPointMultiplier;

namespace {

using tandem::quant::getGrid;
using tandem::quant::Grid;

bool isQuantized(Type type) {
  return isa<mlir::quant::QuantizedType>(getElementTypeOrSelf(type));
}

unsigned containerWidth(unsigned bits) {
  return bits <= 8 ? 8 : bits <= 16 ? 16 : bits <= 32 ? 32 : 64;
}

/// One fixed-point multiplier per channel (or one).
struct Rescale {
  SmallVector<int64_t> multipliers, shifts;
};

class Lowerer {
public:
  Lowerer(func::FuncOp func, bool integer, bool runtimeParams)
      : func(func), integer(integer), runtimeParams(runtimeParams),
        ctx(func.getContext()), b(ctx) {}

  LogicalResult run();

private:
  LogicalResult lower(Operation *op);
  Value get(Value v) { return mapping.lookupOrDefault(v); }
  Grid grid(Value v) { return *getGrid(v.getType()); }
  RankedTensorType loweredType(Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    if (!isQuantized(t))
      return t;
    if (!integer)
      return t.clone(b.getF32Type());
    return t.clone(b.getIntegerType(containerWidth(grid(v).bits)));
  }

  // Building blocks.
  Value constI64(Location loc, int64_t v) {
    return arith::ConstantIntOp::create(b, loc, v, 64);
  }
  Value constF32(Location loc, double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  /// A 1-D i64 constant, or a scalar when all values are equal.
  Value channelConstant(Location loc, ArrayRef<int64_t> values);
  /// Multipliers and shifts: two scalars, or two vectors of one length.
  std::pair<Value, Value> rescaleConstants(Location loc, const Rescale &r) {
    if (llvm::all_equal(r.multipliers) && llvm::all_equal(r.shifts))
      return {constI64(loc, r.multipliers[0]), constI64(loc, r.shifts[0])};
    auto type =
        RankedTensorType::get({(int64_t)r.shifts.size()}, b.getI64Type());
    auto vec = [&](ArrayRef<int64_t> v) -> Value {
      return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, v));
    };
    return {vec(r.multipliers), vec(r.shifts)};
  }
  FailureOr<Rescale> getRescale(Operation *op, ArrayRef<double> reals);
  /// A linalg.generic producing `type` from `inputs` read through `maps`
  /// (the result is indexed by the identity), computing `body`.
  Value generic(Location loc, RankedTensorType type, ValueRange inputs,
                ArrayRef<AffineMap> maps,
                function_ref<Value(OpBuilder &, Location, ValueRange)> body);
  AffineMap identity(unsigned rank) {
    return AffineMap::getMultiDimIdentityMap(rank, ctx);
  }
  /// The map reading a numpy-broadcast `input` in a loop over `shape`.
  AffineMap broadcastMap(RankedTensorType input, ArrayRef<int64_t> shape);
  /// The map reading a channel vector along `dim` (or a scalar) in a loop of
  /// rank `rank`.
  AffineMap channelMap(Value channelValue, unsigned rank, unsigned dim);

  /// sext/trunc an integer scalar to `type`.
  Value castInt(OpBuilder &nb, Location loc, Value v, Type type);
  /// clamp(rshift_rne(v * m, n) + z, qmin, qmax), truncated to `out`.
  Value requantScalar(OpBuilder &nb, Location loc, Value v, Value m, Value n,
                      Value zero, int64_t qmin, int64_t qmax, Type out,
                      bool wide);
  /// Rounds a product right by n, half to even (n >= 1).
  Value roundingShift(OpBuilder &nb, Location loc, Value prod, Value n);
  /// `x - zero` per element (per channel along `axis`) in a wider integer.
  Value subtractZero(Location loc, Value x, const Grid &g, Type wider);
  /// Rescales integer `values` (already zero-point free, any width) from
  /// real per-element scale `inScales` (by channel `dim`, or per tensor) to
  /// `out`'s grid.
  FailureOr<Value> requantize(Operation *op, Value values, unsigned dim,
                              ArrayRef<double> reals, const Grid &out,
                              RankedTensorType outType, bool wide,
                              Value addend = nullptr, int64_t addendShift = 0);
  /// fq(x) for `x` in f32 with `g` per tensor.
  Value fakeQuant(Location loc, Value x, const Grid &g);
  /// fq(x) with a grid per channel along `g.axis`.
  Value fakeQuantPerAxis(Location loc, Value x, const Grid &g);
  /// f32 `x` onto the per-channel grid `g` from constants: the storage
  /// integers as `out` (an integer type), or their real values (f32).
  Value quantizeChannels(Location loc, Value x, const Grid &g, Type out);
  Value quantizeF32(OpBuilder &nb, Location loc, Value x, double scale,
                    int64_t zero, int64_t qmin, int64_t qmax);

  LogicalResult lowerStorageCast(mlir::quant::StorageCastOp op);
  LogicalResult lowerConv(Conv2DOp op);
  LogicalResult lowerMatmul(MatmulOp op);
  LogicalResult lowerAdd(AddOp op);
  LogicalResult lowerPool(Pool2DOp op);
  LogicalResult lowerClamp(Operation *op, std::optional<double> lo,
                           std::optional<double> hi);

  /// Run-time parameters: a new @main argument of the f32 values `values`
  /// (a weight), or the next row of the parameter table.
  Value addWeightArgument(Location loc, DenseElementsAttr values);
  /// An activation as a layer reads it: in run-time parameter mode, rounded
  /// to its grid again (to the cast's grid if it is read through one) so that
  /// every policy gives the same program.
  Value layerInput(Location loc, Value v);
  void finishRuntimeParameters();

  func::FuncOp func;
  bool integer, runtimeParams;
  MLIRContext *ctx;
  OpBuilder b;
  IRMapping mapping;
  unsigned originalArguments = 0;
  Value paramTable;
  SmallVector<float> paramRows;
  SmallVector<Attribute> weightValues;
};

/// clamp(roundeven(v / s) + z, qmin, qmax) in f32, all operands values.
Value roundToLevels(OpBuilder &nb, Location l, Value v, Value s, Value z,
                    Value qmin, Value qmax) {
  Value q = arith::DivFOp::create(nb, l, v, s);
  q = math::RoundEvenOp::create(nb, l, q);
  q = arith::AddFOp::create(nb, l, q, z);
  // maxnumf/minnumf: a NaN becomes qmin rather than poison.
  q = arith::MaxNumFOp::create(nb, l, q, qmin);
  return arith::MinNumFOp::create(nb, l, q, qmax);
}

/// (q - z) * s: a level's real value.
Value levelToReal(OpBuilder &nb, Location l, Value q, Value s, Value z) {
  q = arith::SubFOp::create(nb, l, q, z);
  return arith::MulFOp::create(nb, l, q, s);
}

Value f32Constant(OpBuilder &nb, Location l, double v) {
  return arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(v));
}

Value Lowerer::addWeightArgument(Location loc, DenseElementsAttr values) {
  unsigned index = func.getNumArguments();
  (void)func.insertArgument(index, values.getType(), DictionaryAttr::get(ctx),
                            loc);
  weightValues.push_back(values);
  return func.getArgument(index);
}

Value Lowerer::layerInput(Location loc, Value v) {
  if (!runtimeParams)
    return get(v);
  if (auto cast_ = v.getDefiningOp<CastOp>())
    return fakeQuant(loc, get(cast_.getInput()), grid(cast_.getResult()));
  return fakeQuant(loc, get(v), grid(v));
}

void Lowerer::finishRuntimeParameters() {
  int64_t rows = std::max<int64_t>(1, paramRows.size() / 4);
  paramRows.resize(rows * 4, 1.0f);
  auto type = RankedTensorType::get({rows, 4}, b.getF32Type());
  paramTable.setType(type);
  SmallVector<Type> inputs(func.front().getArgumentTypes());
  func.setFunctionType(
      FunctionType::get(ctx, inputs, func.getFunctionType().getResults()));
  func->setAttr("accel.runtime_parameters",
                DenseElementsAttr::get(type, llvm::ArrayRef(paramRows)));
  func->setAttr("accel.runtime_weights", ArrayAttr::get(ctx, weightValues));
}

Value Lowerer::castInt(OpBuilder &nb, Location loc, Value v, Type type) {
  unsigned from = v.getType().getIntOrFloatBitWidth(),
           to = type.getIntOrFloatBitWidth();
  if (from == to)
    return v;
  if (from < to)
    return arith::ExtSIOp::create(nb, loc, type, v);
  return arith::TruncIOp::create(nb, loc, type, v);
}

Value Lowerer::channelConstant(Location loc, ArrayRef<int64_t> values) {
  if (llvm::all_equal(values))
    return constI64(loc, values[0]);
  auto type = RankedTensorType::get({(int64_t)values.size()}, b.getI64Type());
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, llvm::ArrayRef(values)));
}

AffineMap Lowerer::channelMap(Value channelValue, unsigned rank, unsigned dim) {
  auto t = dyn_cast<RankedTensorType>(channelValue.getType());
  if (!t)
    return AffineMap::get(rank, 0, {}, ctx);
  if (t.getRank() == 2) // P x Q positions
    return AffineMap::get(
        rank, 0, {getAffineDimExpr(dim, ctx), getAffineDimExpr(dim + 1, ctx)},
        ctx);
  return AffineMap::get(rank, 0, getAffineDimExpr(dim, ctx), ctx);
}

AffineMap Lowerer::broadcastMap(RankedTensorType input,
                                ArrayRef<int64_t> shape) {
  int64_t offset = shape.size() - input.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < input.getRank(); ++d)
    exprs.push_back(input.getDimSize(d) == 1 && shape[offset + d] != 1
                        ? getAffineConstantExpr(0, ctx)
                        : getAffineDimExpr(offset + d, ctx));
  return AffineMap::get(shape.size(), 0, exprs, ctx);
}

Value Lowerer::generic(
    Location loc, RankedTensorType type, ValueRange inputs,
    ArrayRef<AffineMap> maps,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  // Scalars (per-tensor parameters) are captured, not read through maps.
  SmallVector<Value> tensors;
  SmallVector<AffineMap> tensorMaps;
  SmallVector<int> slot;
  for (auto [v, m] : llvm::zip(inputs, maps)) {
    if (isa<RankedTensorType>(v.getType())) {
      slot.push_back(tensors.size());
      tensors.push_back(v);
      tensorMaps.push_back(m);
    } else {
      slot.push_back(-1);
    }
  }
  tensorMaps.push_back(identity(type.getRank()));
  Value init =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  SmallVector<Value> all(inputs.begin(), inputs.end());
  return linalg::GenericOp::create(
             b, loc, type, tensors, init, tensorMaps,
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               SmallVector<Value> scalars;
               for (size_t i = 0; i < all.size(); ++i)
                 scalars.push_back(slot[i] >= 0 ? args[slot[i]] : all[i]);
               linalg::YieldOp::create(nb, l, body(nb, l, scalars));
             })
      .getResult(0);
}

Value Lowerer::roundingShift(OpBuilder &nb, Location loc, Value prod, Value n) {
  Type t = prod.getType();
  Value nn = castInt(nb, loc, n, t);
  Value one = arith::ConstantIntOp::create(nb, loc, t, 1);
  Value floor = arith::ShRSIOp::create(nb, loc, prod, nn);
  Value rem = arith::SubIOp::create(nb, loc, prod,
                                    arith::ShLIOp::create(nb, loc, floor, nn));
  Value half = arith::ShLIOp::create(nb, loc, one,
                                     arith::SubIOp::create(nb, loc, nn, one));
  Value above =
      arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::sgt, rem, half);
  Value tie =
      arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::eq, rem, half);
  Value odd =
      arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::ne,
                            arith::AndIOp::create(nb, loc, floor, one),
                            arith::ConstantIntOp::create(nb, loc, t, 0));
  Value up = arith::OrIOp::create(nb, loc, above,
                                  arith::AndIOp::create(nb, loc, tie, odd));
  return arith::AddIOp::create(nb, loc, floor,
                               arith::ExtUIOp::create(nb, loc, t, up));
}

Value Lowerer::requantScalar(OpBuilder &nb, Location loc, Value v, Value m,
                             Value n, Value zero, int64_t qmin, int64_t qmax,
                             Type out, bool wide) {
  Type t = nb.getIntegerType(wide ? 128 : 64);
  Value prod = arith::MulIOp::create(nb, loc, castInt(nb, loc, v, t),
                                     castInt(nb, loc, m, t));
  Value r = castInt(nb, loc, roundingShift(nb, loc, prod, n), nb.getI64Type());
  r = arith::AddIOp::create(nb, loc, r, zero);
  r = arith::MaxSIOp::create(nb, loc, r,
                             arith::ConstantIntOp::create(nb, loc, qmin, 64));
  r = arith::MinSIOp::create(nb, loc, r,
                             arith::ConstantIntOp::create(nb, loc, qmax, 64));
  return castInt(nb, loc, r, out);
}

FailureOr<Rescale> Lowerer::getRescale(Operation *op, ArrayRef<double> reals) {
  Rescale r;
  for (double real : reals) {
    FixedPointMultiplier fp;
    if (!tandem::quant::getFixedPointMultiplier(real, fp) || fp.shift < 1)
      return op->emitError("cannot requantize by ")
             << real
             << ": the rescale must be positive and below 2^30 (scales of "
                "the operands and the result are inconsistent)";
    // Beyond 62 bits every product rounds to 0.
    if (fp.shift > 62)
      fp = {0, 1};
    r.multipliers.push_back(fp.multiplier);
    r.shifts.push_back(fp.shift);
  }
  return r;
}

Value Lowerer::subtractZero(Location loc, Value x, const Grid &g, Type wider) {
  auto t = cast<RankedTensorType>(x.getType());
  if (!g.hasZeroPoints() && t.getElementType() == wider)
    return x;
  Value zeros = channelConstant(loc, g.zeroPoints);
  unsigned rank = t.getRank();
  return generic(loc, t.clone(wider), {x, zeros},
                 {identity(rank), channelMap(zeros, rank, std::max(g.axis, 0))},
                 [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                   return arith::SubIOp::create(nb, l,
                                                castInt(nb, l, a[0], wider),
                                                castInt(nb, l, a[1], wider));
                 });
}

FailureOr<Value> Lowerer::requantize(Operation *op, Value values, unsigned dim,
                                     ArrayRef<double> reals, const Grid &out,
                                     RankedTensorType outType, bool wide,
                                     Value addend, int64_t addendShift) {
  Location loc = op->getLoc();
  FailureOr<Rescale> rescale = getRescale(op, reals);
  if (failed(rescale))
    return failure();
  auto [m, n] = rescaleConstants(loc, *rescale);
  unsigned rank = outType.getRank();
  SmallVector<Value> inputs = {values, m, n};
  SmallVector<AffineMap> maps = {identity(rank), channelMap(m, rank, dim),
                                 channelMap(n, rank, dim)};
  if (addend) {
    inputs.push_back(addend);
    maps.push_back(channelMap(addend, rank, dim));
  }
  // One zero point, or one per channel along `dim` (the result's axis).
  Value zeros = channelConstant(loc, out.zeroPoints);
  inputs.push_back(zeros);
  maps.push_back(channelMap(zeros, rank, dim));
  Type elem = outType.getElementType();
  return generic(loc, outType, inputs, maps,
                 [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                   Type t = nb.getIntegerType(wide ? 128 : 64);
                   Value v = castInt(nb, l, a[0], t);
                   Value zero = a.back();
                   if (addend) {
                     Value add = castInt(nb, l, a[3], t);
                     if (addendShift)
                       add = arith::ShLIOp::create(
                           nb, l, add,
                           arith::ConstantIntOp::create(nb, l, t, addendShift));
                     v = arith::AddIOp::create(nb, l, v, add);
                   }
                   return requantScalar(nb, l, v, a[1], a[2], zero, out.qmin,
                                        out.qmax, elem, wide);
                 });
}

Value Lowerer::quantizeF32(OpBuilder &nb, Location loc, Value x, double scale,
                           int64_t zero, int64_t qmin, int64_t qmax) {
  return roundToLevels(nb, loc, x, f32Constant(nb, loc, scale),
                       f32Constant(nb, loc, zero), f32Constant(nb, loc, qmin),
                       f32Constant(nb, loc, qmax));
}

Value Lowerer::fakeQuant(Location loc, Value x, const Grid &g) {
  auto t = cast<RankedTensorType>(x.getType());
  if (g.isPerAxis())
    return fakeQuantPerAxis(loc, x, g);
  double s = g.scales[0];
  int64_t z = g.zeroPoints[0];
  if (!runtimeParams)
    return generic(loc, t, {x}, {identity(t.getRank())},
                   [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                     Value q = quantizeF32(nb, l, a[0], s, z, g.qmin, g.qmax);
                     return levelToReal(nb, l, q, f32Constant(nb, l, s),
                                        f32Constant(nb, l, z));
                   });
  // The parameters are row `slot` of the table: scale, zero point, qmin, qmax.
  int64_t slot = paramRows.size() / 4;
  paramRows.append({static_cast<float>(s), static_cast<float>(z),
                    static_cast<float>(g.qmin), static_cast<float>(g.qmax)});
  SmallVector<Value> p;
  Value row = arith::ConstantIndexOp::create(b, loc, slot);
  for (int64_t j = 0; j < 4; ++j)
    p.push_back(tensor::ExtractOp::create(
        b, loc, paramTable,
        ValueRange{row, arith::ConstantIndexOp::create(b, loc, j)}));
  return generic(loc, t, {x, p[0], p[1], p[2], p[3]},
                 {identity(t.getRank()), AffineMap(), AffineMap(), AffineMap(),
                  AffineMap()},
                 [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                   Value q = roundToLevels(nb, l, a[0], a[1], a[2], a[3], a[4]);
                   return levelToReal(nb, l, q, a[1], a[2]);
                 });
}

Value Lowerer::quantizeChannels(Location loc, Value x, const Grid &g,
                                Type out) {
  auto t = cast<RankedTensorType>(x.getType());
  unsigned rank = t.getRank();
  SmallVector<float> scales, zeros;
  for (size_t c = 0; c < g.scales.size(); ++c) {
    scales.push_back(static_cast<float>(g.scales[c]));
    zeros.push_back(static_cast<float>(g.zeroPoints[c]));
  }
  auto vecType =
      RankedTensorType::get({(int64_t)scales.size()}, b.getF32Type());
  Value sv = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vecType, llvm::ArrayRef(scales)));
  Value zv = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vecType, llvm::ArrayRef(zeros)));
  return generic(loc, t.clone(out), {x, sv, zv},
                 {identity(rank), channelMap(sv, rank, g.axis),
                  channelMap(zv, rank, g.axis)},
                 [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                   Value q = roundToLevels(nb, l, a[0], a[1], a[2],
                                           f32Constant(nb, l, g.qmin),
                                           f32Constant(nb, l, g.qmax));
                   if (isa<IntegerType>(out))
                     return arith::FPToSIOp::create(nb, l, out, q);
                   return levelToReal(nb, l, q, a[1], a[2]);
                 });
}

Value Lowerer::fakeQuantPerAxis(Location loc, Value x, const Grid &g) {
  auto t = cast<RankedTensorType>(x.getType());
  unsigned rank = t.getRank();
  if (!runtimeParams)
    return quantizeChannels(loc, x, g, b.getF32Type());
  // Rows slot .. slot + channels - 1 of the table, one per channel.
  int64_t slot = paramRows.size() / 4;
  for (size_t c = 0; c < g.scales.size(); ++c)
    paramRows.append({static_cast<float>(g.scales[c]),
                      static_cast<float>(g.zeroPoints[c]),
                      static_cast<float>(g.qmin), static_cast<float>(g.qmax)});
  Value table = paramTable;
  unsigned axis = g.axis;
  return generic(
      loc, t, {x}, {identity(rank)},
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value row =
            arith::AddIOp::create(nb, l, linalg::IndexOp::create(nb, l, axis),
                                  arith::ConstantIndexOp::create(nb, l, slot));
        SmallVector<Value> p;
        for (int64_t j = 0; j < 4; ++j)
          p.push_back(tensor::ExtractOp::create(
              nb, l, table,
              ValueRange{row, arith::ConstantIndexOp::create(nb, l, j)}));
        Value q = roundToLevels(nb, l, a[0], p[0], p[1], p[2], p[3]);
        return levelToReal(nb, l, q, p[0], p[1]);
      });
}

LogicalResult Lowerer::lowerStorageCast(mlir::quant::StorageCastOp op) {
  Location loc = op.getLoc();
  Value result = op.getResult();
  if (!isQuantized(result.getType()))
    return op.emitError("cannot lower a storage cast out of a quantized type");
  std::optional<Grid> g = getGrid(result.getType());
  if (!g)
    return op.emitError("cannot lower element type ")
           << getElementTypeOrSelf(result.getType());
  DenseIntElementsAttr values;
  if (!matchPattern(op.getInput(), m_Constant(&values)))
    return op.emitError("expects the integers of a quantized weight to be a "
                        "constant");
  RankedTensorType type = loweredType(result);
  int64_t rank = type.getRank();
  ArrayRef<int64_t> shape = type.getShape();
  int64_t inner = 1;
  if (g->isPerAxis())
    for (int64_t d = g->axis + 1; d < rank; ++d)
      inner *= shape[d];
  if (integer) {
    unsigned width = type.getElementTypeBitWidth();
    SmallVector<APInt> ints;
    for (const APInt &v : values.getValues<APInt>())
      ints.push_back(v.sextOrTrunc(width));
    mapping.map(result, arith::ConstantOp::create(
                            b, loc, DenseElementsAttr::get(type, ints)));
    return success();
  }
  // Float mode: the real values, f32((q - z) * s) as dcast computes them.
  SmallVector<float> reals;
  int64_t i = 0;
  for (const APInt &v : values.getValues<APInt>()) {
    int64_t c = g->isPerAxis() ? (i / inner) % shape[g->axis] : 0;
    reals.push_back(static_cast<float>(v.getSExtValue() - g->zero(c)) *
                    static_cast<float>(g->scale(c)));
    ++i;
  }
  auto attr = DenseElementsAttr::get(type, llvm::ArrayRef(reals));
  mapping.map(result,
              runtimeParams
                  ? addWeightArgument(loc, attr)
                  : arith::ConstantOp::create(b, loc, attr).getResult());
  return success();
}

LogicalResult Lowerer::lowerConv(Conv2DOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput(), w = op.getWeight(), bias = op.getBias();
  if (!isQuantized(x.getType()) || !isQuantized(w.getType()) ||
      !isQuantized(op.getType()) || (bias && !isQuantized(bias.getType())))
    return op.emitError("expects a quantized input, weight, bias and result, "
                        "or none quantized");
  Grid gx = grid(x), gw = grid(w), gy = grid(op.getResult());
  // A per-channel input: each output channel reads its own input channel.
  bool channelInput =
      gx.isPerAxis() && gx.axis == 1 &&
      tandem::quant::readsChannelsAlone(
          cast<RankedTensorType>(x.getType()).getShape(),
          cast<RankedTensorType>(w.getType()).getShape(), op.getGroups());
  if ((gx.isPerAxis() && !channelInput) || (gy.isPerAxis() && gy.axis != 1) ||
      (gw.isPerAxis() && gw.axis != 0))
    return op.emitError(
        "expects a per-tensor input grid (per channel, axis 1, only for a "
        "depthwise convolution), a result grid per tensor or per channel "
        "(axis 1), and weights per tensor or per output channel (axis 0)");
  int64_t k = op.getType().getDimSize(1);
  SmallVector<double> accScales;
  for (int64_t c = 0; c < k; ++c)
    accScales.push_back(gx.scale(c) * gw.scale(c));
  // The bias is on the accumulator's grid, or (wide layers, whose biases
  // would not fit i32 there) on a grid 2^shift times coarser.
  int64_t biasShift = 0;
  if (bias) {
    Grid gb = grid(bias);
    biasShift = std::lround(std::log2(gb.scale(0) / accScales[0]));
    for (int64_t c = 0; c < k; ++c) {
      double expected = std::ldexp(accScales[c], biasShift);
      if (gb.zero(c) != 0 || biasShift < 0 || biasShift > 30 ||
          std::fabs(gb.scale(c) - expected) > 1e-6 * expected)
        return op.emitError("expects the bias grid to be the input scale "
                            "times the weight scale (times a power of two), "
                            "zero point 0");
    }
  }
  if (!integer) {
    auto conv = Conv2DOp::create(
        b, loc, loweredType(op.getResult()), layerInput(loc, x), get(w),
        bias ? get(bias) : Value(), op.getStridesAttr(), op.getPadsAttr(),
        op.getDilationsAttr(), op.getGroupsAttr());
    mapping.map(op.getResult(), fakeQuant(loc, conv, gy));
    return success();
  }
  bool wide = gx.bits > 8 || gw.bits > 8;
  Type narrow = b.getIntegerType(wide ? 32 : 16);
  Type accType = b.getIntegerType(wide ? 64 : 32);
  Value xs =
      gx.hasZeroPoints() ? subtractZero(loc, get(x), gx, narrow) : get(x);
  Value ws =
      gw.hasZeroPoints() ? subtractZero(loc, get(w), gw, narrow) : get(w);
  Value acc = Conv2DOp::create(b, loc, op.getType().clone(accType), xs, ws,
                               Value(), op.getStridesAttr(), op.getPadsAttr(),
                               op.getDilationsAttr(), op.getGroupsAttr());
  SmallVector<double> reals;
  for (int64_t c = 0; c < k; ++c)
    reals.push_back(accScales[c] / gy.scale(c));
  FailureOr<Value> y =
      requantize(op, acc, 1, reals, gy, loweredType(op.getResult()), wide,
                 bias ? get(bias) : Value(), biasShift);
  if (failed(y))
    return failure();
  mapping.map(op.getResult(), *y);
  return success();
}

LogicalResult Lowerer::lowerMatmul(MatmulOp op) {
  Location loc = op.getLoc();
  Value l = op.getLhs(), r = op.getRhs();
  if (!isQuantized(l.getType()) || !isQuantized(r.getType()) ||
      !isQuantized(op.getType()))
    return op.emitError("expects quantized operands and result, or none");
  Grid gl = grid(l), gr = grid(r), gy = grid(op.getResult());
  unsigned rank = op.getType().getRank();
  int64_t rRank = cast<RankedTensorType>(r.getType()).getRank();
  if (gl.isPerAxis() || (gr.isPerAxis() && gr.axis != rRank - 1) ||
      (gy.isPerAxis() && gy.axis != (int32_t)rank - 1))
    return op.emitError("expects a per-tensor left operand, and the right "
                        "operand and result per tensor or per column");
  int64_t n = op.getType().getShape().back();
  if (!integer) {
    bool weights = r.getDefiningOp<mlir::quant::StorageCastOp>() != nullptr;
    Value lhs = layerInput(loc, l);
    Value rhs = weights ? get(r) : layerInput(loc, r);
    Value mm = MatmulOp::create(b, loc, loweredType(op.getResult()), lhs, rhs);
    // An i32 accumulator keeps the exact product.
    mapping.map(op.getResult(), gy.bits >= 32 ? mm : fakeQuant(loc, mm, gy));
    return success();
  }
  bool wide = gl.bits > 8 || gr.bits > 8;
  Type narrow = b.getIntegerType(wide ? 32 : 16);
  Type accType = b.getIntegerType(wide ? 64 : 32);
  Value ls =
      gl.hasZeroPoints() ? subtractZero(loc, get(l), gl, narrow) : get(l);
  Value rs =
      gr.hasZeroPoints() ? subtractZero(loc, get(r), gr, narrow) : get(r);
  Value acc = MatmulOp::create(b, loc, op.getType().clone(accType), ls, rs);
  // An i32 result on the grid of the product (to float precision: its
  // scale went through f32) holds the accumulator itself.
  bool accumulator = gy.bits == 32;
  for (int64_t c = 0; c < n && accumulator; ++c) {
    double product = gl.scale(0) * gr.scale(c);
    accumulator = std::fabs(product - gy.scale(c)) <= 1e-6 * gy.scale(c);
  }
  SmallVector<double> reals;
  for (int64_t c = 0; c < n; ++c)
    reals.push_back(accumulator ? 1.0
                                : gl.scale(0) * gr.scale(c) / gy.scale(c));
  Grid out = gy;
  if (gy.hasZeroPoints() && gy.isPerAxis())
    return op.emitError("expects a per-column result grid with zero points 0");
  FailureOr<Value> y = requantize(op, acc, rank - 1, reals, out,
                                  loweredType(op.getResult()), wide);
  if (failed(y))
    return failure();
  mapping.map(op.getResult(), *y);
  return success();
}

LogicalResult Lowerer::lowerAdd(AddOp op) {
  Location loc = op.getLoc();
  Value a = op.getLhs(), c = op.getRhs();
  if (!isQuantized(a.getType()) || !isQuantized(c.getType()) ||
      !isQuantized(op.getType()))
    return op.emitError("expects quantized operands and result, or none");
  Grid ga = grid(a), gc = grid(c), gy = grid(op.getResult());
  RankedTensorType outType = loweredType(op.getResult());
  ArrayRef<int64_t> shape = outType.getShape();
  unsigned rank = shape.size();
  auto aType = cast<RankedTensorType>(a.getType());
  auto cType = cast<RankedTensorType>(c.getType());
  if (gy.isPerAxis())
    return op.emitError("expects a per-tensor result grid");
  if (!integer) {
    Value sum = AddOp::create(b, loc, outType, get(a), get(c));
    mapping.map(op.getResult(), fakeQuant(loc, sum, gy));
    return success();
  }
  bool wide = ga.bits > 8 || gc.bits > 8;
  // Operands on one grid (an accumulator and its bias): add, then rescale.
  int64_t offsetA = rank - aType.getRank(), offsetC = rank - cType.getRank();
  bool sameGrid =
      ga.scales == gc.scales && ga.zeroPoints == gc.zeroPoints &&
      (ga.isPerAxis() ? gc.isPerAxis() && ga.axis + offsetA == gc.axis + offsetC
                      : !gc.isPerAxis());
  if (sameGrid) {
    Type t = b.getI64Type();
    int64_t za = ga.zeroPoints[0];
    Value sum = generic(
        loc, outType.clone(t), {get(a), get(c)},
        {broadcastMap(aType, shape), broadcastMap(cType, shape)},
        [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
          Value s = arith::AddIOp::create(nb, l, castInt(nb, l, v[0], t),
                                          castInt(nb, l, v[1], t));
          return arith::SubIOp::create(
              nb, l, s, arith::ConstantIntOp::create(nb, l, 2 * za, 64));
        });
    if (ga.isPerAxis() && ga.hasZeroPoints())
      return op.emitError("expects per-channel operand grids with zero "
                          "points 0");
    SmallVector<double> reals;
    for (double s : ga.scales)
      reals.push_back(s / gy.scale(0));
    FailureOr<Value> y =
        requantize(op, sum, ga.isPerAxis() ? ga.axis + offsetA : 0, reals, gy,
                   outType, wide);
    if (failed(y))
      return failure();
    mapping.map(op.getResult(), *y);
    return success();
  }
  if (ga.isPerAxis() || gc.isPerAxis())
    return op.emitError("expects per-tensor operand grids, or both operands "
                        "on the same grid");
  // Both rescaled to the result with one shared shift.
  double ma = ga.scale(0) / gy.scale(0), mc = gc.scale(0) / gy.scale(0);
  FailureOr<Rescale> big = getRescale(op, {std::max(ma, mc)});
  if (failed(big))
    return failure();
  int64_t shift = big->shifts[0];
  auto fixed = [&](double real) {
    return static_cast<int64_t>(std::nearbyint(std::ldexp(real, shift)));
  };
  int64_t mA = fixed(ma), mC = fixed(mc);
  int64_t za = ga.zeroPoints[0], zc = gc.zeroPoints[0];
  Type t = b.getI64Type();
  Value y =
      generic(loc, outType, {get(a), get(c)},
              {broadcastMap(aType, shape), broadcastMap(cType, shape)},
              [&](OpBuilder &nb, Location l, ValueRange v) -> Value {
                auto term = [&](Value q, int64_t z, int64_t m) -> Value {
                  Value d = arith::SubIOp::create(
                      nb, l, castInt(nb, l, q, t),
                      arith::ConstantIntOp::create(nb, l, z, 64));
                  return arith::MulIOp::create(
                      nb, l, d, arith::ConstantIntOp::create(nb, l, m, 64));
                };
                Value prod = arith::AddIOp::create(nb, l, term(v[0], za, mA),
                                                   term(v[1], zc, mC));
                // requantScalar with m = 1: only the rounding shift and clamp.
                return requantScalar(
                    nb, l, prod, arith::ConstantIntOp::create(nb, l, 1, 64),
                    arith::ConstantIntOp::create(nb, l, shift, 64),
                    arith::ConstantIntOp::create(nb, l, gy.zeroPoints[0], 64),
                    gy.qmin, gy.qmax, outType.getElementType(), false);
              });
  mapping.map(op.getResult(), y);
  return success();
}

LogicalResult Lowerer::lowerPool(Pool2DOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  Grid gx = grid(x), gy = grid(op.getResult());
  if (gx.isPerAxis() || gy.isPerAxis())
    return op.emitError("expects per-tensor grids");
  RankedTensorType outType = loweredType(op.getResult());
  bool isMax = op.getKind() == PoolKind::Max;
  if (!integer) {
    Value pooled = Pool2DOp::create(
        b, loc, outType, op.getKindAttr(), get(x), op.getKernelAttr(),
        op.getStridesAttr(), op.getPadsAttr(), op.getDilationsAttr(),
        op.getCeilModeAttr(), op.getCountIncludePadAttr());
    mapping.map(op.getResult(), fakeQuant(loc, pooled, gy));
    return success();
  }
  if (isMax) {
    Value pooled = Pool2DOp::create(
        b, loc, loweredType(x).clone(outType.getShape()), op.getKindAttr(),
        get(x), op.getKernelAttr(), op.getStridesAttr(), op.getPadsAttr(),
        op.getDilationsAttr(), op.getCeilModeAttr(),
        op.getCountIncludePadAttr());
    if (getElementTypeOrSelf(x.getType()) ==
        getElementTypeOrSelf(op.getType())) {
      mapping.map(op.getResult(), pooled);
      return success();
    }
    Value centred = subtractZero(loc, pooled, gx, b.getI32Type());
    FailureOr<Value> y = requantize(op, centred, 0, {gx.scale(0) / gy.scale(0)},
                                    gy, outType, false);
    if (failed(y))
      return failure();
    mapping.map(op.getResult(), *y);
    return success();
  }
  // Average: the sum of the zero-point-free window (zero padding is real
  // zero), rescaled by s_in / (s_out * count) per output position.
  Value centred = subtractZero(loc, get(x), gx, b.getI32Type());
  SmallVector<int64_t> pads = getPoolPads(op);
  Value padded = padTensor(b, loc, centred, {0, 0, pads[0], pads[1]},
                           {0, 0, pads[2], pads[3]},
                           arith::ConstantIntOp::create(b, loc, 0, 32));
  auto sumType = outType.clone(b.getI32Type());
  Value window =
      tensor::EmptyOp::create(b, loc, op.getKernel(), b.getI32Type());
  auto i64s = [&](ArrayRef<int64_t> v) {
    return DenseIntElementsAttr::get(
        RankedTensorType::get({(int64_t)v.size()}, b.getI64Type()), v);
  };
  Value sum =
      linalg::PoolingNchwSumOp::create(
          b, loc, TypeRange{sumType}, ValueRange{padded, window},
          ValueRange{filledTensor(b, loc, sumType,
                                  arith::ConstantIntOp::create(b, loc, 0, 32))},
          i64s(op.getStrides()), i64s(op.getDilations()))
          .getResult(0);
  SmallVector<double> counts = getPoolCounts(op);
  SmallVector<double> reals;
  for (double c : counts)
    reals.push_back(gx.scale(0) / (gy.scale(0) * c));
  FailureOr<Rescale> rescale = getRescale(op, reals);
  if (failed(rescale))
    return failure();
  int64_t p = outType.getDimSize(2), q = outType.getDimSize(3);
  auto posType = RankedTensorType::get({p, q}, b.getI64Type());
  Value m = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(posType, llvm::ArrayRef(rescale->multipliers)));
  Value n = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(posType, llvm::ArrayRef(rescale->shifts)));
  Type elem = outType.getElementType();
  Value y = generic(loc, outType, {sum, m, n},
                    {identity(4), channelMap(m, 4, 2), channelMap(n, 4, 2)},
                    [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                      return requantScalar(nb, l, a[0], a[1], a[2],
                                           arith::ConstantIntOp::create(
                                               nb, l, gy.zeroPoints[0], 64),
                                           gy.qmin, gy.qmax, elem, false);
                    });
  mapping.map(op.getResult(), y);
  return success();
}

LogicalResult Lowerer::lowerClamp(Operation *op, std::optional<double> lo,
                                  std::optional<double> hi) {
  Location loc = op->getLoc();
  Value x = op->getOperand(0);
  Grid gx = grid(x), gy = grid(op->getResult(0));
  bool sameType = getElementTypeOrSelf(x.getType()) ==
                  getElementTypeOrSelf(op->getResult(0).getType());
  if ((gx.isPerAxis() || gy.isPerAxis()) && !sameType)
    return op->emitError("expects per-tensor grids, or one per-channel grid "
                         "shared by the operand and the result");
  RankedTensorType outType = loweredType(op->getResult(0));
  if (!integer) {
    Operation *clone = b.clone(*op, mapping);
    clone->getResult(0).setType(outType);
    mapping.map(op->getResult(0), fakeQuant(loc, clone->getResult(0), gy));
    return success();
  }
  Value v = get(x);
  if (!sameType) {
    Value centred = subtractZero(loc, v, gx, b.getI32Type());
    FailureOr<Value> y = requantize(op, centred, 0, {gx.scale(0) / gy.scale(0)},
                                    gy, outType, false);
    if (failed(y))
      return failure();
    v = *y;
  }
  // Bounds on the result's grid (each channel's); relu's bound is the zero
  // point.
  SmallVector<int64_t> qlo, qhi;
  for (size_t c = 0; c < gy.scales.size(); ++c) {
    tandem::quant::QuantParams p{gy.scales[c], gy.zeroPoints[c], gy.qmin,
                                 gy.qmax};
    qlo.push_back(lo ? p.quantize(*lo) : gy.qmin);
    qhi.push_back(hi ? p.quantize(*hi) : gy.qmax);
  }
  Type elem = outType.getElementType();
  unsigned rank = outType.getRank();
  Value vlo = channelConstant(loc, qlo), vhi = channelConstant(loc, qhi);
  Value y = generic(
      loc, outType, {v, vlo, vhi},
      {identity(rank), channelMap(vlo, rank, std::max(gy.axis, 0)),
       channelMap(vhi, rank, std::max(gy.axis, 0))},
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value r =
            arith::MaxSIOp::create(nb, l, a[0], castInt(nb, l, a[1], elem));
        return arith::MinSIOp::create(nb, l, r, castInt(nb, l, a[2], elem));
      });
  mapping.map(op->getResult(0), y);
  return success();
}

LogicalResult Lowerer::lower(Operation *op) {
  Location loc = op->getLoc();
  if (auto q = dyn_cast<mlir::quant::QuantizeCastOp>(op)) {
    std::optional<Grid> g = getGrid(q.getType());
    if (!g)
      return op->emitError("cannot lower this quantize cast");
    Value x = get(q.getInput());
    auto t = cast<RankedTensorType>(x.getType());
    if (!integer) {
      mapping.map(q.getResult(), fakeQuant(loc, x, *g));
      return success();
    }
    RankedTensorType outType = loweredType(q.getResult());
    Type elem = outType.getElementType();
    unsigned rank = t.getRank();
    if (!g->isPerAxis()) {
      mapping.map(
          q.getResult(),
          generic(loc, outType, {x}, {identity(rank)},
                  [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                    Value f = quantizeF32(nb, l, a[0], g->scales[0],
                                          g->zeroPoints[0], g->qmin, g->qmax);
                    return arith::FPToSIOp::create(nb, l, elem, f);
                  }));
      return success();
    }
    mapping.map(q.getResult(), quantizeChannels(loc, x, *g, elem));
    return success();
  }
  if (auto d = dyn_cast<mlir::quant::DequantizeCastOp>(op)) {
    std::optional<Grid> g = getGrid(d.getInput().getType());
    if (!g)
      return op->emitError("cannot lower this dequantize cast");
    Value q = get(d.getInput());
    if (!integer) {
      op->getResult(0).replaceAllUsesWith(q);
      return success();
    }
    auto outType = cast<RankedTensorType>(d.getType());
    SmallVector<int64_t> zeros = g->zeroPoints;
    SmallVector<float> scales;
    for (double sc : g->scales)
      scales.push_back(sc);
    unsigned rank = outType.getRank();
    Value zv = channelConstant(loc, zeros);
    Value sv = scales.size() == 1
                   ? constF32(loc, scales[0])
                   : arith::ConstantOp::create(
                         b, loc,
                         DenseElementsAttr::get(
                             RankedTensorType::get({(int64_t)scales.size()},
                                                   b.getF32Type()),
                             llvm::ArrayRef(scales)))
                         .getResult();
    if (isa<RankedTensorType>(sv.getType()) &&
        !isa<RankedTensorType>(zv.getType()))
      zv = arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(
              RankedTensorType::get({(int64_t)scales.size()}, b.getI64Type()),
              llvm::ArrayRef(SmallVector<int64_t>(scales.size(), zeros[0]))));
    unsigned dim = std::max(g->axis, 0);
    Value real = generic(
        loc, outType, {q, zv, sv},
        {identity(rank), channelMap(zv, rank, dim), channelMap(sv, rank, dim)},
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value c = arith::SubIOp::create(
              nb, l, castInt(nb, l, a[0], nb.getI64Type()), a[1]);
          Value f = arith::SIToFPOp::create(nb, l, nb.getF32Type(), c);
          return arith::MulFOp::create(nb, l, f, a[2]);
        });
    op->getResult(0).replaceAllUsesWith(real);
    return success();
  }
  if (auto s = dyn_cast<mlir::quant::StorageCastOp>(op))
    return lowerStorageCast(s);
  if (auto conv = dyn_cast<Conv2DOp>(op))
    return lowerConv(conv);
  if (auto mm = dyn_cast<MatmulOp>(op))
    return lowerMatmul(mm);
  if (auto add = dyn_cast<AddOp>(op))
    return lowerAdd(add);
  if (auto pool = dyn_cast<Pool2DOp>(op))
    return lowerPool(pool);
  if (isa<ReluOp>(op))
    return lowerClamp(op, 0.0, std::nullopt);
  if (auto clip = dyn_cast<ClipOp>(op)) {
    std::optional<double> lo, hi;
    if (clip.getMin())
      lo = clip.getMin()->convertToDouble();
    if (clip.getMax())
      hi = clip.getMax()->convertToDouble();
    return lowerClamp(op, lo, hi);
  }
  if (isa<ReshapeOp, TransposeOp>(op)) {
    // The integers move unchanged: the grid must be the same, and one grid
    // per tensor (a channel axis could move).
    Type in = getElementTypeOrSelf(op->getOperand(0).getType());
    if (in != getElementTypeOrSelf(op->getResult(0).getType()) ||
        grid(op->getOperand(0)).isPerAxis())
      return op->emitError("expects the same per-tensor grid on its operand "
                           "and its result");
    Operation *clone = b.clone(*op, mapping);
    clone->getResult(0).setType(loweredType(op->getResult(0)));
    mapping.map(op->getResult(0), clone->getResult(0));
    return success();
  }
  if (auto cast_ = dyn_cast<CastOp>(op)) {
    Grid gx = grid(cast_.getInput()), gy = grid(cast_.getResult());
    if (gx.isPerAxis() && gy.isPerAxis() && gx.axis != gy.axis)
      return op->emitError("expects per-channel grids on one axis");
    RankedTensorType outType = loweredType(cast_.getResult());
    if (!integer) {
      bool readByLayersOnly =
          llvm::all_of(cast_->getUsers(), [](Operation *user) {
            return isa<Conv2DOp, MatmulOp>(user);
          });
      // Run-time parameter mode rounds at the reading layer instead.
      mapping.map(cast_.getResult(),
                  runtimeParams && readByLayersOnly
                      ? get(cast_.getInput())
                      : fakeQuant(loc, get(cast_.getInput()), gy));
      return success();
    }
    Value centred =
        subtractZero(loc, get(cast_.getInput()), gx, b.getI32Type());
    // One rescale, or one per channel along the per-channel grid's axis.
    int32_t axis = std::max(gx.axis, gy.axis);
    size_t channels = std::max(gx.scales.size(), gy.scales.size());
    SmallVector<double> reals;
    for (size_t c = 0; c < channels; ++c)
      reals.push_back(gx.scale(c) / gy.scale(c));
    FailureOr<Value> y = requantize(op, centred, std::max(axis, 0), reals, gy,
                                    outType, gx.bits > 8);
    if (failed(y))
      return failure();
    mapping.map(cast_.getResult(), *y);
    return success();
  }
  return op->emitError("cannot lower quantized '")
         << op->getName()
         << "': quantized execution supports conv2d, "
            "matmul, add, pool2d, relu, clip, reshape, "
            "transpose and cast";
}

LogicalResult Lowerer::run() {
  if (runtimeParams) {
    originalArguments = func.getNumArguments();
    (void)func.insertArgument(originalArguments,
                              RankedTensorType::get({1, 4}, b.getF32Type()),
                              DictionaryAttr::get(ctx), func.getLoc());
    paramTable = func.getArgument(originalArguments);
  }
  for (BlockArgument arg : func.getArguments())
    if (isQuantized(arg.getType()))
      return func.emitError("expects float arguments: quantize them inside "
                            "the function with quant.qcast");
  SmallVector<Operation *> toErase;
  for (Block &block : func.getBody())
    for (Operation &op : block) {
      bool quantized = llvm::any_of(op.getOperandTypes(), isQuantized) ||
                       llvm::any_of(op.getResultTypes(), isQuantized);
      if (!quantized)
        continue;
      if (op.hasTrait<OpTrait::IsTerminator>())
        return op.emitError("expects float results: dequantize them with "
                            "quant.dcast before returning");
      for (Type t :
           llvm::concat<Type>(op.getOperandTypes(), op.getResultTypes()))
        if (isQuantized(t) && !getGrid(t))
          return op.emitError("cannot lower element type ")
                 << getElementTypeOrSelf(t)
                 << ": expects signed uniform (per-tensor or per-axis) types";
      b.setInsertionPoint(&op);
      if (failed(lower(&op)))
        return failure();
      toErase.push_back(&op);
    }
  for (Operation *op : llvm::reverse(toErase)) {
    for (Value r : op->getResults())
      if (!r.use_empty())
        return op->emitError("a quantized result is still used after "
                             "lowering");
    op->erase();
  }
  // Integer constants that only fed storage casts are now dead.
  SmallVector<Operation *> dead;
  func.walk([&](arith::ConstantOp c) {
    if (c->use_empty())
      dead.push_back(c);
  });
  for (Operation *op : dead)
    op->erase();
  if (runtimeParams)
    finishRuntimeParameters();
  return success();
}

struct LowerQuantizedPass
    : public tandem::impl::LowerQuantizedPassBase<LowerQuantizedPass> {
  using Base::Base;
  void runOnOperation() override {
    if (mode != "integer" && mode != "float") {
      getOperation().emitError("--accel-lower-quantized: mode must be "
                               "'integer' or 'float', got '")
          << mode << "'";
      return signalPassFailure();
    }
    if (runtimeParameters && mode != "float") {
      getOperation().emitError("--accel-lower-quantized: runtime-parameters "
                               "needs mode=float");
      return signalPassFailure();
    }
    if (failed(Lowerer(getOperation(), mode == "integer", runtimeParameters)
                   .run()))
      signalPassFailure();
  }
};

} // namespace
