//===- tandem-quantize.cpp - Hardware-aware mixed-precision search --------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Parses flags and runs the mixed-precision driver (lib/Quantization):
//
//   tandem-quantize cnn.onnx --input-shape image=64x1x28x28 \
//     --target bitfusion --dataset train-images-idx3-ubyte.gz \
//     --labels train-labels-idx1-ubyte.gz --budget latency=0.6 \
//     --search ilp --out out/
//
//===----------------------------------------------------------------------===//

#include "tandem/InitAll.h"
#include "tandem/Quantization/MixedPrecisionDriver.h"
#include "tandem/Runtime/Runtime.h"
#include "tandem/Support/ChoiceParser.h"
#include "tandem/Support/Limits.h"
#include "tandem/Target/ONNX/ImportONNX.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/SourceMgr.h"

#include <atomic>
#include <chrono>

using namespace llvm;
using namespace tandem;
using namespace tandem::quant;

namespace {

cl::OptionCategory category("tandem-quantize options");

cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                               cl::desc("<model: .onnx, .onnxtext or .mlir>"),
                               cl::cat(category));
cl::opt<std::string> targetName(
    "target", cl::Required,
    cl::desc("Target: a preset (bitfusion, bismo, ...) or a YAML file"),
    cl::cat(category));
cl::opt<std::string> datasetPath(
    "dataset", cl::Required,
    cl::desc("Validation data (IDX file, .npy directory or test_data_set_* "
             "directory): calibration, sensitivity and the search's scores"),
    cl::cat(category));
cl::opt<std::string> labelsPath(
    "labels",
    cl::desc("Labels of --dataset (IDX or .npy); without them, agreement "
             "with the fp32 model is the accuracy measure"),
    cl::cat(category));
cl::opt<std::string>
    testDatasetPath("test-dataset",
                    cl::desc("Held-out data the results are also measured on"),
                    cl::cat(category));
cl::opt<std::string> testLabelsPath("test-labels",
                                    cl::desc("Labels of --test-dataset"),
                                    cl::cat(category));
cl::opt<int64_t> testSamples("test-samples",
                             cl::desc("Use at most this many test samples "
                                      "(0: all)"),
                             cl::init(0), cl::cat(category));
cl::opt<int64_t> calibrationSamples(
    "calibration-samples",
    cl::desc("Calibrate on the first N samples of --dataset"), cl::init(512),
    cl::cat(category));
cl::opt<int64_t> validationSamples(
    "validation-samples",
    cl::desc("Measure sensitivity and policies on the first N samples of "
             "--dataset (0: all)"),
    cl::init(2000), cl::cat(category));
cl::list<std::string> budgets(
    "budget",
    cl::desc("KIND=VALUE, repeatable: latency, energy, size, bitops or "
             "arithmetic (the array's multiplies, shifts and adds); a "
             "fraction of W8A8 on the target (0.6, 60%) or absolute (1.5ms, "
             "20uJ, 40kB, 2.5G bit-operations)"),
    cl::OneOrMore, cl::cat(category));
cl::opt<SearchKind, false, ChoiceParser<SearchKind>> searchKind(
    "search", cl::desc("The search"),
    cl::values(clEnumValN(SearchKind::ILP, "ilp",
                          "Integer program over the measured sensitivity "
                          "(GLPK; exact)"),
               clEnumValN(SearchKind::Evolution, "evolution",
                          "Evolution scored by measured accuracy"),
               clEnumValN(SearchKind::DDPG, "ddpg",
                          "HAQ's DDPG agent (libtorch), reward from measured "
                          "accuracy")),
    cl::init(SearchKind::ILP), cl::cat(category));
cl::opt<ILPObjective, false, ChoiceParser<ILPObjective>> ilpObjective(
    "ilp-objective", cl::init(ILPObjective::Accuracy),
    cl::desc("What the integer program minimizes over the sensitivity"),
    cl::values(clEnumValN(ILPObjective::Accuracy, "accuracy",
                          "summed drops in measured accuracy (or agreement; "
                          "default)"),
               clEnumValN(ILPObjective::Noise, "noise",
                          "summed output noise power (noise of independent "
                          "errors adds)")),
    cl::cat(category));
cl::opt<std::string> outDir("out", cl::Required,
                            cl::desc("Directory for the policy, quantized "
                                     "model, cost tables and report"),
                            cl::cat(category));
cl::opt<uint64_t> seed("seed", cl::desc("Seed of the evolution and DDPG"),
                       cl::init(1), cl::cat(category));
cl::opt<unsigned>
    episodes("episodes",
             cl::desc("DDPG: episodes; evolution: policies to measure"),
             cl::init(600), cl::cat(category));
