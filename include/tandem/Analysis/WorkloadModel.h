//===- WorkloadModel.h - A module as the accelerator sees it ----*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The one path from IR to cost. Built once per module (an MLIR analysis:
// getAnalysis<WorkloadModel>()), it sees every op through the loop-nest
// interface: operand roles and formats, the problem a contraction poses to
// the cost model, and fusion groups (a contraction with the element-wise
// ops that consume its result, run in its output stage). Then, for a
// target, it places every op (the PE array, the post-processing unit, or
// the host), maps the array's problems (an op's own #accel.mapping, else a
// MappingProvider: the default mapping or the mapper) and sums cycles and
// energy in one set of units (cycles, pJ). The cost report, the mapping
// pass, the co-design evaluator and the Python module all go through it;
// nothing else builds problems from IR.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_ANALYSIS_WORKLOADMODEL_H
#define TANDEM_ANALYSIS_WORKLOADMODEL_H

#include "tandem/Analysis/CostModel.h"
#include "tandem/Dialect/Accel/IR/LoopNest.h"

#include "mlir/IR/Operation.h"
#include "mlir/Pass/AnalysisManager.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>
#include <string>
#include <vector>

namespace tandem::workload {

/// How a tensor's elements are stored. Integers and quantized types have
/// their storage width; floats are costed at a width the caller picks (the
/// array's, or --float-bits), as an accelerator computes in its own format.
/// Shift-add encoded weights also carry their encoding and measured terms.
struct OperandFormat {
  bool isFloat = true;
  /// The element type's width (a quantized type's storage width); for
  /// shift-add encoded weights, the code's width (what memory moves).
  int64_t bits = 32;
  /// Shift-add encoded weights (accel.weight_encoding): the encoding and
  /// the measured non-zero terms per weight.
  std::optional<WeightEncoding> encoding;
  double termsPerWeight = 0;

  /// The width the cost model uses on a target where floats are
  /// `floatWidth` bits.
  int64_t getCostedBits(int64_t floatWidth) const {
    return isFloat ? floatWidth : bits;
  }
};

/// The format of `type`'s elements.
OperandFormat getOperandFormat(mlir::Type type);

/// One operand or result of a layer.
struct Operand {
  accel::OperandRole role = accel::OperandRole::Input;
  OperandFormat format;
  int64_t elements = 0;
  mlir::Value value;
};

/// One op of the module that the workload model knows.
struct Layer {
  enum class Category {
    /// Implements the loop-nest interface.
    Compute,
    /// Reshape, transpose, slice, ...: counted, not costed.
    DataMovement,
    /// accel.onnx_op: runs on the host.
    Unmodelled,
  };
  mlir::Operation *op = nullptr;
  /// The display name (the ONNX node name) and the op's mnemonic.
  std::string name, kind;
  Category category = Category::Compute;
  /// Compute ops: the loop nest, and one Operand per tensor of it (operands
  /// in order, then the result). Unmodelled ops: operands, then results.
  std::optional<accel::LoopNest> nest;
  llvm::SmallVector<Operand, 4> operands;
  /// Contractions: the cost model's problem with every data space at 8 bits
  /// (the target resolves the widths), or why there is none.
  std::optional<cost::Problem> problem;
  std::string problemError;
  /// The formats of the problem's data spaces.
  std::array<OperandFormat, cost::kNumTensorKinds> spaceFormats;

  bool isContraction() const {
    return nest && nest->kind == accel::ComputeKind::Contraction;
  }
  int64_t getOutputElements() const;
};

/// A contraction and the element-wise ops fused into its output stage (in
/// program order), or one op on its own.
struct FusionGroup {
  unsigned anchor = 0;
  llvm::SmallVector<unsigned, 4> fused;
  /// Per fused op: a batch norm folded into the contraction's weights and
  /// bias (its statistics are constants and nothing nonlinear comes first).
  llvm::SmallVector<bool, 4> folded;
};

/// Where an op runs.
enum class Unit { Array, PostProcessing, Host };
llvm::StringRef stringifyUnit(Unit unit);

/// How to cost a module on a target.
struct CostOptions {
  /// Width of float tensors; 0: the array's width.
  int64_t floatBits = 0;
  /// Fuse element-wise ops into their producers' output stages.
  bool fuse = true;
  /// Use an op's `accel.mapping` when it has one (else the provider's).
  bool useMappingAttributes = true;
};

/// One placed unit of work: an array group (a contraction and its output
/// stage), a post-processing op, or a host op; and what it costs.
struct Row {
  Unit unit = Unit::Host;
  /// The layer that names the row, and the layers fused into its output
  /// stage (array rows), with the folded flags.
  unsigned layer = 0;
  llvm::SmallVector<unsigned, 4> fused;
  llvm::SmallVector<bool, 4> folded;
  /// Host rows: why the op cannot run on the accelerator.
  std::string hostReason;

