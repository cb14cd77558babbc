//===- ShiftAdd.cpp - Shift-add encoded weights and --accel-shift-add -----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/ShiftAdd.h"
#include "tandem/Dialect/Accel/IR/AccelDialect.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Dialect/Accel/IR/EncodedWeights.h"
#include "tandem/Quantization/Grid.h"
#include "tandem/Quantization/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>
#include <limits>

namespace tandem {
#define GEN_PASS_DEF_SHIFTADDPASS
#include "tandem/Quantization/Passes.h.inc"
} // namespace tandem

using namespace mlir;
using namespace tandem;
using namespace tandem::accel;
using namespace tandem::quant;

QuantizedWeight
tandem::quant::encodeWeights(ArrayRef<float> values, ArrayRef<int64_t> shape,
                             int32_t axis, const WeightEncoding &encoding,
                             bool perChannel, Clipping clipping) {
  QuantizedWeight w;
  w.axis = axis;
  int64_t channels = perChannel ? shape[axis] : 1;
  int64_t inner = 1;
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  auto channelOf = [&](int64_t i) {
    return perChannel ? (i / inner) % shape[axis] : 0;
  };
  std::vector<std::vector<float>> perChannelValues(channels);
  for (int64_t i = 0, e = values.size(); i < e; ++i)
    perChannelValues[channelOf(i)].push_back(values[i]);
  const int64_t top = getLargestMagnitude(encoding);
  for (const std::vector<float> &channel : perChannelValues) {
    double largest = 0;
    for (float v : channel)
      largest = std::max(largest, std::fabs(double(v)));
    // Scales are rounded to float, as every grid's (QDQ exports f32).
    auto paramsFor = [&](double ratio) {
      QuantParams p;
      p.scale = largest > 0 ? double(float(largest * ratio / double(top))) : 1;
      p.zeroPoint = 0;
      p.qmin = -top;
      p.qmax = top;
      return p;
    };
    QuantParams best = paramsFor(1.0);
    if (clipping == Clipping::MSE && largest > 0) {
      double bestError = std::numeric_limits<double>::infinity();
      for (int c = 0; c <= 10; ++c) {
        QuantParams p = paramsFor(1.0 - 0.05 * c);
        double err = 0;
        for (float v : channel) {
          double d = v - p.scale * double(encodeReal(encoding, v / p.scale));
          err += d * d;
        }
        if (err < bestError) {
          bestError = err;
          best = p;
        }
      }
    }
    w.params.push_back(best);
  }
  w.values.resize(values.size());
  for (int64_t i = 0, e = values.size(); i < e; ++i)
    w.values[i] =
        encodeReal(encoding, double(values[i]) / w.params[channelOf(i)].scale);
  return w;
}

void tandem::quant::setWeightEncoding(Operation *layer,
                                      const WeightEncoding &encoding,
                                      int64_t terms) {
  layer->setAttr(kWeightEncodingAttr,
                 WeightEncodingAttr::get(layer->getContext(), encoding.kind,
                                         encoding.bits, encoding.maxDigits,
                                         terms));
}

