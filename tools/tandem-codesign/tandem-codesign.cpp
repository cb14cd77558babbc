//===- tandem-codesign.cpp - Accelerator design-space exploration ---------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
//   tandem-codesign MODEL... --space SPACE.yaml --out DIR [--weights W,...]
//                   [--search auto|exhaustive|nsga2|random] [--evaluations N]
//                   [--seed N] [--jobs N] [--resume] [--mapper STRATEGY]
//
// Scores hardware points of SPACE (every compute layer mapped by the mapper,
// costs summed by the cost model), keeps every evaluated point, and writes
// the Pareto front and its reports to DIR. See docs/codesign.md.
//
//===----------------------------------------------------------------------===//

#include "tandem/CoDesign/Checkpoint.h"
#include "tandem/CoDesign/Report.h"
#include "tandem/Dialect/Accel/IR/AccelInterfaces.h"
#include "tandem/InitAll.h"
#include "tandem/Target/ONNX/ImportONNX.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <atomic>
#include <chrono>
#include <cmath>

using namespace llvm;
using namespace tandem;
using namespace tandem::codesign;

namespace {

cl::OptionCategory category("tandem-codesign options");

cl::list<std::string>
    modelPaths(cl::Positional, cl::OneOrMore,
               cl::desc("<models: .onnx, .onnxtext or .mlir>"),
               cl::cat(category));
cl::opt<std::string> spacePath(
    "space", cl::Required,
    cl::desc("The design space: base target, parameters, constraints, "
             "objectives (YAML, see docs/codesign.md)"),
    cl::value_desc("file.yaml"), cl::cat(category));
cl::opt<std::string>
    outDir("out", cl::Required,
           cl::desc("Directory for pareto.json, candidates.csv, report.html, "
                    "best-target.yaml, best-MODEL.mlir and the checkpoint"),
           cl::value_desc("dir"), cl::cat(category));
cl::list<double> weights(
    "weights", cl::CommaSeparated,
    cl::desc("Weight of each model in the totals, in model order (default: "
             "1 each)"),
    cl::value_desc("w1,w2,..."), cl::cat(category));
cl::opt<std::string> searchName(
    "search", cl::init("auto"),
    cl::desc("exhaustive (every point), nsga2 (NSGA-II), random (a seeded "
             "sample), or auto: exhaustive when the space has at most "
             "--exhaustive-limit points, else nsga2"),
    cl::cat(category));
cl::opt<uint64_t>
    exhaustiveLimit("exhaustive-limit", cl::init(20000),
                    cl::desc("auto: the largest space searched exhaustively"),
                    cl::cat(category));
cl::opt<uint64_t> evaluations(
    "evaluations", cl::init(0),
    cl::desc("nsga2 and random: points to evaluate (default: 10% of the "
             "space, at least 200 and at most 5000)"),
    cl::cat(category));
cl::opt<unsigned> population("population", cl::init(40),
                             cl::desc("nsga2: population size"),
                             cl::cat(category));
cl::opt<uint64_t> seed("seed", cl::init(1),
                       cl::desc("Seed of the search and the mapper"),
                       cl::cat(category));
cl::opt<unsigned> jobs("jobs", cl::init(0),
                       cl::desc("Threads that evaluate points (0: all cores)"),
                       cl::cat(category));
cl::opt<bool> resume(
    "resume",
    cl::desc("Continue the run whose checkpoint is in --out (same space, "
             "models and options)"),
    cl::cat(category));
cl::opt<uint64_t> stopAfter(
    "stop-after-evaluations", cl::init(0),
    cl::desc("Stop after this many evaluations with a checkpoint, as Ctrl-C "
             "would (to split a long run)"),
    cl::cat(category));
cl::opt<std::string> mapperName(
    "mapper", cl::init("heuristic"),
    cl::desc("Mapper search per layer: heuristic (fast, the default), "
             "local, genetic, auto, random or exhaustive"),
    cl::cat(category));
cl::opt<std::string>
    mapperObjective("mapper-objective", cl::init("edp"),
                    cl::desc("What the mapper minimizes per layer: latency, "
                             "energy or edp"),
                    cl::cat(category));
cl::opt<int64_t> floatBits(
    "float-bits", cl::init(0),
    cl::desc("Width assumed for float tensors (0: the array's MAC width)"),
    cl::cat(category));
cl::opt<std::string> preferName(
    "prefer",
    cl::desc("Metric that picks the exported design among the Pareto-optimal "
             "ones (default: the space's `prefer`)"),
    cl::cat(category));
cl::opt<std::string>
    plotX("plot-x",
          cl::desc("Metric on the report's x axis (default: first objective)"),
          cl::cat(category));
cl::opt<std::string> plotY(
    "plot-y",
    cl::desc("Metric on the report's y axis (default: second objective, or "
             "area)"),
    cl::cat(category));
cl::opt<bool> quiet("quiet", cl::desc("No progress bar and no summary"),
                    cl::cat(category));

std::atomic<bool> interrupted{false};

int fail(const Twine &message) {
  errs() << "tandem-codesign: error: " << message << "\n";
  return 1;
}

std::string joinPath(StringRef dir, StringRef file) {
  SmallString<256> path(dir);
  sys::path::append(path, file);
  return path.str().str();
}

/// Everything that decides the run's result, hashed: a checkpoint is only
/// resumed by the same run.
Expected<std::string> getFingerprint(SearchKind kind, uint64_t budget) {
  std::string text;
  raw_string_ostream os(text);
  auto addFile = [&](StringRef path) -> Error {
    auto buffer = MemoryBuffer::getFile(path);
    if (!buffer)
      return createStringError(buffer.getError(), "cannot read '%s': %s",
                               path.str().c_str(),
                               buffer.getError().message().c_str());
    os << xxh3_64bits((*buffer)->getBuffer()) << ";";
    return Error::success();
  };
  if (Error err = addFile(spacePath))
    return std::move(err);
  for (auto [i, path] : llvm::enumerate(modelPaths)) {
    if (Error err = addFile(path))
      return std::move(err);
    os << (i < weights.size() ? weights[i] : 1.0) << ";";
  }
  os << stringifySearchKind(kind) << ";" << budget << ";" << population << ";"
     << seed << ";" << mapperName << ";" << mapperObjective << ";" << floatBits;
  return formatv("{0:x16}", xxh3_64bits(text)).str();
}

/// A progress line on stderr, redrawn in place.
struct Progress {
  bool enabled;
  uint64_t total;
  std::chrono::steady_clock::time_point start =
      std::chrono::steady_clock::now();

