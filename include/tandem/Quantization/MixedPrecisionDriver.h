//===- MixedPrecisionDriver.h - Model + target + budget -> policy -*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The whole mixed-precision job, as a library (tandem-quantize and
// --accel-mixed-precision both call it): calibrate the fp32 model (unless
// it carries calibration statistics), build the per-layer cost tables on
// the target, measure every layer's sensitivity on the validation samples
// (or reuse a stored measurement of the same model, data and options), run
// the search, then measure what it chose and the uniform baselines (W8A8,
// W4A8, W4A4 where the target has them): accuracy on the validation and,
// if given, test data, latency and energy by costing each policy's own
// quantized IR. Searches estimate; everything the report calls a result is
// measured.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_MIXEDPRECISIONDRIVER_H
#define TANDEM_QUANTIZATION_MIXEDPRECISIONDRIVER_H

#include "tandem/Quantization/MixedPrecision.h"

namespace tandem::quant {

/// The mapper's local search minimizing EDP: up to a fraction of a second
/// per problem (tables of large models take a minute or two).
mapping::SearchOptions getDefaultMapperOptions();

/// What `--activation-clipping auto` compares per layer and width:
/// min-max, percentile at `percentile` and MSE. No one clipping suits
/// every tensor (docs/mixed-precision.md).
std::vector<ActivationClipping> getAutoActivationClippings(double percentile);

struct MixedPrecisionConfig {
  hw::Target target;
  std::vector<Budget> budgets;
  SearchKind search = SearchKind::ILP;
  /// Measure this policy instead of searching (no sensitivity either):
  /// what a policy chosen for another target costs on this one.
  std::optional<Policy> givenPolicy;
  MixedPrecisionOptions searchOptions;
  bool pinFirst = false, pinLast = false;
  /// Budgets count only the searched layers (HAQ's tables), not the rest
  /// of the model (pooling, host ops) whose cost no width changes.
  bool layersOnly = false;
  /// Widths a search may choose (empty: 2..8), of those the target has.
  std::vector<int64_t> widths;
  /// Shift-add encodings a search may choose for a layer's weights beside
  /// the widths (docs/shift-add.md), each at its own width.
  std::vector<WeightEncoding> encodings;
  /// How every array problem of the cost tables is mapped.
  mapping::SearchOptions mapper = getDefaultMapperOptions();
  /// Clipping and granularity of every policy.
  Policy base;
  /// Activation clippings the sensitivity compares for each layer and
  /// width; every policy then clips each layer's activations by the best
  /// at its width (empty: by `base`'s everywhere).
  std::vector<ActivationClipping> activationClippings;
  /// Validation data: calibration uses its first `calibrationSamples`,
  /// sensitivity and the searches its first `validationSamples`.
  std::string dataPath, labelsPath;
  int64_t calibrationSamples = 512, validationSamples = 2000;
  /// Optional held-out data the results are also measured on (0: all).
  std::string testDataPath, testLabelsPath;
  int64_t testSamples = 0;
  unsigned threads = 2;
  /// A sensitivity file to reuse when it matches, and to (re)write.
  std::string sensitivityPath;
  /// Progress lines (no newline).
  std::function<void(llvm::StringRef)> log;
};

/// One policy measured on the validation data, with its estimated cost.
struct EvaluatedPolicy {
  BitsVector bits;
  Quality quality;
  double estimatedCycles = 0, estimatedEnergyPJ = 0;
  bool meetsBudgets = false;
};

/// A policy measured in full: accuracy on validation (and test) data and
/// the cost of its own quantized IR.
struct MeasuredPolicy {
  std::string name;
  BitsVector bits;
  Quality validation, test;
  CostEntry cost, estimate;
  /// The searched layers' share of `cost` (their rows).
  CostEntry layersCost;
  /// Size in bytes of the searched layers' weights; bit-operations.
  double sizeBytes = 0, bitOps = 0;
};

/// The distinct policies of `evaluated` that meet the budgets by the tables
/// and score above `score`, most accurate first, without `exclude`: where
/// the driver looks when lowering its choice's bits to meet a budget as
/// measured cost more accuracy than a policy the search had measured.
std::vector<BitsVector>
rankMoreAccurate(llvm::ArrayRef<EvaluatedPolicy> evaluated, double score,
                 const BitsVector &exclude);

/// Whether `m`'s measured cost (its own IR) is within every budget of
/// `problem` (size and bit-operations are exact in the tables).
bool meetsBudgetsMeasured(const SearchProblem &problem,
                          const MeasuredPolicy &m);

struct MixedPrecisionResult {
  CostTable table;
  Sensitivity sensitivity;
  bool sensitivityReused = false;
  SearchProblem problem;
  SearchResult search;
  /// Every policy the search measured, in order.
  std::vector<EvaluatedPolicy> evaluated;
  MeasuredPolicy chosen;
  std::vector<MeasuredPolicy> baselines;
  Quality fp32Validation, fp32Test;
  bool hasTest = false;
  int64_t validationSamples = 0, testSamples = 0;
  double calibrationSeconds = 0, tableSeconds = 0, sensitivitySeconds = 0,
         searchSeconds = 0, measureSeconds = 0;
  /// The search's chosen policy (the problem's base plus its widths).
  Policy policy;
  /// The module quantized by `policy`.
  mlir::OwningOpRef<mlir::ModuleOp> quantized;
};

/// Runs the job on `module` (an fp32 model; calibrated in place when it has
/// no statistics).
llvm::Expected<std::unique_ptr<MixedPrecisionResult>>
runMixedPrecision(mlir::ModuleOp module, const MixedPrecisionConfig &config);

/// The report (docs/mixed-precision.md: tandem-mixed-precision-report/1).
std::string printMixedPrecisionJSON(const MixedPrecisionResult &result,
                                    const MixedPrecisionConfig &config);
/// A self-contained HTML page: per-layer widths, accuracy against latency
/// and energy of every measured policy, the chosen one marked.
std::string printMixedPrecisionHTML(const MixedPrecisionResult &result,
                                    const MixedPrecisionConfig &config);

/// Writes policy.json, quantized.mlir, quantized.onnx (QDQ),
/// cost-table.{json,csv}, cost-table-{latency,energy}.npy, report.json and
/// report.html into `dir` (created), each whole or not at all.
llvm::Error writeMixedPrecisionOutputs(const MixedPrecisionResult &result,
                                       const MixedPrecisionConfig &config,
                                       llvm::StringRef dir);

} // namespace tandem::quant

#endif // TANDEM_QUANTIZATION_MIXEDPRECISIONDRIVER_H
