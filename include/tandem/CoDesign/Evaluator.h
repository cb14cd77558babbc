//===- Evaluator.h - Scores a design on a workload --------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// A design is scored by costing every model of the workload on it through
// the workload model, with every array problem mapped by the mapper.
// Mappings are cached per (problem, hardware point); the clock is not part
// of the key because it converts cycles to seconds and changes no
// mapping's score. evaluate() may run on many threads at once.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_CODESIGN_EVALUATOR_H
#define TANDEM_CODESIGN_EVALUATOR_H

#include "tandem/Analysis/WorkloadModel.h"
#include "tandem/CoDesign/DesignSpace.h"
#include "tandem/Mapping/MappingCache.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <array>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace tandem::codesign {

class Network;

/// One model of the workload and its weight in the totals.
struct Workload {
  std::string name;
  double weight = 1;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::unique_ptr<workload::WorkloadModel> model;
};

/// Every metric of a design; see Metric.
struct Metrics {
  /// Weighted sums over the models of latency (ms) and energy (pJ); EDP the
  /// product of those two (pJ*ms: the energy-delay product of running the
  /// weighted workload); power the highest average power of any model
  /// (mW); area of the target (mm^2).
  std::array<double, kNumMetrics> values{};
  /// Budget overrun, summed over constraints as fractions of the budget
  /// (0: within every budget).
  double violation = 0;
  /// Why the design cannot run the workload at all (no valid mapping for a
  /// layer, a contraction left to the host, an invalid target), or empty.
  std::string invalid;
  /// Ops that run on the host on this design (in the totals).
  unsigned hostOps = 0;

  bool isFeasible() const { return invalid.empty() && violation == 0; }
  double get(Metric m) const { return values[unsigned(m)]; }
  void set(Metric m, double v) { values[unsigned(m)] = v; }
};

/// One distinct row of a model on a design (rows alike in kind, unit,
/// problem, fused ops and cost are counted once).
struct LayerCost {
  std::string name, kind, unit, mapping;
  /// Names of the ops fused into its output stage.
  std::vector<std::string> fused;
  unsigned count = 0;
  double macs = 0, cycles = 0, energyPJ = 0, utilization = 0;
};

/// One model on a design: its totals and its rows in program order.
struct ModelCost {
  std::string model;
  double cycles = 0, energyPJ = 0, latencyMs = 0;
  std::vector<LayerCost> layers;
  /// Host ops: display name and reason.
  std::vector<std::pair<std::string, std::string>> hostOps;
};

class Evaluator {
public:
  Evaluator(const DesignSpace &space, llvm::ArrayRef<Workload> workloads,
            const mapping::SearchOptions &mapperOptions,
            const workload::CostOptions &costOptions);

  /// The key of `target`'s mappings: designs with the same class get the
  /// same mapping for every layer (they differ at most in name and clock).
  /// Evaluating them on one thread spares the others waiting on its search.
  unsigned getMappingClass(const hw::Target &target);

  /// Scores `target` (of class `mappingClass`) on the workload (or on
  /// `models` if given); with `breakdown`, also fills one ModelCost per
  /// model.
  Metrics evaluate(const hw::Target &target, unsigned mappingClass,
                   std::vector<ModelCost> *breakdown = nullptr,
                   llvm::ArrayRef<Workload> models = {});

  /// Joint spaces: the network side (docs/codesign.md).
  void setNetwork(Network *n) { network = n; }
  /// Scores point `id` (its hardware design `target`, of class
  /// `mappingClass`): the workload's cost, or in a joint space the
  /// estimated cost and accuracy loss of its network choices.
  Metrics evaluatePoint(const hw::Target &target, unsigned mappingClass,
                        uint64_t id);
  /// Joint spaces: the integer program's policies for `target` (of class
  /// `mappingClass`), see Network::proposePolicies. One thread.
  std::vector<std::vector<quant::LayerBits>>
  proposePolicies(const hw::Target &target, unsigned mappingClass,
                  llvm::ArrayRef<double> fractions, bool energy);
  /// Adds the area, power and latency budgets' overrun to `metrics`
  /// (`worstLatency`: the slowest model's).
  void addBudgetViolation(Metrics &metrics, double worstLatency) const;
  /// Adds the accuracy-loss and model-size budgets' overrun to `metrics`.
  void addNetworkViolation(Metrics &metrics, double sizeBytes) const;

  /// Writes the mappings `target` gets into each model's IR (of the
  /// workload, or of `models`) as `accel.mapping` attributes (the design's
  /// mapped IR).
  void attachMappings(const hw::Target &target,
                      llvm::ArrayRef<Workload> models = {});

  /// Mapper searches run so far (cache misses).
  uint64_t getNumSearches() const { return mappings.getNumSearches(); }

private:
  /// getMapping as the workload model's MappingProvider wants it.
  llvm::Expected<cost::Mapping> provide(const cost::Problem &problem,
                                        const hw::Target &target,
                                        unsigned mappingClass);
  /// The mapping of `problem` on `target` (of class `mappingClass`),
  /// searched once.
  mapping::MappingCache::Entry getMapping(const cost::Problem &problem,
                                          const hw::Target &target,
                                          unsigned mappingClass) {
    return mappings.get(problem, target, std::to_string(mappingClass));
  }

  const DesignSpace &space;
  llvm::ArrayRef<Workload> workloads;
  Network *network = nullptr;
  workload::CostOptions costOptions;
  std::mutex mutex;
  std::unordered_map<std::string, unsigned> mappingClasses;
  mapping::MappingCache mappings;
};

} // namespace tandem::codesign

#endif // TANDEM_CODESIGN_EVALUATOR_H