namespace {

struct ShiftAddPass : public tandem::impl::ShiftAddPassBase<ShiftAddPass> {
  using ShiftAddPassBase::ShiftAddPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    EncodingKind kind;
    int64_t maxDigits = 0;
    if (encoding.empty()) {
      emitError(module.getLoc(),
                "--accel-shift-add needs encoding=pot, apot, csd or "
                "csd-T");
      return signalPassFailure();
    }
    if (llvm::Error err = parseEncodingChoice(encoding, kind, maxDigits)) {
      emitError(module.getLoc(), llvm::toString(std::move(err)));
      return signalPassFailure();
    }
    if (kind == EncodingKind::Multiply) {
      emitError(module.getLoc(),
                "encoding=multiply encodes nothing: give pot, apot, "
                "csd or csd-T");
      return signalPassFailure();
    }
    if (clipping != "mse" && clipping != "minmax") {
      emitError(module.getLoc(), "clipping must be 'mse' or 'minmax', got '")
          << clipping << "'";
      return signalPassFailure();
    }
    llvm::StringSet<> named, found;
    for (const std::string &name : layers)
      named.insert(name);
    SmallVector<Operation *> candidates;
    unsigned alreadyEncoded = 0;
    module.walk([&](Operation *op) {
      if (!isa<Conv2DOp, MatmulOp>(op))
        return;
      std::string name = getDisplayName(op);
      if (!named.empty() && !named.contains(name))
        return;
      // Without names: the layers not encoded yet (a second run after a
      // first that named some completes the model).
      if (named.empty() && op->hasAttr(kWeightEncodingAttr)) {
        ++alreadyEncoded;
        return;
      }
      found.insert(name);
      candidates.push_back(op);
    });
    for (const std::string &name : layers)
      if (!found.contains(name)) {
        emitError(module.getLoc(), "layer '")
            << name << "' is not a convolution or matrix product of the model";
        return signalPassFailure();
      }
    unsigned encoded = 0;
    for (Operation *op : candidates) {
      FailureOr<bool> done = encodeLayer(op, kind, maxDigits, !named.empty());
      if (failed(done))
        return signalPassFailure();
      encoded += *done;
    }
    if (encoded == 0 && alreadyEncoded == 0) {
      emitError(module.getLoc(),
                "no layer to encode: --accel-shift-add needs "
                "convolutions or matrix products with quantized "
                "constant weights (run --accel-quantize first)");
      return signalPassFailure();
    }
  }

  /// Encodes one layer; false when it cannot be and was not named.
  FailureOr<bool> encodeLayer(Operation *op, EncodingKind kind,
                              int64_t maxDigits, bool explicitlyNamed) {
    auto cannot = [&](const Twine &why) -> FailureOr<bool> {
      if (!explicitlyNamed)
        return false;
      emitError(op->getLoc(), "layer '")
          << getDisplayName(op) << "' cannot be encoded: " << why;
      return failure();
    };
    std::string why;
    std::optional<unsigned> index = getWeightOperand(op, why);
    if (!index)
      return cannot(why);
    Value weight = op->getOperand(*index);
    auto wType = cast<RankedTensorType>(weight.getType());
    std::optional<Grid> grid = getGrid(wType.getElementType());
    std::optional<SmallVector<int64_t>> ints = getConstantStorageValues(weight);
    if (!grid || !ints)
      return cannot("its weights are not quantized integer constants (run "
                    "--accel-quantize first)");
    if (grid->hasZeroPoints())
      return cannot("its weights are asymmetric (zero points); a shift-add "
                    "product has no offset");
    if (grid->isPerAxis() && grid->axis != int32_t(wType.getRank()) - 1 &&
        grid->axis != 0)
      return cannot("its weights are quantized along an axis that is not "
                    "the output channels'");
    WeightEncoding e{kind, bits, maxDigits};
    if (bits == 0)
      e.bits = kind == EncodingKind::CSD ? int64_t(grid->bits) : 5;
    if (llvm::Error err = checkEncoding(e)) {
      emitError(op->getLoc(), "layer '")
          << getDisplayName(op)
          << "' cannot be encoded: " << llvm::toString(std::move(err));
      return failure();
    }
    int64_t channels = wType.getDimSize(grid->isPerAxis() ? grid->axis : 0);
    int64_t inner = 1;
    for (int64_t d = (grid->isPerAxis() ? grid->axis : 0) + 1;
         d < wType.getRank(); ++d)
      inner *= wType.getDimSize(d);
    auto channelOf = [&](int64_t i) { return (i / inner) % channels; };

    // The real weights, encoded afresh (a digit limit or a power-of-two
    // grid wants its own scale: clamping 127 to one CSD digit would give 64).
    int32_t axis = grid->isPerAxis() ? grid->axis : 0;
    SmallVector<float> reals;
    for (auto [i, q] : llvm::enumerate(*ints))
      reals.push_back(
          float(double(q) * grid->scale(grid->isPerAxis() ? channelOf(i) : 0)));
    QuantizedWeight w =
        encodeWeights(reals, wType.getShape(), axis, e, grid->isPerAxis(),
                      clipping == "mse" ? Clipping::MSE : Clipping::MinMax);
    int64_t storageBits = getValueBits(e);
    OpBuilder b(op);
    Location loc = op->getLoc();
    Type newElement = getWeightType(op->getContext(), w, storageBits);
    Value raw = createIntConstant(
        b, loc, wType.clone(b.getIntegerType(storageBits)), w.values);
    Value newWeight = mlir::quant::StorageCastOp::create(
        b, loc, wType.clone(newElement), raw);
    op->setOperand(*index, newWeight);
    if (failed(regridBias(op, w)))
      return failure();
    setWeightEncoding(op, e, countWeightTerms(w.values, e).terms);
    eraseIfDead(weight);
    return true;
  }

