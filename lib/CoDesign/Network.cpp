//===- Network.cpp - The model side of a joint design space ---------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/CoDesign/Network.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Quantization/Calibration.h"
#include "tandem/Quantization/GPTQ.h"
#include "tandem/Quantization/MixedPrecision.h"
#include "tandem/Quantization/ValidationOracle.h"

#include "llvm/Support/FormatVariadic.h"

using namespace llvm;
using namespace mlir;
using namespace tandem;
using namespace tandem::codesign;
using tandem::quant::LayerBits;

static Error fail(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

/// What measuring needs: the data, the compiled fp32 reference and the
/// policy scorer.
struct Network::Impl {
  std::unique_ptr<tandem::quant::Dataset> data;
  std::unique_ptr<exec::Executable> reference;
  std::unique_ptr<tandem::quant::PolicyScorer> scorer;
  std::unique_ptr<tandem::quant::ValidationOracle> oracle;
  std::unique_ptr<tandem::quant::SequentialOracle> sequential;
  tandem::quant::WeightCache weights;
};

Network::~Network() = default;

int64_t Network::getValidationSamples() const { return impl->data->size(); }

Expected<std::unique_ptr<Network>>
Network::create(ModuleOp module, DesignSpace &space,
                const NetworkOptions &options, StringRef modelName) {
  auto log = [&](const Twine &line) {
    if (options.log)
      options.log(line.str());
  };
  std::unique_ptr<Network> n(new Network());
  n->impl = std::make_unique<Impl>();
  n->module = module;
  n->space = &space;
  n->base = options.base;
  if (n->base.weightRounding == tandem::quant::WeightRounding::GPTQSequential) {
    n->base.weightRounding = tandem::quant::WeightRounding::GPTQ;
    n->sequential = true;
  }
  if (options.dataPath.empty())
    return fail("the space has a network section: its accuracy is measured "
                "on validation data, give it with --dataset (and --labels)");
  auto perSample = tandem::quant::getSampleElements(module);
  if (!perSample)
    return perSample.takeError();
  auto data =
      tandem::quant::Dataset::open(options.dataPath, options.labelsPath,
                                   *perSample, options.validationSamples);
  if (!data)
    return data.takeError();
  n->impl->data = std::move(*data);

  // The layers and the groups bound to them.
  n->layers = tandem::quant::getLayerInfos(module);
  if (n->layers.empty())
    return fail("model '" + modelName +
                "' has no convolution or matrix product to quantize");
  std::vector<NetworkLayer> bound;
  for (const tandem::quant::LayerInfo &l : n->layers) {
    NetworkLayer nl;
    nl.name = l.name;
    nl.kind = l.kind;
    nl.depthwise = l.depthwise;
    nl.pointwise = l.kind == "conv2d" && l.kernel == 1 && !l.depthwise;
    nl.params = l.params;
    bound.push_back(std::move(nl));
  }
  if (Error err = space.bindNetwork(bound, modelName))
    return std::move(err);

  // Calibration, unless the model carries statistics; the layers' input
  // moments for GPTQ rounding.
  auto moments = tandem::quant::prepareForQuantization(
      module, options.dataPath, options.calibrationSamples,
      n->base.weightRounding, options.threads, log);
  if (!moments)
    return moments.takeError();
  n->impl->weights.setInputMoments(*moments);

  // The fp32 reference and the scorer.
  exec::CompileOptions compile;
  compile.threads = 1;
  auto reference = exec::Executable::compile(module, compile);
  if (!reference)
    return reference.takeError();
  n->impl->reference = std::move(*reference);
  auto scorer = tandem::quant::PolicyScorer::create(
      module, tandem::quant::uniformPolicy(8, 8), compile);
  if (!scorer)
    return scorer.takeError();
  n->impl->scorer = std::move(*scorer);
  n->impl->scorer->getWeightCache().setInputMoments(*moments);
  auto fp32 = tandem::quant::evaluate(*n->impl->reference, *n->impl->data,
                                      nullptr, {}, options.threads);
  if (!fp32)
    return fp32.takeError();
  n->fp32 = tandem::quant::toQuality(*fp32, n->impl->data->hasLabels());
  n->fp32.agreement = 1;
  n->fp32.noise = 0;
  n->impl->oracle = std::make_unique<tandem::quant::ValidationOracle>(
      *n->impl->scorer, *n->impl->data, *n->impl->reference, options.threads);
  if (n->sequential)
    n->impl->sequential = std::make_unique<tandem::quant::SequentialOracle>(
        module, options.dataPath, options.calibrationSamples, *n->impl->data,
        *n->impl->reference, options.threads);

  // Sensitivity at every width and encoding a layer may take.
  std::vector<int64_t> bits;
  std::vector<WeightEncoding> encodings;
  for (const LayerBits &b : space.getDistinctChoices()) {
    if (b.encoding == EncodingKind::Multiply &&
        !llvm::is_contained(bits, b.weightBits))
      bits.push_back(b.weightBits);
    if (!llvm::is_contained(bits, b.activationBits))
      bits.push_back(b.activationBits);
    if (b.encoding != EncodingKind::Multiply &&
        !llvm::is_contained(encodings, b.getWeightEncoding()))
      encodings.push_back(b.getWeightEncoding());
  }
  llvm::sort(bits);
  n->key = tandem::quant::getSensitivityKey(
      n->layers, bits, encodings,
      formatv("{0}|{1}|{2}|{3}", options.dataPath, options.labelsPath,
              options.calibrationSamples, options.validationSamples)
          .str(),
      n->base, *fp32);
  bool reused;
  auto s = tandem::quant::loadOrMeasureSensitivity(
      *n->impl->oracle, n->layers, bits, encodings, /*activationClippings=*/{},
      n->base, n->impl->data->size(), n->fp32, options.sensitivityPath, n->key,
      log, options.interrupted, reused);
  if (!s)
    return s.takeError();
  n->sensitivity = std::move(*s);
  return n;
}

std::string Network::getPolicyKey(ArrayRef<LayerBits> bits) {
  std::string key;
  for (const LayerBits &b : bits)
    key += getChoiceLabel(b) + ";";
  return key;
}

void Network::prepare(ArrayRef<std::vector<LayerBits>> policies) {
  // Enough for NSGA-II's population and offspring many times over; a
  // ResNet-18 quantized is a few megabytes of IR.
  constexpr size_t kCapacity = 512;
  ++clock;
  for (const std::vector<LayerBits> &bits : policies) {
    auto &slot = quantized[getPolicyKey(bits)];
    if (slot) {
      slot->lastUse = clock;
      continue;
    }
    slot = std::make_unique<Quantized>();
    slot->lastUse = clock;
    ++quantizedCount;
    auto module = quantize(bits);
    if (!module) {
      slot->error = toString(module.takeError());
      continue;
    }
    slot->module = std::move(*module);
    slot->model = std::make_unique<workload::WorkloadModel>(*slot->module);
  }
  if (quantized.size() <= kCapacity)
    return;
  // Least recently used first; this batch's stay.
  std::vector<std::pair<uint64_t, std::string>> ages;
  for (auto &[key, q] : quantized)
    if (q->lastUse != clock)
      ages.push_back({q->lastUse, key});
  llvm::sort(ages);
  for (size_t i = 0; i < ages.size() && quantized.size() > kCapacity; ++i)
    quantized.erase(ages[i].second);
}

NetworkCost Network::getCost(ArrayRef<LayerBits> bits, const hw::Target &target,
                             const workload::CostOptions &options,
                             workload::MappingProvider provider) const {
  NetworkCost result;
  // A choice the design's units cannot compute, named with its layer.
  for (auto [i, b] : llvm::enumerate(bits)) {
    WeightEncoding e = b.getWeightEncoding();
    bool weights = layers[i].params > 0;
    hw::MacOperands mac{weights ? b.weightBits : b.activationBits,
                        b.activationBits, e.isShiftAdd(), 1.0,
                        weights ? getValueBits(e) : b.activationBits};
    if (auto why = target.explainUnsupported(
            mac, !weights         ? ""
                 : e.isShiftAdd() ? getEncodingLabel(e) + " weights"
                                  : "weights")) {
      result.invalid =
          layers[i].name + " at " + getChoiceLabel(b) + ": " + *why;
      return result;
    }
  }
  auto it = quantized.find(getPolicyKey(bits));
  if (it == quantized.end()) {
    result.invalid = "the policy was not prepared";
    return result;
  }
  const Quantized &q = *it->second;
  if (!q.error.empty()) {
    result.invalid = q.error;
    return result;
  }
  auto cost =
      tandem::quant::costWorkload(*q.model, layers, target, provider, options);
  if (!cost) {
    result.invalid = toString(cost.takeError());
    return result;
  }
  // A contraction on the host: the design cannot run the network's work.
  for (auto [i, why] : llvm::enumerate(cost->hostReasons))
    if (!why.empty()) {
      result.invalid = layers[i].name + " at " + getChoiceLabel(bits[i]) +
                       " runs on the host: " + why;
      return result;
    }
  result.cycles = cost->total.cycles;
  result.energyPJ = cost->total.energyPJ;
  result.hostOps = cost->restHostRows;
  return result;
}

Error Network::createVariants() {
  for (const LayerBits &b : space->getDistinctChoices()) {
    Variant v;
    v.bits = b;
    auto uniform = quantize(std::vector<LayerBits>(layers.size(), b));
    if (!uniform)
      return uniform.takeError();
    v.module = std::move(*uniform);
    v.model = std::make_unique<workload::WorkloadModel>(*v.module);
    variants.push_back(std::move(v));
  }
  return Error::success();
}

std::vector<std::vector<LayerBits>>
Network::proposePolicies(const hw::Target &target,
                         const workload::CostOptions &options,
                         workload::MappingProvider provider,
                         ArrayRef<double> fractions, bool energy) {
  std::vector<std::vector<LayerBits>> proposals;
  if (variants.empty())
    if (Error err = createVariants()) {
      consumeError(std::move(err));
      return proposals;
    }
  // The table: each layer's rows at each of its own choices.
  tandem::quant::CostTable table;
  table.target = target.name;
  table.clockMHz = target.clockMHz;
  table.layers = layers;
  table.entries.assign(layers.size(), tandem::quant::BitsGrid());
  for (const Variant &v : variants) {
    const LayerBits &b = v.bits;
    if (b.encoding == EncodingKind::Multiply) {
      if (!llvm::is_contained(table.bits, b.weightBits))
        table.bits.push_back(b.weightBits);
    } else if (!table.findEncoding(b)) {
      table.encodings.push_back(b.getWeightEncoding());
    }
    if (!llvm::is_contained(table.bits, b.activationBits))
      table.bits.push_back(b.activationBits);
  }
  llvm::sort(table.bits);
  table.encoded.assign(
      layers.size(),
      std::vector<
          std::array<tandem::quant::CostEntry, tandem::quant::kMaxTableBits>>(
          table.encodings.size()));
  double reference = 0;
  for (const Variant &v : variants) {
    auto cost = tandem::quant::costWorkload(*v.model, layers, target, provider,
                                            options);
    if (!cost) {
      consumeError(cost.takeError());
      continue;
    }
    if (v.bits == LayerBits{8, 8}) {
      table.rest = cost->rest;
      reference = energy ? cost->total.energyPJ : cost->total.cycles;
    }
    for (auto [i, l] : llvm::enumerate(space->layers)) {
      bool allowed = l.parameter < 0
                         ? l.fixed == v.bits
                         : llvm::is_contained(
                               space->parameters[l.parameter].choices, v.bits);
      if (!allowed || !cost->hostReasons[i].empty())
        continue;
      tandem::quant::CostEntry &entry =
          v.bits.encoding == EncodingKind::Multiply
              ? table.entries[i][v.bits.weightBits - 1]
                             [v.bits.activationBits - 1]
              : table.encoded[i][*table.findEncoding(v.bits)]
                             [v.bits.activationBits - 1];
      entry = cost->perLayer[i];
    }
  }
  if (!(reference > 0))
    return proposals;
  for (double f : fractions) {
    tandem::quant::Budget budget;
    budget.kind = energy ? tandem::quant::BudgetKind::Energy
                         : tandem::quant::BudgetKind::Latency;
    budget.fraction = false;
    // Absolute, in the budget's units (ms or uJ): not every layer may
    // offer W8A8, which a fraction is of.
    budget.value =
        energy ? f * reference * 1e-6 : f * reference / (target.clockMHz * 1e3);
    auto problem = tandem::quant::makeSearchProblem(table, &sensitivity, budget,
                                                    false, false, false, base);
    if (!problem) {
      consumeError(problem.takeError());
      continue;
    }
    // Layers of a shared group take its first layer's choice.
    for (auto [i, l] : llvm::enumerate(space->layers)) {
      int first = l.parameter < 0 ? -1 : space->parameters[l.parameter].level;
      problem->sameAs.push_back(first == int(i) ? -1 : first);
    }
    auto result = tandem::quant::createILPSearch()->run(
        *problem, *impl->oracle, tandem::quant::MixedPrecisionOptions());
    if (!result) {
      consumeError(result.takeError());
      continue;
    }
    if (!llvm::is_contained(proposals, result->best))
      proposals.push_back(result->best);
  }
  return proposals;
}

double Network::getAccuracyLoss(const tandem::quant::Quality &quality) const {
  return 100 * (fp32.score() - quality.score());
}

double Network::getLayerDrop(unsigned layer, const LayerBits &bits) const {
  return 100 * sensitivity.getScoreDrop(layer, bits);
}

double Network::getAccuracyBase() const {
  return 100 * (fp32.score() - sensitivity.reference.score());
}

double Network::estimateAccuracyLoss(ArrayRef<LayerBits> bits) const {
  return 100 * (fp32.score() - sensitivity.estimateScore(bits));
}

double Network::getSizeBytes(ArrayRef<LayerBits> bits) const {
  double bytes = 0;
  for (auto [i, b] : llvm::enumerate(bits))
    bytes += layers[i].params * b.weightBits / 8.0;
  return bytes;
}

tandem::quant::Policy Network::toPolicy(ArrayRef<LayerBits> bits) const {
  tandem::quant::Policy policy = base;
  for (auto [i, b] : llvm::enumerate(bits))
    policy.layers[layers[i].name] = b;
  if (sequential)
    policy.weightRounding = tandem::quant::WeightRounding::GPTQSequential;
  return policy;
}

Expected<tandem::quant::Quality> Network::measure(ArrayRef<LayerBits> bits) {
  if (impl->sequential)
    return impl->sequential->measure(toPolicy(bits));
  return impl->oracle->measure(toPolicy(bits));
}

Expected<OwningOpRef<ModuleOp>> Network::quantize(ArrayRef<LayerBits> bits) {
  tandem::quant::Policy policy = toPolicy(bits);
  policy.weightRounding = base.weightRounding;
  OwningOpRef<ModuleOp> clone(cast<ModuleOp>(module->clone()));
  if (failed(tandem::quant::quantizeModule(*clone, policy, "policy",
                                           &impl->weights)))
    return fail("the policy cannot be applied (see the errors above)");
  return std::move(clone);
}

Expected<OwningOpRef<ModuleOp>>
Network::quantizeAsMeasured(ArrayRef<LayerBits> bits) {
  if (impl->sequential)
    return impl->sequential->round(toPolicy(bits));
  return quantize(bits);
}
