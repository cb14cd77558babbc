//===- Calibration.cpp - Record activation ranges by running the model ----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/Calibration.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Execution/Executable.h"
#include "tandem/Quantization/Grid.h"
#include "tandem/Quantization/Quantize.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

#include <cmath>

using namespace mlir;
using namespace tandem;
using namespace tandem::quant;

DictionaryAttr tandem::quant::getStatisticsAttr(MLIRContext *ctx,
                                                const TensorStatistics &stats) {
  Builder b(ctx);
  SmallVector<NamedAttribute> fields{
      b.getNamedAttr("min", b.getF64FloatAttr(stats.min)),
      b.getNamedAttr("max", b.getF64FloatAttr(stats.max)),
      b.getNamedAttr("histogram", b.getDenseI64ArrayAttr(stats.histogram)),
  };
  if (!stats.channelMeans.empty()) {
    fields.push_back(
        b.getNamedAttr("channel_axis", b.getI64IntegerAttr(stats.channelAxis)));
    fields.push_back(b.getNamedAttr(
        "channel_means", b.getDenseF64ArrayAttr(stats.channelMeans)));
  }
  if (!stats.channels.empty()) {
    SmallVector<double> mins, maxs;
    SmallVector<int64_t> histograms;
    for (const TensorStatistics &c : stats.channels) {
      mins.push_back(c.min);
      maxs.push_back(c.max);
      llvm::append_range(histograms, c.histogram);
    }
    fields.push_back(
        b.getNamedAttr("channel_min", b.getDenseF64ArrayAttr(mins)));
    fields.push_back(
        b.getNamedAttr("channel_max", b.getDenseF64ArrayAttr(maxs)));
    fields.push_back(b.getNamedAttr("channel_histograms",
                                    b.getDenseI64ArrayAttr(histograms)));
  }
  return b.getDictionaryAttr(fields);
}

std::optional<TensorStatistics>
tandem::quant::parseStatisticsAttr(Attribute attr) {
  auto dict = dyn_cast_or_null<DictionaryAttr>(attr);
  if (!dict)
    return std::nullopt;
  auto min = dict.getAs<FloatAttr>("min");
  auto max = dict.getAs<FloatAttr>("max");
  auto histogram = dict.getAs<DenseI64ArrayAttr>("histogram");
  if (!min || !max || !histogram || histogram.empty() ||
      !(min.getValueAsDouble() <= max.getValueAsDouble()) ||
      llvm::any_of(histogram.asArrayRef(), [](int64_t c) { return c < 0; }))
    return std::nullopt;
  TensorStatistics stats;
  stats.min = min.getValueAsDouble();
  stats.max = max.getValueAsDouble();
  stats.histogram.assign(histogram.asArrayRef().begin(),
                         histogram.asArrayRef().end());
  // Channel means are optional (hand-written statistics may omit them);
  // malformed ones are dropped, which only turns bias correction off.
  auto axis = dict.getAs<IntegerAttr>("channel_axis");
  auto means = dict.getAs<DenseF64ArrayAttr>("channel_means");
  // A mean lies within the tensor's range.
  auto inRange = [&](double m) {
    return std::isfinite(m) && m >= stats.min && m <= stats.max;
  };
  if (axis && means && !means.empty() && axis.getInt() >= 0 &&
      llvm::all_of(means.asArrayRef(), inRange)) {
    stats.channelAxis = axis.getInt();
    stats.channelMeans.assign(means.asArrayRef().begin(),
                              means.asArrayRef().end());
  }
  // Per-channel ranges are optional too; malformed ones are dropped, and a
  // policy asking for per-channel grids then fails with an error.
  auto mins = dict.getAs<DenseF64ArrayAttr>("channel_min");
  auto maxs = dict.getAs<DenseF64ArrayAttr>("channel_max");
  auto histograms = dict.getAs<DenseI64ArrayAttr>("channel_histograms");
  if (axis && axis.getInt() >= 0 && mins && maxs && histograms &&
      !mins.empty() && mins.size() == maxs.size() &&
      histograms.size() % mins.size() == 0 &&
      histograms.size() >= mins.size()) {
    size_t bins = histograms.size() / mins.size();
    for (size_t c = 0; c < mins.size(); ++c) {
      TensorStatistics channel;
      channel.min = mins[c];
      channel.max = maxs[c];
      ArrayRef<int64_t> h = histograms.asArrayRef().slice(c * bins, bins);
      channel.histogram.assign(h.begin(), h.end());
      if (!(channel.min <= channel.max) || !std::isfinite(channel.min) ||
          !std::isfinite(channel.max) ||
          llvm::any_of(h, [](int64_t n) { return n < 0; })) {
        stats.channels.clear();
        break;
      }
      stats.channels.push_back(std::move(channel));
    }
    if (!stats.channels.empty())
      stats.channelAxis = axis.getInt();
  }
  return stats;
}

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

bool isF32Tensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getElementType().isF32();
}

/// The f32 tensors @main computes, in program order (constants excluded).
SmallVector<Value> getObservedValues(func::FuncOp main) {
  SmallVector<Value> values;
  for (Operation &op : main.front()) {
    if (isa<arith::ConstantOp>(op) || op.hasTrait<OpTrait::IsTerminator>())
      continue;
    for (Value v : op.getResults())
      if (isF32Tensor(v))
        values.push_back(v);
  }
  return values;
}

} // namespace

