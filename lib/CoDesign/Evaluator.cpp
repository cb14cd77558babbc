//===- Evaluator.cpp - Scores a hardware point on a weighted workload -----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/CoDesign/Evaluator.h"
#include "tandem/Analysis/MappingAttrConversion.h"
#include "tandem/CoDesign/Network.h"
#include "tandem/Dialect/Accel/IR/AccelDialect.h"

#include "llvm/ADT/StringMap.h"

using namespace llvm;
using namespace mlir;
using namespace tandem;
using namespace tandem::codesign;

Evaluator::Evaluator(const DesignSpace &space, ArrayRef<Workload> workloads,
                     const mapping::SearchOptions &mapperOptions,
                     const workload::CostOptions &costOptions)
    : space(space), workloads(workloads), costOptions(costOptions),
      mappings(mapperOptions) {
  // The mapper decides every mapping: a model's own attributes were chosen
  // for another target.
  this->costOptions.useMappingAttributes = false;
}

unsigned Evaluator::getMappingClass(const hw::Target &target) {
  // Everything that can change a mapping's cycles or energy: the whole
  // target but its name, clock, output stage and host (which cost what the
  // mapping does not touch).
  hw::Target keyTarget = target;
  keyTarget.name = "key";
  keyTarget.source.clear();
  keyTarget.clockMHz = 1;
  keyTarget.postProcessing = hw::PostProcessing();
  keyTarget.host = hw::HostModel();
  std::string key = hw::printTarget(keyTarget);
  std::lock_guard<std::mutex> lock(mutex);
  return mappingClasses.try_emplace(std::move(key), mappingClasses.size())
      .first->second;
}

Expected<cost::Mapping> Evaluator::provide(const cost::Problem &problem,
                                           const hw::Target &target,
                                           unsigned mappingClass) {
  mapping::MappingCache::Entry entry =
      getMapping(problem, target, mappingClass);
  if (!entry.found)
    return createStringError(inconvertibleErrorCode(), entry.why);
  return entry.mapping;
}

Metrics Evaluator::evaluate(const hw::Target &target, unsigned mappingClass,
                            std::vector<ModelCost> *breakdown,
                            ArrayRef<Workload> models) {
  using workload::Row;
  using workload::Unit;
  Metrics metrics;
  double latency = 0, energy = 0, power = 0, worstLatency = 0;
  auto provider = [&](const cost::Problem &problem) {
    return provide(problem, target, mappingClass);
  };
  for (const Workload &w : models.empty() ? workloads : models) {
    workload::WorkloadCost result =
        w.model->evaluate(target, costOptions, provider);
    ArrayRef<workload::Layer> layers = w.model->getLayers();
    if (result.failed()) {
      if (metrics.invalid.empty())
        metrics.invalid =
            w.name + ": " +
            (result.errorOp ? accel::getDisplayName(result.errorOp) + ": "
                            : std::string()) +
            result.error;
      continue;
    }
    ModelCost model;
    model.model = w.name;
    model.cycles = result.cycles;
    model.energyPJ = result.energyPJ;
    StringMap<unsigned> rowIndex;
    for (const Row &row : result.rows) {
      const workload::Layer &l = layers[row.layer];
      if (row.unit == Unit::Host) {
        ++metrics.hostOps;
        // A contraction on the host means the design cannot run the
        // network's main work: not a candidate.
        if (l.isContraction() && metrics.invalid.empty())
          metrics.invalid =
              w.name + ": " + l.name + " runs on the host: " + row.hostReason;
        if (breakdown)
          model.hostOps.push_back({l.name, row.hostReason});
        continue;
      }
      if (!breakdown)
        continue;
      std::string mappingText;
      if (row.unit == Unit::Array)
        mappingText = cost::toMappingAttr(l.op->getContext(), row.mapping,
                                          *row.problem, target)
                          .getBody();
      std::vector<std::string> fused;
      std::string key =
          l.kind + "|" + workload::stringifyUnit(row.unit).str() + "|" +
          (row.problem ? mapping::getProblemKey(*row.problem) : l.name) + "|" +
          std::to_string(row.cycles) + "|" + std::to_string(row.energyPJ);
      for (unsigned f : row.fused) {
        fused.push_back(layers[f].name);
        key += "|" + layers[f].kind;
      }
      auto [it, inserted] = rowIndex.try_emplace(key, model.layers.size());
      if (inserted) {
        LayerCost layer;
        layer.name = l.name;
        layer.kind = l.kind;
        layer.unit = workload::stringifyUnit(row.unit).str();
        layer.mapping = std::move(mappingText);
        layer.fused = std::move(fused);
        layer.macs = double(row.macs);
        layer.cycles = row.cycles;
        layer.energyPJ = row.energyPJ;
        layer.utilization = row.array.utilization;
        model.layers.push_back(std::move(layer));
      }
      ++model.layers[it->second].count;
    }
    model.latencyMs = result.getLatencyMs(target);
    latency += w.weight * model.latencyMs;
    energy += w.weight * model.energyPJ;
    if (model.latencyMs > 0)
      power = std::max(power, model.energyPJ * 1e-6 / model.latencyMs);
    worstLatency = std::max(worstLatency, model.latencyMs);
    if (breakdown)
      breakdown->push_back(std::move(model));
  }
  metrics.set(Metric::Latency, latency);
  metrics.set(Metric::Energy, energy);
  metrics.set(Metric::EDP, energy * latency);
  metrics.set(Metric::Power, power);
  metrics.set(Metric::Area, target.getAreaMM2());
  addBudgetViolation(metrics, worstLatency);
  return metrics;
}