  /// Array rows: the problem at the target's widths, the mapping used and
  /// the cost model's result for the contraction alone.
  std::optional<cost::Problem> problem;
  cost::Mapping mapping;
  cost::Cost array;
  /// Array and post-processing rows: the vector unit's operations (the
  /// output stage's for array rows), its cycles and energy.
  accel::OpCounts vectorOps;
  double vectorCycles = 0, vectorEnergyPJ = 0;
  /// DRAM traffic beside the array's (fused ops' operands read, extra
  /// results written; a post-processing op's operands and result), in
  /// elements and words, and its energy.
  double dramReadElements = 0, dramWriteElements = 0;
  double dramReadWords = 0, dramWriteWords = 0, dramEnergyPJ = 0;
  /// Array rows: the energy of writing the row's result at its own width
  /// instead of the contraction's (part of dramEnergyPJ; negative when an
  /// i32 accumulator leaves requantized to fewer bits). Totals by part
  /// count it with the array, whose output it corrects.
  double resultWidthEnergyPJ = 0;
  /// A bias added while the accumulators are initialized (array rows on a
  /// target whose output stage cannot add): energy only.
  double accumulatorInitEnergyPJ = 0;
  /// Host rows: bytes moved and operations run.
  double hostBytes = 0, hostOps = 0;

  double cycles = 0, energyPJ = 0;
  int64_t macs = 0;
  /// "compute", a memory level's name, "post-processing" or "host".
  std::string boundBy;
};

/// A module on a target.
struct WorkloadCost {
  /// In program order of each row's layer.
  std::vector<Row> rows;
  /// Data movement ops (not costed).
  unsigned dataMovement = 0;
  double cycles = 0, energyPJ = 0;
  int64_t macs = 0;
  /// By part: the array's contractions, what their output stages add, the
  /// post-processing unit's own ops, the host.
  enum Part { ArrayPart, OutputStagePart, PostProcessingPart, HostPart };
  static constexpr unsigned kNumParts = 4;
  std::array<double, kNumParts> partCycles{}, partEnergyPJ{};
  /// Set when the module cannot be costed on the target (an invalid
  /// mapping, no mapping at all): the op and why.
  mlir::Operation *errorOp = nullptr;
  std::string error;

  bool failed() const { return errorOp != nullptr || !error.empty(); }
  double getLatencyMs(const hw::Target &target) const {
    return cycles / (target.clockMHz * 1e3);
  }
};

/// Supplies the mapping of an array problem that has no accel.mapping (or
/// whose attributes are ignored): the target's default mapping, or a search.
/// An error makes the module uncostable on the target.
using MappingProvider =
    llvm::function_ref<llvm::Expected<cost::Mapping>(const cost::Problem &)>;

class WorkloadModel {
public:
  /// The analysis of every op under `root` (usually a module).
  WorkloadModel(mlir::Operation *root, mlir::AnalysisManager &);
  explicit WorkloadModel(mlir::Operation *root);

  llvm::ArrayRef<Layer> getLayers() const { return layers; }
  /// Fusion groups (each compute op on its own when `fuse` is false).
  llvm::ArrayRef<FusionGroup> getGroups(bool fuse) const {
    return fuse ? fusedGroups : singleGroups;
  }
  /// The layer of `op`, if it has one.
  std::optional<unsigned> lookup(mlir::Operation *op) const;

  /// Where every op runs on `target` and the problems of the array rows,
  /// without mappings or costs.
  std::vector<Row> place(const hw::Target &target,
                         const CostOptions &options) const;

  /// Places and costs the module on `target`.
  WorkloadCost evaluate(const hw::Target &target, const CostOptions &options,
                        MappingProvider provider) const;

  /// The array problem of layer `layer` on `target` (widths resolved), or
  /// why it cannot run on the array.
  llvm::Expected<cost::Problem> getArrayProblem(unsigned layer,
                                                const hw::Target &target,
                                                int64_t floatBits) const;

private:
  void build(mlir::Operation *root);
  void buildFusionGroups();
  /// Why the post-processing unit of `target` cannot run `counts`, or
  /// nullopt when it can.
  std::optional<std::string>
  explainVectorUnsupported(const accel::OpCounts &counts,
                           const hw::Target &target) const;
  void costArrayRow(Row &row, const hw::Target &target, int64_t floatWidth,
                    const CostOptions &options, MappingProvider provider,
                    WorkloadCost &result) const;
  void costVectorRow(Row &row, const hw::Target &target,
                     int64_t floatWidth) const;
  void costHostRow(Row &row, const hw::Target &target,
                   int64_t floatWidth) const;

  std::vector<Layer> layers;
  llvm::DenseMap<mlir::Operation *, unsigned> layerOf;
  std::vector<FusionGroup> fusedGroups, singleGroups;
};

/// The energy of `counts` on the post-processing unit of `target` (a MAC is
/// a multiply and an add).
double getVectorEnergyPJ(const accel::OpCounts &counts,
                         const hw::Target &target);

} // namespace tandem::workload

#endif // TANDEM_ANALYSIS_WORKLOADMODEL_H