llvm::Error tandem::quant::runObserving(
    ModuleOp module, ArrayRef<Value> values, Dataset &data,
    const CalibrationOptions &options, int passes,
    llvm::function_ref<llvm::Error(int pass, ArrayRef<const exec::Tensor *>)>
        visit) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.isExternal() || !main.getBody().hasOneBlock())
    return fail("calibration expects a function @main with one block");
  if (main.getNumArguments() != 1 || !isF32Tensor(main.getArgument(0)))
    return fail("calibration expects @main to take one f32 tensor, it takes " +
                llvm::Twine(main.getNumArguments()) + " arguments");
  auto inputType = cast<RankedTensorType>(main.getArgument(0).getType());
  if (inputType.getRank() < 1 || !inputType.hasStaticShape())
    return fail("calibration expects a static input shape with a leading "
                "batch dimension");
  int64_t batch = inputType.getDimSize(0);
  int64_t sampleElements =
      inputType.getNumElements() / std::max<int64_t>(batch, 1);
  if (sampleElements != data.getSampleElements())
    return fail(data.getPath() + ": samples of " +
                llvm::Twine(data.getSampleElements()) +
                " elements do not fit @main's input " +
                llvm::Twine(sampleElements) + " elements per sample");
  int64_t samples = data.size();
  if (options.maxSamples)
    samples = std::min(samples, options.maxSamples);
  int64_t batches = samples / batch;
  if (batches == 0)
    return fail(data.getPath() + ": " + llvm::Twine(samples) +
                " samples are fewer than one batch of " + llvm::Twine(batch));

  // A copy of the module whose @main also returns the observed tensors.
  IRMapping mapping;
  OwningOpRef<ModuleOp> observed(cast<ModuleOp>(module->clone(mapping)));
  auto observedMain = observed->lookupSymbol<func::FuncOp>("main");
  Operation *ret = observedMain.front().getTerminator();
  unsigned originalResults = ret->getNumOperands();
  SmallVector<Value> results(ret->getOperands());
  for (Value v : values)
    results.push_back(mapping.lookup(v));
  ret->setOperands(results);
  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  SmallVector<DictionaryAttr> resultAttrs;
  for (unsigned i = 0; i < originalResults; ++i)
    resultAttrs.push_back(observedMain.getResultAttrDict(i));
  resultAttrs.resize(results.size(), DictionaryAttr::get(module.getContext()));
  observedMain.setFunctionType(FunctionType::get(
      module.getContext(), observedMain.getArgumentTypes(), resultTypes));
  observedMain.setAllResultAttrs(resultAttrs);
  exec::CompileOptions compileOptions;
  compileOptions.threads = options.threads;
  compileOptions.fakeQuant = options.fakeQuant;
  auto executable = exec::Executable::compile(*observed, compileOptions);
  if (!executable)
    return executable.takeError();

  exec::Tensor input(exec::ElementType::F32, inputType.getShape());
  for (int pass = 0; pass < passes; ++pass) {
    for (int64_t i = 0; i < batches; ++i) {
      data.read(i * batch, batch, reinterpret_cast<float *>(input.data()));
      auto outputs = (*executable)->run(input);
      if (!outputs)
        return outputs.takeError();
      SmallVector<const exec::Tensor *> tensors = {&input};
      for (size_t v = 0; v < values.size(); ++v)
        tensors.push_back(&(*outputs)[originalResults + v]);
      if (llvm::Error err = visit(pass, tensors))
        return err;
    }
  }
  return llvm::Error::success();
}

llvm::Error tandem::quant::calibrate(ModuleOp module, Dataset &data,
                                     const CalibrationOptions &options) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  SmallVector<Value> values;
  if (main && !main.isExternal() && main.getBody().hasOneBlock())
    values = getObservedValues(main);
  std::vector<StatisticsBuilder> builders(values.size() + 1);
  // The inputs of depthwise layers may be quantized per channel.
  for (size_t v = 0; v < values.size(); ++v)
    if (llvm::any_of(values[v].getUses(), [](OpOperand &use) {
          auto conv = dyn_cast<accel::Conv2DOp>(use.getOwner());
          return conv && use.getOperandNumber() == 0 &&
                 readsChannelsAlone(
                     cast<RankedTensorType>(conv.getInput().getType())
                         .getShape(),
                     cast<RankedTensorType>(conv.getWeight().getType())
                         .getShape(),
                     conv.getGroups());
        }))
      builders[v + 1].recordChannelHistograms();
  bool histograms = false;
  auto observe = [&](int pass, ArrayRef<const exec::Tensor *> tensors) {
    if (pass == 1 && !histograms) {
      for (StatisticsBuilder &b : builders)
        b.startHistogram();
      histograms = true;
    }
    for (size_t v = 0; v < tensors.size(); ++v) {
      llvm::ArrayRef<float> x(
          reinterpret_cast<const float *>(tensors[v]->data()),
          tensors[v]->getNumElements());
      if (pass == 0) {
        builders[v].observeRange(x);
        builders[v].observeChannels(x, tensors[v]->shape);
      } else {
        builders[v].observeHistogram(x);
      }
      builders[v].observeEachChannel(x, tensors[v]->shape);
    }
    return llvm::Error::success();
  };
  if (llvm::Error err = runObserving(module, values, data, options, 2, observe))
    return err;
  MLIRContext *ctx = module.getContext();
  main.setArgAttr(0, kCalibrationAttr,
                  getStatisticsAttr(ctx, builders[0].take()));
  SmallVector<Value> originals = getObservedValues(main);
  for (size_t v = 0; v < originals.size(); ++v)
    originals[v].getDefiningOp()->setAttr(
        kCalibrationAttr, getStatisticsAttr(ctx, builders[v + 1].take()));
  return llvm::Error::success();
}
