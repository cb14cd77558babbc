//===- Report.h - pareto.json, candidates.csv, report.html ------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The outputs of a design-space exploration. Everything here depends only on
// the space, the options and the evaluated points (no times, no paths of the
// output directory), so the same run gives byte-identical files. Schemas are
// in docs/codesign.md.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_CODESIGN_REPORT_H
#define TANDEM_CODESIGN_REPORT_H

#include "tandem/CoDesign/Explorer.h"
#include "tandem/CoDesign/Surrogate.h"
#include "tandem/Quantization/Sensitivity.h"

namespace tandem::codesign {

/// What was run, as the reports state it: enough to run it again.
struct RunSummary {
  /// Model name, file (as given) and weight, in command-line order.
  struct Model {
    std::string name, file;
    double weight = 1;
  };
  std::vector<Model> models;
  /// The space file as given.
  std::string spaceFile;
  SearchKind search = SearchKind::Exhaustive;
  uint64_t seed = 1;
  /// Points the search may evaluate, its population (nsga2), and the
  /// largest space `auto` searches exhaustively.
  uint64_t budget = 0, exhaustiveLimit = 0;
  unsigned population = 0;
  mapping::Strategy mapper = mapping::Strategy::Heuristic;
  Metric mapperObjective = Metric::EDP;
  workload::CostOptions costOptions;
  /// Import options of ONNX models.
  std::vector<std::string> inputShapes;
  bool allowUnsupported = false;
  /// Points evaluated and the size of the space.
  uint64_t evaluations = 0, spaceSize = 0;
  /// Joint spaces: the validation data, the fp32 model's quality on it,
  /// the designs of the estimated front that were measured (all of them
  /// unless `maxMeasuredDesigns`, when not 0, left some out).
  struct Network {
    std::string data, labels;
    int64_t samples = 0;
    quant::Quality fp32;
    std::vector<uint64_t> estimatedFront;
    uint64_t maxMeasuredDesigns = 0;
  };
  std::optional<Network> network;
  /// The differentiable search's evaluator on the final archive.
  std::optional<SurrogateFit> surrogate;
};

/// Tandem's version, as outputs record it.
llvm::StringRef getToolVersion();

/// A metric's value as people read it, with its unit ("14.2 uJ").
std::string formatMetric(Metric metric, double value);

/// A joint space's design as measured: its policy run on the validation
/// data, its own quantized IR costed.
struct MeasuredNetwork {
  std::vector<quant::LayerBits> bits;
  quant::Quality quality;
  double sizeBytes = 0;
};

/// A Pareto-optimal design with its per-model, per-layer breakdown.
struct FrontDesign {
  const Candidate *candidate = nullptr;
  /// What the reports give: the candidate's metrics, or in a joint space
  /// the measured ones (the candidate's are the search's estimate).
  Metrics metrics;
  std::optional<MeasuredNetwork> network;
  std::vector<ModelCost> models;
  bool preferred = false;
};

/// The metrics reports list for `space`: the hardware ones, and the
/// accuracy loss in a joint space.
llvm::SmallVector<Metric, kNumMetrics>
getReportedMetrics(const DesignSpace &space);

/// pareto.json: the run, then every front design's parameters, metrics and
/// per-layer breakdown.
llvm::json::Value getParetoJSON(const DesignSpace &space, const RunSummary &run,
                                llvm::ArrayRef<FrontDesign> front);

/// candidates.csv: one row per evaluated point, in evaluation order.
std::string getCandidatesCSV(const DesignSpace &space, const Archive &archive,
                             llvm::ArrayRef<FrontDesign> front);

/// report.html: self-contained (inline CSS and SVG, no scripts, no external
/// references): a scatter of all candidates on axes `x` and `y` with the
/// front marked, a table of the front, and each front design's layers.
std::string getReportHTML(const DesignSpace &space, const RunSummary &run,
                          const Archive &archive,
                          llvm::ArrayRef<FrontDesign> front, Metric x,
                          Metric y);

} // namespace tandem::codesign

#endif // TANDEM_CODESIGN_REPORT_H
