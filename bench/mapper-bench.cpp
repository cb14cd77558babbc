//===- mapper-bench.cpp - The mapper against exhaustive search ------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// For every distinct contraction (conv2d, matmul) of a model (.onnx, .onnxtext
// or .mlir) on a target: runs exhaustive search (capped by --exhaustive-budget
// seconds), auto and genetic, each on one thread, and prints per layer the
// space, each search's best score (--objective) and time, and the auto and
// genetic results relative to the exhaustive optimum where exhaustive
// finished. The last line summarizes, over the layers where exhaustive
// finished: the worst ratios, and on how many auto came within 2% of the
// optimum in under 1/100 of exhaustive's time (the mapper's goal).
//
//===----------------------------------------------------------------------===//

#include "BenchSupport.h"

#include "tandem/Analysis/WorkloadModel.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/InitAll.h"
#include "tandem/Mapping/Mapper.h"
#include "tandem/Target/ONNX/ImportONNX.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace tandem;
using namespace tandem::mapping;

int main(int argc, char **argv) {
  static llvm::cl::OptionCategory category("tandem-mapper-bench options");
  llvm::cl::opt<std::string> path(llvm::cl::Positional, llvm::cl::Required,
                                  llvm::cl::desc("<model: .onnx or .mlir>"),
                                  llvm::cl::cat(category));
  llvm::cl::opt<std::string> targetName("target", llvm::cl::init("eyeriss"),
                                        llvm::cl::desc("Preset or YAML"),
                                        llvm::cl::cat(category));
  llvm::cl::opt<Metric> objective(
      "objective", llvm::cl::init(Metric::EDP),
      llvm::cl::desc("What the searches minimize"),
      llvm::cl::values(clEnumValN(Metric::Latency, "latency", "cycles"),
                       clEnumValN(Metric::Energy, "energy", "picojoules"),
                       clEnumValN(Metric::EDP, "edp", "cycles x picojoules")),
      llvm::cl::cat(category));
  llvm::cl::opt<double> budget(
      "exhaustive-budget", llvm::cl::init(60),
      llvm::cl::desc("Seconds exhaustive search may take per layer"),
      llvm::cl::cat(category));
  llvm::cl::opt<unsigned> seed("seed", llvm::cl::init(1),
                               llvm::cl::desc("Seed of the genetic search"),
                               llvm::cl::cat(category));
  llvm::cl::HideUnrelatedOptions(category);
  llvm::cl::ParseCommandLineOptions(argc, argv,
                                    "The mapper against exhaustive search\n");
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::optional<hw::Target> target;
  if (!bench::loadInputs(path, targetName, context, module, target))
    return 1;

  llvm::StringSet<> seen;
  unsigned layers = 0, finished = 0, autoClose = 0, autoFast = 0;
  double worstAuto = 0, worstGenetic = 0;
  llvm::outs() << llvm::format(
      "%-44s %12s %11s %9s %11s %9s %7s %11s %9s %7s\n", "layer",
      "factorizations", "exhaustive", "time s", "auto", "time s", "ratio",
      "genetic", "time s", "ratio");
  workload::WorkloadModel model(*module);
  for (const workload::Row &row : model.place(*target, {})) {
    if (row.unit != workload::Unit::Array)
      continue;
    const cost::Problem *problem = &*row.problem;
    mlir::Operation *op = model.getLayers()[row.layer].op;
    if (!seen.insert(getProblemKey(*problem)).second)
      continue;
    ++layers;
    MapSpace space(*problem, *target);
    SearchOptions options;
    options.objective = objective;
    options.seed = seed;
    options.strategy = Strategy::Exhaustive;
    options.timeBudgetMs = budget * 1000;
    SearchResult exhaustive = search(space, options);
    // Each search on a fresh space: the split lists are built lazily, and
    // their cost belongs to every search that needs them.
    options.timeBudgetMs = 0;
    options.strategy = Strategy::Auto;
    SearchResult autoResult = search(MapSpace(*problem, *target), options);
    options.strategy = Strategy::Genetic;
    SearchResult genetic = search(MapSpace(*problem, *target), options);
    double autoRatio = autoResult.score / exhaustive.score;
    double geneticRatio = genetic.score / exhaustive.score;
    llvm::outs() << llvm::format(
        "%-44s %12.3g %11.4g %9.3f %11.4g %9.3f %7s %11.4g %9.3f %7s\n",
        accel::getDisplayName(op).substr(0, 44).c_str(),
        space.getNumFactorizations(), exhaustive.score, exhaustive.seconds,
        autoResult.score, autoResult.seconds,
        exhaustive.complete ? llvm::formatv("{0:F4}", autoRatio).str().c_str()
                            : "-",
        genetic.score, genetic.seconds,
        exhaustive.complete
            ? llvm::formatv("{0:F4}", geneticRatio).str().c_str()
            : "-");
    if (exhaustive.complete) {
      ++finished;
      worstAuto = std::max(worstAuto, autoRatio);
      worstGenetic = std::max(worstGenetic, geneticRatio);
      autoClose += autoRatio <= 1.02;
      autoFast += autoResult.seconds * 100 < exhaustive.seconds;
    }
  }
  llvm::outs() << llvm::format(
      "summary: %u distinct layers, exhaustive finished on %u (budget %g "
      "s); there, worst auto/optimum %.4f, worst genetic/optimum %.4f; auto "
      "within 2%% on %u, in under 1/100 of exhaustive's time on %u\n",
      layers, finished, double(budget), worstAuto, worstGenetic, autoClose,
      autoFast);
  return 0;
}
