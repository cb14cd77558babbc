//===- Session.h - One design-space exploration, end to end -----*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// What tandem-codesign does, as a library: load a space and a workload of
// models, search the space (resumable from a checkpoint), and write the
// Pareto front's reports. The tool only parses flags; tests and the Python
// module drive the same object. Errors are values; the models' own
// diagnostics go to the MLIRContext's handler.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_CODESIGN_SESSION_H
#define TANDEM_CODESIGN_SESSION_H

#include "tandem/CoDesign/Network.h"
#include "tandem/CoDesign/Report.h"
#include "tandem/CoDesign/Surrogate.h"
#include "tandem/Target/ONNX/ImportONNX.h"

#include <atomic>
#include <functional>
#include <map>
#include <memory>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace tandem::codesign {

struct SessionOptions {
  /// Models (.onnx, .onnxtext, .mlir) and their weights (empty: 1 each).
  std::vector<std::string> modelPaths;
  std::vector<double> weights;
  /// Static shapes for ONNX inputs ("NAME=1x3x224x224") and whether ops
  /// Tandem does not model may be imported as accel.onnx_op.
  std::vector<std::string> inputShapes;
  bool allowUnsupported = false;
  std::string spacePath;
  /// Where outputs and the checkpoint go.
  std::string outDir;
  /// nullopt: exhaustive up to `exhaustiveLimit` points, else nsga2.
  std::optional<SearchKind> search;
  uint64_t exhaustiveLimit = 20000;
  /// nsga2, random, nested, sequential: points to evaluate (0: 10% of the
  /// space, clamped to 200..5000).
  uint64_t evaluations = 0;
  /// nested and sequential: policies the integer program proposes per
  /// hardware design (latency or energy limits from 1 to 0.2 of W8A8's).
  unsigned policiesPerDesign = 5;
  unsigned population = 40;
  /// exhaustive and random: points per batch (the unit of a remote
  /// evaluation and of checkpoints); the result does not depend on it.
  unsigned batch = 256;
  uint64_t seed = 1;
  /// Threads that evaluate points (0: all cores).
  unsigned jobs = 0;
  /// Continue the run whose checkpoint is in outDir.
  bool resume = false;
  /// Stop (with a checkpoint) after this many evaluations (0: never).
  uint64_t stopAfter = 0;
  mapping::Strategy mapper = mapping::Strategy::Heuristic;
  Metric mapperObjective = Metric::EDP;
  workload::CostOptions costOptions;
  /// Joint spaces (a `network` section): the validation data and the
  /// policies' options (its sensitivity file is DIR/sensitivity.json).
  NetworkOptions network;
  /// The joint-space options given on the command line (`--labels`, ...):
  /// on a space without a network section they would change nothing, an
  /// error.
  std::vector<std::string> networkFlags;
  /// Override the space's `prefer`, and the report's plot axes.
  std::optional<Metric> prefer, plotX, plotY;
  /// Set by another thread (Ctrl-C) to stop after the running batch.
  const std::atomic<bool> *interrupted = nullptr;
  /// Called after every batch: points evaluated, of how many, feasible.
  std::function<void(uint64_t, uint64_t, size_t)> onProgress;
  /// Evaluates every batch elsewhere (a Dask cluster through the Python
  /// module): the points' metrics in order, as Session::evaluatePoints
  /// gives them. An error stops the run; the checkpoint keeps the batches
  /// before it. Empty: this process's threads.
  std::function<llvm::Expected<std::vector<Metrics>>(llvm::ArrayRef<uint64_t>)>
      remoteEvaluate;
};

class Session {
public:
  /// Checks the options, loads the space and the models (their diagnostics
  /// go to `context`), and reads the checkpoint when resuming. Nothing is
  /// written yet.
  static llvm::Expected<std::unique_ptr<Session>>
  create(SessionOptions options, mlir::MLIRContext &context);
  ~Session();