Metrics Evaluator::evaluatePoint(const hw::Target &target,
                                 unsigned mappingClass, uint64_t id) {
  if (!network)
    return evaluate(target, mappingClass);
  std::vector<tandem::quant::LayerBits> bits =
      space.getLayerBits(space.getPoint(id));
  auto provider = [&](const cost::Problem &problem) {
    return provide(problem, target, mappingClass);
  };
  NetworkCost cost = network->getCost(bits, target, costOptions, provider);
  Metrics metrics;
  metrics.set(Metric::Area, target.getAreaMM2());
  if (!cost.invalid.empty()) {
    metrics.invalid = workloads.front().name + ": " + cost.invalid;
    return metrics;
  }
  double latency = cost.cycles / (target.clockMHz * 1e3);
  metrics.hostOps = cost.hostOps;
  metrics.set(Metric::Latency, latency);
  metrics.set(Metric::Energy, cost.energyPJ);
  metrics.set(Metric::EDP, cost.energyPJ * latency);
  metrics.set(Metric::Power, latency > 0 ? cost.energyPJ * 1e-6 / latency : 0);
  metrics.set(Metric::AccuracyLoss, network->estimateAccuracyLoss(bits));
  addBudgetViolation(metrics, latency);
  addNetworkViolation(metrics, network->getSizeBytes(bits));
  return metrics;
}

std::vector<std::vector<tandem::quant::LayerBits>>
Evaluator::proposePolicies(const hw::Target &target, unsigned mappingClass,
                           ArrayRef<double> fractions, bool energy) {
  auto provider = [&](const cost::Problem &problem) {
    return provide(problem, target, mappingClass);
  };
  return network->proposePolicies(target, costOptions, provider, fractions,
                                  energy);
}

void Evaluator::addBudgetViolation(Metrics &metrics,
                                   double worstLatency) const {
  auto over = [&](std::optional<double> budget, double value) {
    if (budget && value > *budget)
      metrics.violation += value / *budget - 1;
  };
  over(space.maxAreaMM2, metrics.get(Metric::Area));
  over(space.maxPowerMW, metrics.get(Metric::Power));
  over(space.maxLatencyMs, worstLatency);
}

void Evaluator::addNetworkViolation(Metrics &metrics, double sizeBytes) const {
  // Points over a limit of 0 points count as fractions of one point. A
  // sum of 50 layers' drops that equals the limit may round above it.
  double loss = metrics.get(Metric::AccuracyLoss);
  if (space.maxAccuracyLoss && loss > *space.maxAccuracyLoss + 1e-9)
    metrics.violation +=
        (loss - *space.maxAccuracyLoss) / std::max(1.0, *space.maxAccuracyLoss);
  if (space.maxModelSizeBytes && sizeBytes > *space.maxModelSizeBytes)
    metrics.violation += sizeBytes / *space.maxModelSizeBytes - 1;
}

void Evaluator::attachMappings(const hw::Target &target,
                               ArrayRef<Workload> models) {
  unsigned mappingClass = getMappingClass(target);
  for (const Workload &w : models.empty() ? workloads : models)
    for (const workload::Row &row : w.model->place(target, costOptions)) {
      if (row.unit != workload::Unit::Array)
        continue;
      mapping::MappingCache::Entry entry =
          getMapping(*row.problem, target, mappingClass);
      Operation *op = w.model->getLayers()[row.layer].op;
      if (entry.found)
        op->setAttr("accel.mapping",
                    cost::toMappingAttr(op->getContext(), entry.mapping,
                                        *row.problem, target));
    }
}