  void update(uint64_t done, size_t feasible) {
    if (!enabled)
      return;
    const int width = 30;
    int filled =
        total ? int(width * std::min<double>(1, double(done) / total)) : width;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    errs() << "\r[" << std::string(filled, '#')
           << std::string(width - filled, '.') << "] " << done << "/" << total
           << " points, " << feasible << " feasible, "
           << format("%.1f", seconds) << " s ";
  }
  void finish() {
    if (enabled)
      errs() << "\n";
  }
};

/// Why no design is on the front: the valid design closest to the budgets
/// and the budgets it breaks, or why the designs cannot run the workload.
std::string explainInfeasible(const DesignSpace &space,
                              const Archive &archive) {
  const Candidate *closest = nullptr;
  for (const Candidate &c : archive.getCandidates())
    if (c.metrics.invalid.empty() &&
        (!closest || c.metrics.violation < closest->metrics.violation))
      closest = &c;
  if (!closest) {
    const Candidate &first = archive.getCandidates().front();
    return "no evaluated design can run the workload; design " +
           std::to_string(first.id) + ": " + first.metrics.invalid;
  }
  std::string over;
  auto check = [&](std::optional<double> budget, Metric m) {
    double value = closest->metrics.get(m);
    if (budget && value > *budget)
      over += formatv("{0}{1} {2} {3} (budget {4})", over.empty() ? "" : ", ",
                      stringifyMetric(m), format("%.4g", value),
                      getMetricUnit(m), format("%g", *budget))
                  .str();
  };
  check(space.maxAreaMM2, Metric::Area);
  check(space.maxPowerMW, Metric::Power);
  check(space.maxLatencyMs, Metric::Latency);
  return "no evaluated design is feasible; the closest, design " +
         std::to_string(closest->id) + ", has " + over;
}

/// Loads every model and collects its compute ops; false (after a
/// diagnostic) if one cannot be loaded or has nothing to map.
bool loadWorkloads(mlir::MLIRContext &context,
                   std::vector<Workload> &workloads) {
  for (auto [i, path] : llvm::enumerate(modelPaths)) {
    Workload w;
    w.name = sys::path::stem(path).str();
    if (llvm::any_of(workloads,
                     [&](const Workload &o) { return o.name == w.name; }))
      w.name = path;
    w.weight = i < weights.size() ? weights[i] : 1.0;
    w.module = loadModelFile(path, &context);
    if (!w.module)
      return false; // the diagnostic names the file and what is wrong
    w.module->walk([&](accel::LoopNestOpInterface op) {
      w.ops.push_back(op.getOperation());
    });
    if (w.ops.empty()) {
      fail(path + ": the model has no accel compute ops to map");
      return false;
    }
    workloads.push_back(std::move(w));
  }
  return true;
}

/// The preferred design's parameters and metrics, and where the files are.
void printPreferred(const DesignSpace &space, const Candidate &c) {
  outs() << "preferred (lowest " << stringifyMetric(space.prefer)
         << "): design " << c.id << ":";
  Point point = space.getPoint(c.id);
  for (auto [p, v] : llvm::zip(space.parameters, point))
    outs() << " " << p.name << "=" << p.getLabel(v);
  outs() << "\n ";
  for (Metric m : kAllMetrics)
    outs() << " " << stringifyMetric(m) << " "
           << format("%.4g", c.metrics.get(m)) << " " << getMetricUnit(m);
  outs() << "\nwrote " << outDir
         << "/{pareto.json, candidates.csv, report.html, best-target.yaml, "
            "best-*.mlir}\n";
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "Tandem co-design: searches a hardware design space for the "
      "accelerators\nworth building for a workload of models, with the mapper "
      "in the loop\n");
  auto start = std::chrono::steady_clock::now();

