//===- Evaluator.cpp - Scores a hardware point on a weighted workload -----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/CoDesign/Evaluator.h"
#include "tandem/Dialect/Accel/IR/AccelDialect.h"
#include "tandem/Dialect/Accel/IR/AccelInterfaces.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"

#include "llvm/ADT/StringMap.h"

using namespace llvm;
using namespace mlir;
using namespace tandem;
using namespace tandem::codesign;

Evaluator::Evaluator(const DesignSpace &space, ArrayRef<Workload> workloads,
                     const mapping::SearchOptions &mapperOptions,
                     int64_t floatBits)
    : space(space), workloads(workloads), mapperOptions(mapperOptions),
      floatBits(floatBits) {
  for (const Workload &w : workloads) {
    std::vector<bool> &macs = carriesMacs.emplace_back();
    for (Operation *op : w.ops) {
      auto problem = cost::buildProblem(
          cast<accel::LoopNestOpInterface>(op).getLoopNest(), 8, 8, 8);
      macs.push_back(problem && problem->macsPerIteration > 0);
      if (!problem)
        consumeError(problem.takeError());
    }
  }
}

unsigned Evaluator::getMappingClass(const hw::Target &target) {
  // Everything that can change a mapping's cycles or energy: the whole
  // target but its name and clock.
  hw::Target keyTarget = target;
  keyTarget.name = "key";
  keyTarget.source.clear();
  keyTarget.clockMHz = 1;
  std::string key = hw::printTarget(keyTarget);
  std::lock_guard<std::mutex> lock(mutex);
  return mappingClasses.try_emplace(std::move(key), mappingClasses.size())
      .first->second;
}

Evaluator::Entry Evaluator::getMapping(const cost::Problem &problem,
                                       const hw::Target &target,
                                       unsigned mappingClass) {
  std::string key =
      mapping::getProblemKey(problem) + "#" + std::to_string(mappingClass);
  std::promise<Entry> promise;
  std::shared_future<Entry> future;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto [it, inserted] = cache.try_emplace(std::move(key));
    if (!inserted) {
      future = it->second;
    } else {
      // This thread searches; others that need the same mapping meanwhile
      // (points differing only in clock are evaluated side by side) wait.
      it->second = promise.get_future().share();
      ++searches;
    }
  }
  if (future.valid())
    return future.get();
  Entry entry;
  if (auto why = mapping::explainNoMapping(problem, target)) {
    entry.why = *why;
  } else {
    mapping::MapSpace mapSpace(problem, target);
    mapping::SearchResult result = mapping::search(mapSpace, mapperOptions);
    entry.found = result.found;
    entry.mapping = result.mapping;
    if (!result.found)
      entry.why = "the mapper found no valid mapping";
  }
  promise.set_value(entry);
  return entry;
}

Metrics Evaluator::evaluate(const hw::Target &target, unsigned mappingClass,
                            std::vector<ModelCost> *breakdown) {
  Metrics metrics;
  double latency = 0, energy = 0, edp = 0, power = 0, worstLatency = 0;
  for (auto [w, macs] : llvm::zip(workloads, carriesMacs)) {
    ModelCost model;
    model.model = w.name;
    StringMap<unsigned> layerIndex;
    for (auto [op, multiplies] : llvm::zip(w.ops, macs)) {
      std::string hostReason;
      auto problem = cost::getOpProblem(cast<accel::LoopNestOpInterface>(op),
                                        target, floatBits, hostReason);
      if (!problem) {
        ++metrics.hostOps;
        // A layer with multiplications left to the host would make the
        // design look cheaper than one that runs it: not a valid design.
        if (multiplies && metrics.invalid.empty())
          metrics.invalid = w.name + ": " + accel::getDisplayName(op) +
                            " runs on the host: " + hostReason;
        if (breakdown)
          model.hostOps.push_back({accel::getDisplayName(op), hostReason});
        continue;
      }
      Entry entry = getMapping(*problem, target, mappingClass);
      if (!entry.found) {
        if (metrics.invalid.empty())
          metrics.invalid = w.name + ": " + accel::getDisplayName(op) +
                            ": no valid mapping: " + entry.why;
        continue;
      }
      cost::Cost c = cost::evaluate(*problem, entry.mapping, target);
      model.cycles += c.cycles;
      model.energyPJ += c.energyPJ;
      if (!breakdown)
        continue;
      auto [it, inserted] = layerIndex.try_emplace(
          mapping::getProblemKey(*problem), model.layers.size());
      if (inserted) {
        LayerCost layer;
        layer.name = accel::getDisplayName(op);
        layer.kind = op->getName().stripDialect().str();
        layer.mapping = cost::printMapping(entry.mapping, *problem, target);
        layer.macs = double(problem->getMacs());
        layer.cycles = c.cycles;
        layer.energyPJ = c.energyPJ;
        layer.utilization = c.utilization;
        model.layers.push_back(std::move(layer));
      }
      ++model.layers[it->second].count;
    }
    model.latencyMs = model.cycles / (target.clockMHz * 1e3);
    double energyUJ = model.energyPJ * 1e-6;
    latency += w.weight * model.latencyMs;
    energy += w.weight * energyUJ;
    edp += w.weight * energyUJ * model.latencyMs;
    if (model.latencyMs > 0)
      power = std::max(power, energyUJ / model.latencyMs);
    worstLatency = std::max(worstLatency, model.latencyMs);
    if (breakdown)
      breakdown->push_back(std::move(model));
  }
  metrics.values[unsigned(Metric::Latency)] = latency;
  metrics.values[unsigned(Metric::Energy)] = energy;
  metrics.values[unsigned(Metric::EDP)] = edp;
  metrics.values[unsigned(Metric::Power)] = power;
  metrics.values[unsigned(Metric::Area)] = target.getAreaMM2();
  auto over = [&](std::optional<double> budget, double value) {
    if (budget && value > *budget)
      metrics.violation += value / *budget - 1;
  };
  over(space.maxAreaMM2, metrics.get(Metric::Area));
  over(space.maxPowerMW, power);
  over(space.maxLatencyMs, worstLatency);
  return metrics;
}

void Evaluator::attachMappings(const hw::Target &target) {
  unsigned mappingClass = getMappingClass(target);
  for (const Workload &w : workloads)
    for (Operation *op : w.ops) {
      std::string hostReason;
      auto problem = cost::getOpProblem(cast<accel::LoopNestOpInterface>(op),
                                        target, floatBits, hostReason);
      if (!problem)
        continue;
      Entry entry = getMapping(*problem, target, mappingClass);
      if (entry.found)
        op->setAttr("accel.mapping",
                    accel::MappingAttr::get(
                        op->getContext(),
                        cost::printMapping(entry.mapping, *problem, target)));
    }
}
