//===- MapDataflow.cpp - --accel-map-dataflow -----------------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Dialect/Accel/IR/AccelInterfaces.h"
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
    auto parsedObjective = parseObjective(objective);
    if (!parsedObjective) {
      emitError(module.getLoc(), "--accel-map-dataflow objective must be "
                                 "latency, energy or edp, not '")
          << objective << "'";
      return signalPassFailure();
    }
    auto parsedStrategy = parseStrategy(search);
    if (!parsedStrategy) {
      emitError(module.getLoc(),
                "--accel-map-dataflow search must be auto, exhaustive, "
                "heuristic, local, random or genetic, not '")
          << search << "'";
      return signalPassFailure();
    }
    options.objective = *parsedObjective;
    options.strategy = *parsedStrategy;
    options.seed = seed;
    options.timeBudgetMs = timeBudgetMs;
    auto loaded = hw::loadTarget(target);
    if (!loaded) {
      emitError(module.getLoc(), llvm::toString(loaded.takeError()));
      return signalPassFailure();
    }
    const hw::Target &hwTarget = *loaded;

    // Unique problems, in the order their first op appears.
    std::vector<Layer> layers;
    llvm::StringMap<unsigned> byKey;
    module.walk([&](accel::LoopNestOpInterface op) {
      std::string hostReason;
      auto problem = cost::getOpProblem(op, hwTarget, floatBits, hostReason);
      if (!problem)
        return; // runs on the host; the cost report lists it
      auto [it, inserted] =
          byKey.try_emplace(getProblemKey(*problem), unsigned(layers.size()));
      if (inserted)
        layers.push_back({std::move(*problem), {}, {}});
      layers[it->second].ops.push_back(op);
    });

    bool failed = false;
    for (Layer &layer : layers)
      if (auto why = explainNoMapping(layer.problem, hwTarget)) {
        layer.ops.front()->emitError("no valid mapping on target '")
            << hwTarget.name
            << "': even the smallest tiles break a rule: " << *why;
        failed = true;
      }
    if (failed)
      return signalPassFailure();

    parallelFor(&getContext(), 0, layers.size(), [&](size_t i) {
      MapSpace space(layers[i].problem, hwTarget);
      layers[i].result = mapping::search(space, options);
    });

    for (Layer &layer : layers) {
      if (!layer.result.found) {
        layer.ops.front()->emitError("the ")
            << stringifyStrategy(layer.result.strategy)
            << " search found no valid mapping on target '" << hwTarget.name
            << "'";
        return signalPassFailure();
      }
      auto attr = accel::MappingAttr::get(
          &getContext(),
          cost::printMapping(layer.result.mapping, layer.problem, hwTarget));
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
  }
};

} // namespace
