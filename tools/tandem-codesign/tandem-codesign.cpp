//===- tandem-codesign.cpp - Accelerator design-space exploration ---------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
//   tandem-codesign MODEL... --space SPACE.yaml --out DIR [--weights W,...]
//                   [--search auto|exhaustive|nsga2|random] [--evaluations N]
//                   [--seed N] [--jobs N] [--resume] [--mapper STRATEGY]
//                   [--dataset DATA [--labels LABELS]]
//
// Scores hardware points of SPACE (every compute layer mapped by the mapper,
// costs summed by the cost model), keeps every evaluated point, and writes
// the Pareto front and its reports to DIR. A space with a network section
// also chooses each layer's widths and encoding, with the accuracy measured
// on DATA. See docs/codesign.md.
//
//===----------------------------------------------------------------------===//

#include "SchedulerBridge.h"

#include "tandem/CoDesign/Session.h"
#include "tandem/InitAll.h"
#include "tandem/Support/ChoiceParser.h"
#include "tandem/Support/Limits.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <chrono>

using namespace llvm;
using namespace tandem;
using namespace tandem::codesign;

namespace {

cl::OptionCategory category("tandem-codesign options");

/// The choices of every metric flag.
#define TANDEM_METRIC_VALUES                                                   \
  cl::values(clEnumValN(Metric::Latency, "latency", "milliseconds"),           \
             clEnumValN(Metric::Energy, "energy", "picojoules"),               \
             clEnumValN(Metric::Area, "area", "square millimetres"),           \
             clEnumValN(Metric::EDP, "edp", "energy x latency"),               \
             clEnumValN(Metric::Power, "power", "milliwatts"),                 \
             clEnumValN(Metric::AccuracyLoss, "accuracy_loss",                 \
                        "percentage points (joint spaces)"))

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
cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("ONNX models: static shape of an input, NAME=DIMxDIMx..."),
    cl::value_desc("name=shape"), cl::cat(category));
cl::opt<bool> allowUnsupported(
    "allow-unsupported",
    cl::desc("ONNX models: import operators Tandem does not model as "
             "accel.onnx_op (costed on the host) instead of failing"),
    cl::cat(category));
enum class SearchFlag {
  Auto,
  Exhaustive,
  NSGA2,
  Random,
  Nested,
  Sequential,
  Differentiable
};
cl::opt<SearchFlag, false, ChoiceParser<SearchFlag>> searchName(
    "search", cl::init(SearchFlag::Auto), cl::desc("The search over the space"),
    cl::values(clEnumValN(SearchFlag::Auto, "auto",
                          "exhaustive when the space has at most "
                          "--exhaustive-limit points, else nsga2"),
               clEnumValN(SearchFlag::Exhaustive, "exhaustive", "every point"),
               clEnumValN(SearchFlag::NSGA2, "nsga2", "NSGA-II"),
               clEnumValN(SearchFlag::Random, "random", "a seeded sample"),
               clEnumValN(SearchFlag::Nested, "nested",
                          "joint spaces: each hardware design with the "
                          "integer program's policies"),
               clEnumValN(SearchFlag::Sequential, "sequential",
                          "joint spaces: the hardware at W8A8 first, then "
                          "the integer program's policies on its preferred "
                          "design"),
               clEnumValN(SearchFlag::Differentiable, "differentiable",
                          "DANCE-style: an evaluator network trained on "
                          "half the budget, a gradient search through it")),
    cl::cat(category));
cl::opt<uint64_t>
    exhaustiveLimit("exhaustive-limit", cl::init(20000),
                    cl::desc("auto: the largest space searched exhaustively"),
                    cl::cat(category));
cl::opt<uint64_t> evaluations(
    "evaluations", cl::init(0),
    cl::desc("nsga2, random, nested, sequential: points to evaluate "
             "(default: 10% of the space, at least 200 and at most 5000)"),
    cl::cat(category));