cl::opt<unsigned> warmup("warmup",
                         cl::desc("DDPG: random episodes before learning"),
                         cl::init(20), cl::cat(category));
cl::opt<unsigned> population("population",
                             cl::desc("Evolution: population size"),
                             cl::init(20), cl::cat(category));
cl::list<std::string>
    pin("pin", cl::desc("Keep layers at W8A8: first, last (comma-separated)"),
        cl::CommaSeparated, cl::cat(category));
cl::list<int64_t> widths(
    "bits",
    cl::desc("Widths a layer may take (comma-separated; default 2..8), of "
             "those the target supports; 8 must be one"),
    cl::CommaSeparated, cl::cat(category));
cl::list<std::string> encodings(
    "encodings",
    cl::desc("Shift-add encodings a layer's weights may take beside the "
             "widths (comma-separated ENCODING[:BITS]: pot, apot (5 bits), "
             "csd, csd-T (8 bits); docs/shift-add.md)"),
    cl::CommaSeparated, cl::cat(category));
cl::opt<std::string> givenPolicy(
    "policy",
    cl::desc("Measure this policy JSON on the target instead of searching "
             "(e.g. one searched for another target); the quantization "
             "options given on the command line replace the policy's"),
    cl::cat(category));
cl::opt<std::string> sensitivityPath(
    "sensitivity",
    cl::desc("Sensitivity file to reuse when it matches and to write "
             "(default: OUT/sensitivity.json)"),
    cl::cat(category));
enum class BudgetScope { Model, Layers };
cl::opt<BudgetScope, false, ChoiceParser<BudgetScope>> budgetScope(
    "budget-scope", cl::init(BudgetScope::Model),
    cl::desc("What latency and energy budgets count"),
    cl::values(clEnumValN(BudgetScope::Model, "model",
                          "the whole model, pooling and host ops included "
                          "(default)"),
               clEnumValN(BudgetScope::Layers, "layers",
                          "only the searched layers (HAQ's tables)")),
    cl::cat(category));
cl::opt<mapping::Strategy, false, ChoiceParser<mapping::Strategy>> mapperName(
    "mapper", cl::init(mapping::Strategy::Local),
    cl::desc("Mapper search per problem of the cost tables"),
    cl::values(clEnumValN(mapping::Strategy::Local, "local",
                          "steepest descent, up to a fraction of a second per "
                          "problem (default)"),
               clEnumValN(mapping::Strategy::Heuristic, "heuristic",
                          "constructive, milliseconds per problem"),
               clEnumValN(mapping::Strategy::Auto, "auto",
                          "by the map space's size (exhaustive when small)")),
    cl::cat(category));
cl::opt<Metric, false, ChoiceParser<Metric>> mapperObjective(
    "mapper-objective", cl::init(Metric::EDP),
    cl::desc("What the mapper minimizes per problem"),
    cl::values(clEnumValN(Metric::Latency, "latency", "cycles"),
               clEnumValN(Metric::Energy, "energy", "picojoules"),
               clEnumValN(Metric::EDP, "edp", "cycles x picojoules")),
    cl::cat(category));
/// Clipping plus "auto", which only a search can use.
enum class ClippingChoice { MinMax, Percentile, MSE, KL, Auto };
cl::opt<ClippingChoice, false, ChoiceParser<ClippingChoice>> activationClipping(
    "activation-clipping", cl::init(ClippingChoice::MinMax),
    cl::desc("How activation ranges are clipped in every policy"),
    cl::values(
        clEnumValN(ClippingChoice::MinMax, "minmax", "calibrated range"),
        clEnumValN(ClippingChoice::Percentile, "percentile",
                   "--percentile of the values"),
        clEnumValN(ClippingChoice::MSE, "mse", "least squared error"),
        clEnumValN(ClippingChoice::KL, "kl", "least KL divergence"),
        clEnumValN(ClippingChoice::Auto, "auto",
                   "per layer and width, whichever of minmax, percentile "
                   "(--percentile) and mse its sensitivity measurement "
                   "found most accurate (searches only)")),
    cl::cat(category));
cl::opt<double> percentile("percentile",
                           cl::desc("Share of values kept by percentile "
                                    "clipping, in percent"),
                           cl::init(99.99), cl::cat(category));