  /// After the weights' scales changed: the bias (a conv's operand, or the
  /// add after a matrix product whose result is its accumulator) moves to
  /// the new accumulator scales.
  LogicalResult regridBias(Operation *op, const QuantizedWeight &w) {
    std::optional<Grid> input =
        getGrid(getElementTypeOrSelf(op->getOperand(0).getType()));
    if (!input)
      return success(); // a float layer has no integer bias
    // A per-channel input only where each output channel reads its own
    // input channel (what --accel-quantize writes).
    auto conv = dyn_cast<Conv2DOp>(op);
    if (input->isPerAxis() &&
        !(conv && input->axis == 1 &&
          readsChannelsAlone(
              cast<RankedTensorType>(conv.getInput().getType()).getShape(),
              cast<RankedTensorType>(conv.getWeight().getType()).getShape(),
              conv.getGroups())))
      return emitError(op->getLoc(), "layer '")
             << getDisplayName(op)
             << "' reads a per-channel input grid but mixes channels; its "
                "bias cannot be re-gridded";
    // Per output channel; a depthwise layer's input may have a scale per
    // channel too.
    SmallVector<double> accScales;
    size_t channels = std::max(w.params.size(), input->scales.size());
    for (size_t c = 0; c < channels; ++c)
      accScales.push_back(double(float(
          input->scale(c) * w.params[w.params.size() == 1 ? 0 : c].scale)));
    auto regrid = [&](Operation *user, unsigned operand,
                      int32_t axis) -> LogicalResult {
      Value bias = user->getOperand(operand);
      auto type = cast<RankedTensorType>(bias.getType());
      std::optional<SmallVector<float>> reals = getBiasValues(bias);
      if (!reals)
        return emitError(op->getLoc(), "layer '")
               << getDisplayName(op)
               << "' has a bias that is not a quantized constant";
      OpBuilder b(user);
      // A matrix product's bias: channels along its own last axis.
      if (axis < 0)
        axis = type.getRank() - 1;
      FailureOr<Value> newBias =
          createBias(b, bias.getLoc(), *reals, type, accScales, axis, op);
      if (failed(newBias))
        return failure();
      user->setOperand(operand, *newBias);
      eraseIfDead(bias);
      return success();
    };
    if (auto conv = dyn_cast<Conv2DOp>(op))
      return conv.getBias() ? regrid(op, 2, 0) : success();
    // A matrix product whose i32 result is the accumulator of its bias add.
    Value result = op->getResult(0);
    auto resultType = cast<RankedTensorType>(result.getType());
    std::optional<Grid> acc = getGrid(resultType.getElementType());
    if (!acc || acc->bits != 32)
      return success();
    int32_t axis = resultType.getRank() - 1;
    result.setType(resultType.clone(
        getAccumulatorType(op->getContext(), accScales, axis)));
    for (OpOperand &use : llvm::make_early_inc_range(result.getUses()))
      if (isa<AddOp>(use.getOwner()) &&
          failed(regrid(use.getOwner(), 1 - use.getOperandNumber(),
                        /*axis: the bias's last*/ -1)))
        return failure();
    return success();
  }
};

} // namespace