cl::opt<unsigned> policiesPerDesign(
    "policies-per-design", cl::init(5),
    cl::desc("nested and sequential: policies the integer program proposes "
             "per hardware design (latency limits from 1 to 0.2 of W8A8's)"),
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
cl::opt<mapping::Strategy, false, ChoiceParser<mapping::Strategy>> mapperName(
    "mapper", cl::init(mapping::Strategy::Heuristic),
    cl::desc("Mapper search per layer"),
    cl::values(
        clEnumValN(mapping::Strategy::Heuristic, "heuristic",
                   "constructive, about a millisecond per layer (default)"),
        clEnumValN(mapping::Strategy::Local, "local",
                   "steepest descent, 1-20 ms per layer"),
        clEnumValN(mapping::Strategy::Genetic, "genetic", "populations"),
        clEnumValN(mapping::Strategy::Auto, "auto", "by the map space's size"),
        clEnumValN(mapping::Strategy::Random, "random", "uniform samples"),
        clEnumValN(mapping::Strategy::Exhaustive, "exhaustive",
                   "every factorization")),
    cl::cat(category));
cl::opt<Metric, false, ChoiceParser<Metric>> mapperObjective(
    "mapper-objective", cl::init(Metric::EDP),
    cl::desc("What the mapper minimizes per layer"),
    cl::values(clEnumValN(Metric::Latency, "latency", "cycles"),
               clEnumValN(Metric::Energy, "energy", "picojoules"),
               clEnumValN(Metric::EDP, "edp", "cycles x picojoules")),
    cl::cat(category));
cl::opt<int64_t> floatBits(
    "float-bits", cl::init(0),
    cl::desc("Width assumed for float tensors (0: the array's MAC width)"),
    cl::cat(category));
cl::opt<bool> fuse("fuse", cl::init(true),
                   cl::desc("Fuse element-wise ops into their producers' "
                            "output stages (--fuse=false: every op alone)"),
                   cl::cat(category));
cl::opt<Metric, false, ChoiceParser<Metric>> prefer(
    "prefer",
    cl::desc("Metric that picks the exported design among the Pareto-optimal "
             "ones (default: the space's `prefer`)"),
    TANDEM_METRIC_VALUES, cl::cat(category));
cl::opt<Metric, false, ChoiceParser<Metric>>
    plotX("plot-x",
          cl::desc("Metric on the report's x axis (default: first objective)"),
          TANDEM_METRIC_VALUES, cl::cat(category));
cl::opt<Metric, false, ChoiceParser<Metric>> plotY(
    "plot-y",
    cl::desc("Metric on the report's y axis (default: second objective, or "
             "area)"),
    TANDEM_METRIC_VALUES, cl::cat(category));
cl::opt<std::string> dataset(
    "dataset",
    cl::desc("Joint spaces: validation data (IDX file, .npy directory or "
             "test_data_set_* directory) for calibration, sensitivity and the "
             "front's measured accuracy"),
    cl::value_desc("path"), cl::cat(category));
cl::opt<std::string>
    labels("labels",
           cl::desc("Joint spaces: labels of --dataset (without them, "
                    "accuracy is agreement with the fp32 model)"),
           cl::value_desc("path"), cl::cat(category));
cl::opt<int64_t> calibrationSamples(
    "calibration-samples", cl::init(512),
    cl::desc("Joint spaces: calibrate on the first N samples of --dataset"),
    cl::cat(category));
cl::opt<int64_t> validationSamples(
    "validation-samples", cl::init(1000),
    cl::desc("Joint spaces: measure sensitivity and the front on the first N "
             "samples of --dataset (0: all)"),
    cl::cat(category));
cl::opt<uint64_t> maxMeasuredDesigns(
    "max-measured-designs", cl::init(0),
    cl::desc("Joint spaces: measure at most N designs of the estimated "
             "fronts, spread along the first objective (0: no limit; with "
             "--weight-rounding=gptq-sequential each takes seconds)"),
    cl::value_desc("N"), cl::cat(category));
cl::opt<quant::Clipping, false, ChoiceParser<quant::Clipping>>
    activationClipping(
        "activation-clipping", cl::init(quant::Clipping::MinMax),
        cl::desc("Joint spaces: how activation ranges are clipped in every "
                 "policy"),
        cl::values(
            clEnumValN(quant::Clipping::MinMax, "minmax", "calibrated range"),
            clEnumValN(quant::Clipping::Percentile, "percentile",
                       "--percentile of the values"),
            clEnumValN(quant::Clipping::MSE, "mse", "least squared error"),
            clEnumValN(quant::Clipping::KL, "kl", "least KL divergence")),
        cl::cat(category));
cl::opt<double> percentile("percentile",
                           cl::desc("Joint spaces: share of values kept by "
                                    "percentile clipping, in percent"),
                           cl::init(99.99), cl::cat(category));
cl::opt<bool> biasCorrection(
    "bias-correction",
    cl::desc("Joint spaces: correct each layer's bias for its weights' "
             "rounding (with gptq-sequential: for its measured mean output "
             "error; docs/quantization.md)"),
    cl::cat(category));
enum class Granularity { PerTensor, PerChannel };
cl::opt<Granularity, false, ChoiceParser<Granularity>> depthwiseInputs(
    "depthwise-inputs",
    cl::desc("Joint spaces: grids of the activations only depthwise layers "
             "read (docs/quantization.md)"),
    cl::values(clEnumValN(Granularity::PerTensor, "per-tensor",
                          "one scale and zero point (default)"),
               clEnumValN(Granularity::PerChannel, "per-channel",
                          "one per channel")),
    cl::init(Granularity::PerTensor), cl::cat(category));
cl::opt<quant::WeightRounding, false, ChoiceParser<quant::WeightRounding>>
    weightRounding(
        "weight-rounding",
        cl::desc("Joint spaces: how weights are rounded to their grid"),
        cl::values(clEnumValN(quant::WeightRounding::Nearest, "nearest",
                              "each to the nearest level (default)"),
                   clEnumValN(quant::WeightRounding::GPTQ, "gptq",
                              "GPTQ: each layer's output error on the "
                              "calibration samples minimized"),
                   clEnumValN(quant::WeightRounding::GPTQSequential,
                              "gptq-sequential",
                              "GPTQ against the quantized model's own "
                              "inputs, layer after layer: the front's "
                              "designs are rounded so and measured, the "
                              "search estimates with GPTQ")),
        cl::init(quant::WeightRounding::Nearest), cl::cat(category));
cl::opt<std::string> scheduler(
    "scheduler",
    cl::desc("Evaluate every batch on the Dask cluster of this scheduler "
             "(tcp://HOST:PORT; needs python3-distributed and the Python "
             "package, docs/distributed.md); the result is the same"),
    cl::value_desc("address"), cl::cat(category));
cl::opt<unsigned>
    chunkSize("chunk-size", cl::init(2000),
              cl::desc("--scheduler: at most this many points per task"),
              cl::cat(category));
cl::opt<unsigned>
    workerJobs("worker-jobs", cl::init(1),
               cl::desc("--scheduler: threads each Dask worker evaluates on"),
               cl::cat(category));
cl::opt<bool> quiet("quiet", cl::desc("No progress bar, notes or summary"),
                    cl::cat(category));

std::atomic<bool> interrupted{false};

int fail(const Twine &message) {
  errs() << "tandem-codesign: error: " << message << "\n";
  return 1;
}

/// A progress line on stderr, redrawn in place.
struct Progress {
  bool enabled;
  std::chrono::steady_clock::time_point start =
      std::chrono::steady_clock::now();

  void update(uint64_t done, uint64_t total, size_t feasible) {
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

SessionOptions getOptions() {
  SessionOptions o;
  o.modelPaths.assign(modelPaths.begin(), modelPaths.end());
  o.weights.assign(weights.begin(), weights.end());
  o.inputShapes.assign(inputShapes.begin(), inputShapes.end());
  o.allowUnsupported = allowUnsupported;
  o.spacePath = spacePath;
  o.outDir = outDir;
  switch (searchName) {
  case SearchFlag::Auto:
    break;
  case SearchFlag::Exhaustive:
    o.search = SearchKind::Exhaustive;
    break;
  case SearchFlag::NSGA2:
    o.search = SearchKind::NSGA2;
    break;
  case SearchFlag::Random:
    o.search = SearchKind::Random;
    break;
  case SearchFlag::Nested:
    o.search = SearchKind::Nested;
    break;
  case SearchFlag::Sequential:
    o.search = SearchKind::Sequential;
    break;
  case SearchFlag::Differentiable:
    o.search = SearchKind::Differentiable;
    break;
  }
  o.exhaustiveLimit = exhaustiveLimit;
  o.evaluations = evaluations;
  o.population = population;
  o.policiesPerDesign = policiesPerDesign;
  o.seed = seed;
  o.jobs = jobs;
  o.resume = resume;
  o.stopAfter = stopAfter;
  o.mapper = mapperName;
  o.mapperObjective = mapperObjective;
  o.costOptions.floatBits = floatBits;
  o.costOptions.fuse = fuse;
  if (prefer.getNumOccurrences())
    o.prefer = prefer;
  if (plotX.getNumOccurrences())
    o.plotX = plotX;
  if (plotY.getNumOccurrences())
    o.plotY = plotY;
  o.network.dataPath = dataset;
  o.network.labelsPath = labels;
  o.network.calibrationSamples = calibrationSamples;
  o.network.validationSamples = validationSamples;
  o.network.base.biasCorrection = biasCorrection;
  o.network.base.depthwiseInputsPerChannel =
      depthwiseInputs == Granularity::PerChannel;
  o.network.base.weightRounding = weightRounding;
  o.network.base.activationClipping = activationClipping;
  o.network.base.percentile = percentile;
  o.network.maxMeasuredDesigns = maxMeasuredDesigns;
  for (const cl::Option *flag : std::initializer_list<const cl::Option *>{
           &labels, &calibrationSamples, &validationSamples, &biasCorrection,
           &depthwiseInputs, &weightRounding, &activationClipping, &percentile,
           &maxMeasuredDesigns})
    if (flag->getNumOccurrences())
      o.networkFlags.push_back(("--" + flag->ArgStr).str());
  if (!quiet)
    o.network.log = [](StringRef line) {
      errs() << "tandem-codesign: " << line << "\n";
    };
  o.interrupted = &interrupted;
  return o;
}

std::string getAbsolutePath(StringRef path) {
  SmallString<256> absolute(path);
  sys::fs::make_absolute(absolute);
  return absolute.str().str();
}

/// What the bridge's workers need to evaluate points as this run does,
/// with the Python module's option names.
json::Object getSchedulerRequest() {
  json::Array models, shapes, weightList;
  for (const std::string &path : modelPaths)
    models.push_back(getAbsolutePath(path));
  for (const std::string &shape : inputShapes)
    shapes.push_back(shape);
  for (double w : weights)
    weightList.push_back(w);
  json::Object options{{"models", std::move(models)},
                       {"space", getAbsolutePath(spacePath)},
                       {"out", getAbsolutePath(outDir)},
                       {"input_shapes", std::move(shapes)},
                       {"allow_unsupported", bool(allowUnsupported)},
                       {"mapper", mapping::stringifyStrategy(mapperName)},
                       {"mapper_objective", stringifyMetric(mapperObjective)},
                       {"seed", int64_t(seed)},
                       {"float_bits", int64_t(floatBits)},
                       {"fuse", bool(fuse)}};
  // Joint-space options only as given: on a space without a network section
  // the workers refuse them, as the tool does (their defaults are the same).
  auto addGiven = [&](const cl::Option &flag, StringRef key, json::Value v) {
    if (flag.getNumOccurrences())
      options[key] = std::move(v);
  };
  addGiven(calibrationSamples, "calibration_samples",
           int64_t(calibrationSamples));
  addGiven(validationSamples, "validation_samples", int64_t(validationSamples));
  addGiven(biasCorrection, "bias_correction", bool(biasCorrection));
  addGiven(depthwiseInputs, "depthwise_inputs",
           depthwiseInputs == Granularity::PerChannel ? "per-channel"
                                                      : "per-tensor");
  addGiven(weightRounding, "weight_rounding",
           quant::stringifyWeightRounding(weightRounding));
  addGiven(activationClipping, "activation_clipping",
           quant::stringifyClipping(activationClipping));
  addGiven(percentile, "percentile", double(percentile));
  if (!weightList.empty())
    options["weights"] = std::move(weightList);
  if (!dataset.empty())
    options["dataset"] = getAbsolutePath(dataset);
  if (!labels.empty())
    options["labels"] = getAbsolutePath(labels);
  return json::Object{{"scheduler", std::string(scheduler)},
                      {"options", std::move(options)},
                      {"chunk_size", int64_t(chunkSize)},
                      {"worker_jobs", int64_t(workerJobs)}};
}

/// The preferred design's parameters and metrics, and where the files are.
void printSummary(const Session &session, double seconds) {
  const Archive &archive = session.getArchive();
  size_t feasible = llvm::count_if(archive.getCandidates(), [](const auto &c) {
    return c.metrics.isFeasible();
  });
  outs() << stringifySearchKind(session.getSearchKind())
         << " search: " << archive.size() << " of " << session.getSpace().size()
         << " points evaluated (" << session.getNewEvaluations()
         << " this run, " << session.getNumMapperSearches()
         << " mapper searches"
         << (session.getSpace().hasNetwork()
                 ? ", " + std::to_string(session.getNumPoliciesQuantized()) +
                       " policies quantized"
                 : std::string())
         << ") in " << format("%.1f", seconds) << " s; " << feasible
         << " feasible, " << session.getFront().size()
         << " on the Pareto front\n";
  for (const FrontDesign &d : session.getFront()) {
    if (!d.preferred)
      continue;
    outs() << "preferred (lowest " << stringifyMetric(session.getSpace().prefer)
           << "): design " << d.candidate->id << ": "
           << session.describePoint(d.candidate->id) << "\n ";
    for (Metric m : getReportedMetrics(session.getSpace()))
      outs() << " " << stringifyMetric(m) << " "
             << formatMetric(m, d.metrics.get(m));
    if (const auto &fit = session.getSurrogateFit())
      outs() << "\nevaluator network (" << fit->trained << " samples, "
             << fit->heldOut << " held out): relative error latency "
             << format("%.1f%%", 100 * fit->relativeError[kLogLatency])
             << ", energy "
             << format("%.1f%%", 100 * fit->relativeError[kLogEnergy])
             << ", area "
             << format("%.1f%%", 100 * fit->relativeError[kLogArea])
             << "; rank correlation "
             << format("%.3f", fit->rankCorrelation[kLogLatency]) << ", "
             << format("%.3f", fit->rankCorrelation[kLogEnergy]) << ", "
             << format("%.3f", fit->rankCorrelation[kLogArea]);
    outs() << "\nwrote " << outDir
           << "/{pareto.json, candidates.csv, report.html, best-target.yaml, "
           << (d.network ? "best-policy.json, best-*.onnx, " : "")
           << "best-*.mlir}\n";
  }
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  registerLimitOptions(&category);
  cl::SetVersionPrinter([](raw_ostream &os) {
    os << "tandem-codesign " << getToolVersion() << "\n";
  });
  cl::ParseCommandLineOptions(
      argc, argv,
      "Tandem co-design: searches a hardware design space for the "
      "accelerators\nworth building for a workload of models, with the mapper "
      "in the loop\n");
  auto start = std::chrono::steady_clock::now();

  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  SourceMgr diagnosticsSource;
  mlir::SourceMgrDiagnosticHandler diagnostics(diagnosticsSource, &context);

  SessionOptions options = getOptions();
  Progress progress{!quiet && sys::Process::StandardErrIsDisplayed()};
  options.onProgress = [&](uint64_t done, uint64_t total, size_t feasible) {
    progress.update(done, total, feasible);
  };
  std::unique_ptr<SchedulerBridge> bridge;
  if (!scheduler.empty()) {
    if (chunkSize < 1)
      return fail("--chunk-size must be at least 1");
    auto started = SchedulerBridge::start(getSchedulerRequest());
    if (!started)
      return fail(toString(started.takeError()));
    bridge = std::move(*started);
    // Workers read the data by the absolute path, and the sensitivity
    // table they get is keyed by it: the same path here.
    if (!options.network.dataPath.empty())
      options.network.dataPath = getAbsolutePath(options.network.dataPath);
    if (!options.network.labelsPath.empty())
      options.network.labelsPath = getAbsolutePath(options.network.labelsPath);
    // A few whole chunks per worker in the exhaustive and random searches'
    // batches; the result does not depend on it.
    options.batch = bridge->getBatchSize();
    options.remoteEvaluate = [&](ArrayRef<uint64_t> ids) {
      return bridge->evaluate(ids);
    };
  }
  auto session = Session::create(std::move(options), context);
  if (!session)
    return fail(toString(session.takeError()));
  if (!quiet)
    for (const std::string &note : (*session)->getNotes())
      errs() << "tandem-codesign: note: " << note << "\n";

  // Ctrl-C: finish the batch, write the checkpoint, stop; a second one
  // kills the process (the checkpoint on disk is still the last complete).
  sys::SetInterruptFunction([] { interrupted = true; });
  Expected<bool> finished = (*session)->explore();
  progress.finish();
  if (!finished)
    return fail(toString(finished.takeError()));
  if (!*finished) {
    errs() << "tandem-codesign: " << (interrupted ? "interrupted" : "stopped")
           << " after " << (*session)->getArchive().size() << " of "
           << (*session)->getBudget() << " evaluations; the checkpoint is in '"
           << (*session)->getCheckpointPath() << "'; continue with --resume\n";
    return interrupted ? 130 : 0;
  }
  if (Error err = (*session)->writeOutputs())
    return fail(toString(std::move(err)));
  if (!quiet)
    printSummary(**session, std::chrono::duration<double>(
                                std::chrono::steady_clock::now() - start)
                                .count());
  return 0;
}
