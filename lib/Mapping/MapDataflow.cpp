//===- MapDataflow.cpp - --accel-map-dataflow -----------------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Analysis/MappingAttrConversion.h"
#include "tandem/Analysis/WorkloadModel.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Mapping/Mapper.h"
#include "tandem/Mapping/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Threading.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

namespace tandem {
#define GEN_PASS_DEF_MAPDATAFLOWPASS
#include "tandem/Mapping/Passes.h.inc"
} // namespace tandem

using namespace mlir;
using namespace tandem;
using namespace tandem::mapping;

namespace {

struct Layer {
  Problem problem;
  SmallVector<Operation *> ops;
  SearchResult result;
};

struct MapDataflowPass
    : public tandem::impl::MapDataflowPassBase<MapDataflowPass> {
  using MapDataflowPassBase::MapDataflowPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (target.empty()) {
      emitError(module.getLoc(), "--accel-map-dataflow needs a target: "
                                 "target=NAME (a preset) or target=FILE.yaml");
      return signalPassFailure();
    }
    SearchOptions options;
    options.objective = objective;
    options.strategy = search;
    options.seed = seed;
    options.timeBudgetMs = timeBudgetMs;
    options.searchBypass = bypass;
    auto loaded = hw::loadTarget(target);
    if (!loaded) {
      emitError(module.getLoc(), llvm::toString(loaded.takeError()));
      return signalPassFailure();
    }
    const hw::Target &hwTarget = *loaded;
    if (failed(mapModule(module, getAnalysis<workload::WorkloadModel>(),
                         hwTarget, options, floatBits, stats)))
      return signalPassFailure();
    // Attributes changed, nothing else: the workload model still holds.
    markAllAnalysesPreserved();
  }
};

} // namespace

LogicalResult tandem::mapping::mapModule(ModuleOp module,
                                         const workload::WorkloadModel &model,
                                         const hw::Target &hwTarget,
                                         const SearchOptions &options,
                                         int64_t floatBits, bool stats) {
  workload::CostOptions costOptions;
  costOptions.floatBits = floatBits;

  // Unique problems of the array's rows, in the order their first op
  // appears.
  std::vector<Layer> layers;
  llvm::StringMap<unsigned> byKey;
  for (const workload::Row &row : model.place(hwTarget, costOptions)) {
    if (row.unit != workload::Unit::Array)
      continue; // the cost report says where and why
    auto [it, inserted] =
        byKey.try_emplace(getProblemKey(*row.problem), unsigned(layers.size()));
    if (inserted)
      layers.push_back({*row.problem, {}, {}});
    layers[it->second].ops.push_back(model.getLayers()[row.layer].op);
  }

  bool failed = false;
  for (Layer &layer : layers)
    if (auto why = explainNoMapping(layer.problem, hwTarget)) {
      layer.ops.front()->emitError("no valid mapping on target '")
          << hwTarget.name
          << "': even the smallest tiles break a rule: " << *why;
      failed = true;
    }
  if (failed)
    return failure();

  parallelFor(module.getContext(), 0, layers.size(), [&](size_t i) {
    MapSpace space(layers[i].problem, hwTarget);
    layers[i].result = mapping::search(space, options);
  });

  for (Layer &layer : layers) {
    if (!layer.result.found) {
      layer.ops.front()->emitError("the ")
          << stringifyStrategy(layer.result.strategy)
          << " search found no valid mapping on target '" << hwTarget.name
          << "'";
      return failure();
    }
    if (llvm::Error err = cost::verifyMapping(layer.problem,
                                              layer.result.mapping, hwTarget)) {
      layer.ops.front()->emitError("the ")
          << stringifyStrategy(layer.result.strategy)
          << " search returned an invalid mapping (a bug): "
          << llvm::toString(std::move(err));
      return failure();
    }
    auto attr = cost::toMappingAttr(module.getContext(), layer.result.mapping,
                                    layer.problem, hwTarget);
    for (Operation *op : layer.ops)
      op->setAttr("accel.mapping", attr);
    if (stats)
      llvm::outs() << llvm::format(
          "%-40s x%-3zu %-10s %9llu evals %8.3f s  cycles %.0f  energy "
          "%.4g pJ%s\n",
          accel::getDisplayName(layer.ops.front()).c_str(), layer.ops.size(),
          stringifyStrategy(layer.result.strategy).str().c_str(),
          (unsigned long long)layer.result.evaluations, layer.result.seconds,
          layer.result.cost.cycles, layer.result.cost.energyPJ,
          layer.result.strategy == Strategy::Exhaustive &&
                  !layer.result.complete
              ? " (cut short)"
              : "");
  }
  return success();
}