enum class Granularity { PerTensor, PerChannel };
cl::opt<Granularity, false, ChoiceParser<Granularity>> depthwiseInputs(
    "depthwise-inputs",
    cl::desc("Grids of the activations only depthwise layers read (every "
             "policy)"),
    cl::values(clEnumValN(Granularity::PerTensor, "per-tensor",
                          "one scale and zero point (default)"),
               clEnumValN(Granularity::PerChannel, "per-channel",
                          "one per channel, at no cost in integer "
                          "arithmetic")),
    cl::init(Granularity::PerTensor), cl::cat(category));
cl::opt<bool> biasCorrection(
    "bias-correction",
    cl::desc("Fold each layer's mean weight-rounding error into its bias, "
             "from the calibrated input channel means (every policy); with "
             "gptq-sequential, its measured mean output error"),
    cl::cat(category));
cl::opt<WeightRounding, false, ChoiceParser<WeightRounding>> weightRounding(
    "weight-rounding", cl::desc("How weights are rounded to their grid"),
    cl::values(clEnumValN(WeightRounding::Nearest, "nearest",
                          "each to the nearest level (default)"),
               clEnumValN(WeightRounding::GPTQ, "gptq",
                          "GPTQ: each layer's output error on the "
                          "calibration samples minimized"),
               clEnumValN(WeightRounding::GPTQSequential, "gptq-sequential",
                          "GPTQ layer by layer from the inputs each layer "
                          "gets in the quantized model; the search scores "
                          "policies rounded by gptq, the chosen policy and "
                          "the baselines are rounded sequentially and "
                          "measured")),
    cl::init(WeightRounding::Nearest), cl::cat(category));
cl::opt<unsigned> threads("num-threads",
                          cl::desc("Threads for mapping and scoring"),
                          cl::init(2), cl::cat(category));
cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("ONNX models: static shape of an input, NAME=DIMxDIMx..."),
    cl::cat(category));
cl::opt<bool> quiet("quiet", cl::desc("No progress on stderr"),
                    cl::cat(category));

std::optional<Clipping> toClipping(ClippingChoice c) {
  switch (c) {
  case ClippingChoice::MinMax:
    return Clipping::MinMax;
  case ClippingChoice::Percentile:
    return Clipping::Percentile;
  case ClippingChoice::MSE:
    return Clipping::MSE;
  case ClippingChoice::KL:
    return Clipping::KL;
  case ClippingChoice::Auto:
    break;
  }
  return std::nullopt;
}

std::atomic<bool> interrupted{false};