  // Options first: nothing is read or written if one is wrong.
  auto strategy = mapping::parseStrategy(mapperName);
  if (!strategy)
    return fail("--mapper must be auto, exhaustive, heuristic, local, random "
                "or genetic, not '" +
                mapperName + "'");
  auto objective = mapping::parseObjective(mapperObjective);
  if (!objective)
    return fail("--mapper-objective must be latency, energy or edp, not '" +
                mapperObjective + "'");
  if (!weights.empty() && weights.size() != modelPaths.size())
    return fail("--weights gives " + Twine(weights.size()) + " weights for " +
                Twine(modelPaths.size()) + " models");
  for (double w : weights)
    if (!(w > 0) || !std::isfinite(w))
      return fail(formatv("--weights must be positive and finite, not {0}", w));
  if (searchName != "auto" && !parseSearchKind(searchName))
    return fail("--search must be auto, exhaustive, nsga2 or random, not '" +
                searchName + "'");
  if (population < 4)
    return fail("--population must be at least 4");
  if (floatBits < 0 || floatBits > 64)
    return fail("--float-bits must be between 0 and 64");

  auto loadedSpace = loadDesignSpace(spacePath);
  if (!loadedSpace)
    return fail(toString(loadedSpace.takeError()));
  DesignSpace &space = *loadedSpace;
  if (!preferName.empty()) {
    auto metric = parseMetric(preferName);
    if (!metric)
      return fail("--prefer must be latency, energy, area, edp or power, not "
                  "'" +
                  preferName + "'");
    space.prefer = *metric;
  }
  Metric axisX = space.objectives[0];
  Metric axisY = space.objectives.size() > 1 ? space.objectives[1]
                 : axisX == Metric::Area     ? Metric::Latency
                                             : Metric::Area;
  for (auto [opt, axis] : {std::pair(&plotX, &axisX), {&plotY, &axisY}}) {
    if (opt->empty())
      continue;
    auto metric = parseMetric(*opt);
    if (!metric)
      return fail("--" + opt->ArgStr +
                  " must be latency, energy, area, edp "
                  "or power, not '" +
                  *opt + "'");
    *axis = *metric;
  }