  /// Runs (or continues) the search, checkpointing as it goes. Returns true
  /// when it finished, false when interrupted or stopped by stopAfter.
  llvm::Expected<bool> explore();

  /// Scores points (in parallel, on `jobs` threads) without adding them to
  /// the archive: what a search's batch, the batch API and a remote worker
  /// compute. Deterministic: a point's metrics do not depend on the batch.
  std::vector<Metrics> evaluatePoints(llvm::ArrayRef<uint64_t> ids);

  /// Writes pareto.json, candidates.csv, report.html, best-target.yaml and
  /// best-MODEL.mlir to outDir. With no feasible design, writes
  /// candidates.csv only and returns an error that says why.
  llvm::Error writeOutputs();

  const DesignSpace &getSpace() const { return space; }
  const Archive &getArchive() const { return archive; }
  SearchKind getSearchKind() const { return kind; }
  uint64_t getBudget() const { return budget; }
  /// Evaluations in this process (not counting a resumed checkpoint's).
  uint64_t getNewEvaluations() const;
  uint64_t getNumMapperSearches() const;
  /// Joint spaces: distinct policies quantized in this process.
  uint64_t getNumPoliciesQuantized() const;
  /// The Pareto front after writeOutputs(); the preferred design first
  /// among equals is marked.
  llvm::ArrayRef<FrontDesign> getFront() const { return front; }
  /// The differentiable search's evaluator, trained on the final archive
  /// (after writeOutputs).
  const std::optional<SurrogateFit> &getSurrogateFit() const {
    return surrogateFit;
  }
  /// Things a user should know (levels whose energies follow capacity).
  llvm::ArrayRef<std::string> getNotes() const { return notes; }
  std::string getCheckpointPath() const;
  /// The design's parameters, "rows=16 cols=32 ...".
  std::string describePoint(uint64_t id) const;

private:
  Session(SessionOptions options, mlir::MLIRContext &context);
  llvm::Error checkPrecisionAxes() const;
  llvm::Error load();
  llvm::Error loadNetwork();
  /// Joint spaces: measures the estimated front's designs (and, while
  /// none of them is feasible as measured, the next front of the rest) and
  /// keeps the front of the measured ones in `front`.
  llvm::Error measureFront(std::vector<uint64_t> &estimatedFront);
  void evaluateBatch(llvm::ArrayRef<uint64_t> ids);
  /// Nested and sequential searches: the points of the integer program's
  /// policies on hardware design `hardwareId`.
  std::vector<uint64_t> proposePoints(uint64_t hardwareId);
  /// The differentiable search: the evaluator's inputs and objectives, the
  /// archive's valid points as its samples, and a round's proposals.
  SurrogateProblem getSurrogateProblem() const;
  std::vector<SurrogateSample> getSurrogateSamples() const;
  std::vector<uint64_t> learnPoints(unsigned count, uint64_t round);
  std::string explainInfeasible() const;

  SessionOptions options;
  mlir::MLIRContext &context;
  DesignSpace space;
  SearchKind kind = SearchKind::Exhaustive;
  uint64_t budget = 0;
  std::vector<Workload> workloads;
  std::unique_ptr<Evaluator> evaluator;
  std::unique_ptr<Network> network;
  std::unique_ptr<DifferentiableSearch> surrogate;
  /// The first error of the differentiable search's rounds, and of the
  /// remote evaluation.
  std::string learnError;
  std::optional<std::string> remoteError;
  /// The measured designs' quantized models (joint spaces), by id.
  std::map<uint64_t, Workload> measuredModels;
  std::string fingerprint;
  Archive archive;
  ExploreState state;
  uint64_t startCount = 0;
  size_t feasibleCount = 0;
  std::vector<FrontDesign> front;
  std::optional<SurrogateFit> surrogateFit;
  std::vector<std::string> notes;
};

} // namespace tandem::codesign

#endif // TANDEM_CODESIGN_SESSION_H