int fail(const Twine &message) {
  errs() << "tandem-quantize: error: " << message << "\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  tandem::chooseBlasKernels(argv);
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  registerLimitOptions(&category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "Tandem mixed-precision search: chooses each layer's weight and "
      "activation bits under latency, energy, size or bit-operation budgets "
      "on a target, with the cost model and mapper as the hardware simulator "
      "and accuracy measured on data. Writes policy.json, quantized.mlir, "
      "quantized.onnx (QDQ), cost tables (.json, .csv, HAQ's .npy layout), "
      "sensitivity.json, report.json and report.html into --out.\n");

  auto start = std::chrono::steady_clock::now();
  MixedPrecisionConfig config;
  auto target = hw::loadTarget(targetName);
  if (!target)
    return fail("--target: " + toString(target.takeError()));
  config.target = std::move(*target);
  for (const std::string &text : budgets) {
    auto budget = parseBudget(text);
    if (!budget)
      return fail("--budget: " + toString(budget.takeError()));
    config.budgets.push_back(*budget);
  }
  for (const std::string &p : pin) {
    if (p == "first")
      config.pinFirst = true;
    else if (p == "last")
      config.pinLast = true;
    else
      return fail("--pin: expected 'first' or 'last', got '" + p + "'");
  }
  if (threads < 1)
    return fail("--num-threads must be at least 1");
  if (calibrationSamples < 0 || validationSamples < 0 || testSamples < 0)
    return fail("sample counts must be >= 0");
  if (!testLabelsPath.empty() && testDatasetPath.empty())
    return fail("--test-labels needs --test-dataset");
  if (!(percentile > 50 && percentile <= 100))
    return fail("--percentile must be in (50, 100]");
  config.search = searchKind;
  for (int64_t w : widths) {
    if (w < 2 || w > 8)
      return fail("--bits: widths must be 2..8, got " + Twine(w));
    config.widths.push_back(w);
  }
  for (const std::string &text : encodings) {
    auto e = parseEncodingOption(text);
    if (!e)
      return fail("--encodings: " + toString(e.takeError()));
    config.encodings.push_back(*e);
  }
  if (!givenPolicy.empty()) {
    auto policy = loadPolicy(givenPolicy);
    if (!policy)
      return fail("--policy: " + toString(policy.takeError()));
    // Options given explicitly win over the file's.
    if (activationClipping == ClippingChoice::Auto)
      return fail("--activation-clipping auto: the clipping is chosen per "
                  "layer by a search's sensitivity measurement, and a given "
                  "--policy is measured, not searched; name one clipping "
                  "(minmax, percentile, mse, kl)");
    if (activationClipping.getNumOccurrences()) {
      policy->activationClipping = *toClipping(activationClipping);
      policy->layerActivationClipping.clear();
    }
    if (percentile.getNumOccurrences())
      policy->percentile = percentile;
    if (biasCorrection.getNumOccurrences())
      policy->biasCorrection = biasCorrection;
    if (depthwiseInputs.getNumOccurrences())
      policy->depthwiseInputsPerChannel =
          depthwiseInputs == Granularity::PerChannel;
    if (weightRounding.getNumOccurrences())
      policy->weightRounding = weightRounding;
    config.givenPolicy = std::move(*policy);
  }
  config.layersOnly = budgetScope == BudgetScope::Layers;
  config.mapper.strategy = mapperName;
  config.mapper.objective = mapperObjective;
  if (activationClipping == ClippingChoice::Auto)
    config.activationClippings = getAutoActivationClippings(percentile);
  else
    config.base.activationClipping = *toClipping(activationClipping);
  config.base.percentile = percentile;
  config.base.biasCorrection = biasCorrection;
  config.base.depthwiseInputsPerChannel =
      depthwiseInputs == Granularity::PerChannel;
  config.base.weightRounding = weightRounding;
  config.searchOptions.seed = seed;
  config.searchOptions.ilpObjective = ilpObjective;
  config.searchOptions.episodes = episodes;
  config.searchOptions.warmupEpisodes = warmup;
  config.searchOptions.population = population;
  config.searchOptions.interrupted = &interrupted;
  config.dataPath = datasetPath;
  config.labelsPath = labelsPath;
  config.testDataPath = testDatasetPath;
  config.testLabelsPath = testLabelsPath;
  config.testSamples = testSamples;
  config.calibrationSamples = calibrationSamples;
  config.validationSamples = validationSamples;
  config.threads = threads;
  if (sensitivityPath.empty()) {
    SmallString<256> p(outDir);
    sys::path::append(p, "sensitivity.json");
    config.sensitivityPath = std::string(p);
  } else {
    config.sensitivityPath = sensitivityPath;
  }
  if (!quiet)
    config.log = [](StringRef line) {
      errs() << "tandem-quantize: " << line << "\n";
    };
  if (std::error_code ec = sys::fs::create_directories(outDir))
    return fail("cannot create '" + outDir + "': " + ec.message());

  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  SourceMgr diagnosticsSource;
  mlir::SourceMgrDiagnosticHandler diagnostics(diagnosticsSource, &context);
  ONNXImportOptions importOptions;
  for (const std::string &text : inputShapes) {
    std::pair<std::string, SmallVector<int64_t, 4>> shape;
    std::string error;
    if (!parseInputShape(text, shape, error))
      return fail("--input-shape: " + error);
    importOptions.inputShapes.push_back(std::move(shape));
  }
  auto module = loadModelFile(modelPath, &context, importOptions);
  if (!module)
    return 1;

  // Ctrl-C: the search stops and returns its best policy so far, which is
  // written like a finished one (the report says it was interrupted); the
  // sensitivity file on disk lets a rerun skip straight to the search.
  sys::SetInterruptFunction([] { interrupted = true; });
  auto result = runMixedPrecision(*module, config);
  if (!result)
    return fail(modelPath + ": " + toString(result.takeError()));
  if (Error err = writeMixedPrecisionOutputs(**result, config, outDir))
    return fail(toString(std::move(err)));

  const MixedPrecisionResult &r = **result;
  if (!quiet) {
    auto line = [&](const MeasuredPolicy &m) {
      const Quality &q = r.hasTest ? m.test : m.validation;
      errs() << format("  %-10s %s %6.2f%%  latency %.4g ms  energy %.4g uJ\n",
                       m.name.c_str(), r.hasTest ? "test" : "validation",
                       100 * q.score(), r.table.toMs(m.cost.cycles),
                       m.cost.energyPJ * 1e-6);
    };
    errs() << "tandem-quantize: measured:\n";
    for (const MeasuredPolicy &m : r.baselines)
      line(m);
    line(r.chosen);
    errs() << format(
        "tandem-quantize: wrote %s in %.1f s\n", outDir.c_str(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  if (r.search.interrupted) {
    errs() << "tandem-quantize: interrupted: wrote the best policy found so "
              "far\n";
    return 130;
  }
  return 0;
}