  const uint64_t size = space.size();
  if (size == UINT64_MAX)
    return fail(spacePath + ": the space has more than 2^64 points");
  SearchKind kind = searchName == "auto"
                        ? (size <= exhaustiveLimit ? SearchKind::Exhaustive
                                                   : SearchKind::NSGA2)
                        : *parseSearchKind(searchName);
  uint64_t budget = kind == SearchKind::Exhaustive ? size
                    : evaluations
                        ? std::min<uint64_t>(evaluations, size)
                        : std::min<uint64_t>(
                              size, std::clamp<uint64_t>(size / 10, 200, 5000));

  // Models.
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  SourceMgr diagnosticsSource;
  mlir::SourceMgrDiagnosticHandler diagnostics(diagnosticsSource, &context);
  std::vector<Workload> workloads;
  if (!loadWorkloads(context, workloads))
    return 1;

  // The output directory and the checkpoint.
  std::string checkpointPath = joinPath(outDir, "checkpoint.json");
  auto fingerprint = getFingerprint(kind, budget);
  if (!fingerprint)
    return fail(toString(fingerprint.takeError()));
  Archive archive;
  ExploreState state;
  if (resume) {
    if (!sys::fs::exists(checkpointPath))
      return fail("--resume: there is no checkpoint in '" + outDir +
                  "' to continue");
    if (Error err =
            loadCheckpoint(checkpointPath, *fingerprint, space, archive, state))
      return fail(toString(std::move(err)));
  } else if (sys::fs::exists(checkpointPath) &&
             !isFinishedCheckpoint(checkpointPath)) {
    return fail("'" + outDir +
                "' holds the checkpoint of an unfinished run; continue it with "
                "--resume, or remove it or choose another --out");
  }
  if (std::error_code ec = sys::fs::create_directories(outDir))
    return fail("cannot create '" + outDir + "': " + ec.message());

  if (!quiet)
    for (const std::string &level : space.rescaledLevels)
      errs() << "tandem-codesign: note: level " << level
             << " varies in capacity: its per-access energy and area follow "
                "the capacity (45 nm defaults), not the base target's "
                "values\n";

  mapping::SearchOptions mapperOptions;
  mapperOptions.strategy = *strategy;
  mapperOptions.objective = *objective;
  mapperOptions.seed = seed;
  Evaluator evaluator(space, workloads, mapperOptions, floatBits);
  parallel::strategy = hardware_concurrency(jobs);

  Progress progress{!quiet && sys::Process::StandardErrIsDisplayed(), budget};
  size_t feasibleCount = 0;
  for (const Candidate &c : archive.getCandidates())
    feasibleCount += c.metrics.isFeasible();
  auto evaluateBatch = [&](ArrayRef<uint64_t> ids) {
    std::vector<Candidate> batch(ids.size());
    std::vector<std::optional<hw::Target>> targets(ids.size());
    std::vector<unsigned> classes(ids.size(), 0);
    parallelFor(0, ids.size(), [&](size_t i) {
      batch[i].id = ids[i];
      auto target = space.instantiate(space.getPoint(ids[i]),
                                      "design-" + std::to_string(ids[i]));
      if (!target) {
        batch[i].metrics.invalid = toString(target.takeError());
        return;
      }
      classes[i] = evaluator.getMappingClass(*target);
      targets[i] = std::move(*target);
    });
    // Designs that share their mappings go to one thread, so no thread waits
    // for another's search.
    std::vector<SmallVector<unsigned, 4>> groups;
    DenseMap<unsigned, unsigned> groupOf;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!targets[i])
        continue;
      auto [it, inserted] = groupOf.try_emplace(classes[i], groups.size());
      if (inserted)
        groups.emplace_back();
      groups[it->second].push_back(i);
    }
    parallelFor(0, groups.size(), [&](size_t g) {
      for (unsigned i : groups[g])
        batch[i].metrics = evaluator.evaluate(*targets[i], classes[i]);
    });
    for (Candidate &c : batch) {
      feasibleCount += c.metrics.isFeasible();
      archive.add(std::move(c));
    }
    progress.update(archive.size(), feasibleCount);
  };
  Error saveError = Error::success();
  uint64_t startCount = archive.size();
  // The checkpoint holds the whole archive: rewriting it after every batch
  // would make a long run's I/O quadratic. It is written at most once a
  // second while the run goes on, and always when it stops or ends (below).
  auto lastSave = std::chrono::steady_clock::now();
  auto afterBatch = [&]() {
    if (interrupted || (stopAfter && archive.size() - startCount >= stopAfter))
      return false;
    auto now = std::chrono::steady_clock::now();
    if (now - lastSave < std::chrono::seconds(1))
      return true;
    lastSave = now;
    if (Error err =
            saveCheckpoint(checkpointPath, *fingerprint, archive, state)) {
      saveError = std::move(err);
      return false;
    }
    return true;
  };

  ExploreOptions exploreOptions;
  exploreOptions.kind = kind;
  exploreOptions.evaluations = budget;
  exploreOptions.population = population;
  exploreOptions.seed = seed;
  Explorer explorer(space, exploreOptions, evaluateBatch, afterBatch);
  // Ctrl-C: finish the batch, write the checkpoint, stop; a second one
  // kills the process (the checkpoint on disk is still the last complete).
  sys::SetInterruptFunction([] { interrupted = true; });
  bool finished = explorer.run(archive, state);
  progress.finish();
  if (saveError)
    return fail(toString(std::move(saveError)));
  if (Error err = saveCheckpoint(checkpointPath, *fingerprint, archive, state))
    return fail(toString(std::move(err)));
  if (!finished) {
    errs() << "tandem-codesign: " << (interrupted ? "interrupted" : "stopped")
           << " after " << archive.size() << " of " << budget
           << " evaluations; the checkpoint is in '" << checkpointPath
           << "'; continue with --resume\n";
    return interrupted ? 130 : 0;
  }

  // The front, its breakdowns, the preferred design.
  std::vector<unsigned> frontIndices =
      getParetoFront(archive.getCandidates(), space.objectives);
  if (frontIndices.empty()) {
    return fail(explainInfeasible(space, archive));
  }
  std::vector<FrontDesign> front(frontIndices.size());
  unsigned preferred = 0;
  for (auto [i, index] : llvm::enumerate(frontIndices)) {
    front[i].candidate = &archive.getCandidates()[index];
    if (front[i].candidate->metrics.get(space.prefer) <
        front[preferred].candidate->metrics.get(space.prefer))
      preferred = i;
  }
  front[preferred].preferred = true;
  std::vector<hw::Target> frontTargets(front.size());
  parallelFor(0, front.size(), [&](size_t i) {
    uint64_t id = front[i].candidate->id;
    frontTargets[i] = cantFail(
        space.instantiate(space.getPoint(id), "design-" + std::to_string(id)));
    evaluator.evaluate(frontTargets[i],
                       evaluator.getMappingClass(frontTargets[i]),
                       &front[i].models);
  });

  RunSummary run;
  for (const Workload &w : workloads)
    run.models.push_back({w.name, w.weight});
  run.search = kind;
  run.seed = seed;
  run.mapper = mapperName;
  run.evaluations = archive.size();
  run.spaceSize = size;

  std::string paretoText;
  raw_string_ostream paretoOS(paretoText);
  paretoOS << formatv("{0:2}", getParetoJSON(space, run, front)) << "\n";
  const hw::Target &best = frontTargets[preferred];
  SmallVector<std::pair<std::string, std::string>> outputs = {
      {"pareto.json", paretoText},
      {"candidates.csv", getCandidatesCSV(space, archive, front)},
      {"report.html", getReportHTML(space, run, archive, front, axisX, axisY)},
      {"best-target.yaml", hw::printTarget(best)}};
  evaluator.attachMappings(best);
  for (Workload &w : workloads) {
    std::string text;
    raw_string_ostream os(text);
    w.module->print(os);
    outputs.push_back(
        {"best-" + sys::path::filename(w.name).str() + ".mlir", text});
  }
  for (const auto &[file, text] : outputs)
    // Through a temporary file renamed into place: no partial output.
    if (Error err = writeToOutput(joinPath(outDir, file), [&](raw_ostream &os) {
          os << text;
          return Error::success();
        }))
      return fail(toString(std::move(err)));

  if (!quiet) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    outs() << stringifySearchKind(kind) << " search: " << archive.size()
           << " of " << size << " points evaluated ("
           << archive.size() - startCount << " this run, "
           << evaluator.getNumSearches() << " mapper searches) in "
           << format("%.1f", seconds) << " s; " << feasibleCount
           << " feasible, " << front.size() << " on the Pareto front\n";
    printPreferred(space, *front[preferred].candidate);
  }
  return 0;
}
