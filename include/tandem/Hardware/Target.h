//===- Target.h - An accelerator described as data --------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// A target is a PE array under a memory hierarchy, plus energy and area
// tables. It is plain data: read from YAML (TargetYAML.cpp), checked by
// validate(), and handed to the cost model. Presets live in targets/*.yaml.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_HARDWARE_TARGET_H
#define TANDEM_HARDWARE_TARGET_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tandem::hw {

/// How a PE multiplies.
enum class MacKind {
  /// Fixed-width integer MAC: one per cycle for operands up to `bits`.
  Integer,
  /// Floating-point MAC of `bits` width.
  Float,
  /// BitFusion: 16 2-bit BitBricks fused per layer; a w x a-bit MAC uses
  /// ceil(w/2) * ceil(a/2) bricks, so 16 / that many MACs run per cycle.
  BitFusion,
  /// BISMO-style bit-serial: `lanes` 1-bit products per cycle; a w x a-bit
  /// MAC needs w * a of them.
  BitSerial,
  /// Shift-and-add PEs (NASA-like): per PE `shifters` shift-and-add units,
  /// each one power-of-two term of an encoded weight per cycle, and
  /// `multipliers` for layers whose weights are not encoded.
  ShiftAdd,
};

/// The array's dataflow style, used for the default mapping (which dims go
/// to the array's X and Y, which tensor stays in the PEs).
enum class Dataflow {
  WeightStationary,
  OutputStationary,
  InputStationary,
  RowStationary,
};

/// The three data spaces of a compute op, as the cost model sees them.
enum TensorKind : unsigned { Input = 0, Weight = 1, Output = 2 };
constexpr unsigned kNumTensorKinds = 3;

/// Most memory levels a target may have (the cost model keeps per-level
/// state in fixed-size arrays).
constexpr unsigned kMaxMemoryLevels = 6;
/// Most fan-outs (spatial levels) between the memory levels and the PEs.
constexpr unsigned kMaxFanouts = 3;
/// Largest array side; keeps PE counts far from overflow.
constexpr int64_t kMaxArraySide = 1 << 16;

struct PEArray {
  int64_t rows = 1;
  int64_t cols = 1;
  MacKind mac = MacKind::Integer;
  /// Widest operand the MAC unit takes (Integer, Float, ShiftAdd).
  int64_t bits = 8;
  /// Bit-serial: 1-bit products per PE per cycle.
  int64_t lanes = 64;
  /// Shift-add: multipliers per PE (0: layers must be encoded to run here)
  /// and shift-and-add units per PE.
  int64_t multipliers = 1;
  int64_t shifters = 1;
  /// Operand widths the unit supports (empty: 1..bits).
  std::vector<int64_t> supportedBits;
  Dataflow dataflow = Dataflow::WeightStationary;
  /// The array's network can spread any loop over X and Y; otherwise the
  /// dataflow style fixes which loops may go there (a constraint on the
  /// mapper's search space).
  bool flexibleDataflow = false;
  /// Operands move PE to PE each cycle (SCALE-Sim's model: fill and drain
  /// cycles per fold).
  bool systolic = false;
  /// One read from the level above the array can feed many PEs.
  bool multicast = true;
  /// Partial sums are added on the way out of the array.
  bool spatialReduction = true;
  /// The array also computes divisions and exp/tanh/erf/sqrt; otherwise ops
  /// that need them run on the host.
  bool specialFunctions = false;
  /// Energy of moving one operand word across the array network (pJ).
  std::optional<double> networkEnergyPJ;

  int64_t getNumPEs() const { return rows * cols; }
};

/// One level of the memory hierarchy.
struct MemoryLevel {
  std::string name;
  /// Bytes per instance; 0 means unbounded (DRAM).
  int64_t capacityBytes = 0;
  /// One instance per PE (below the array) instead of one shared.
  bool perPE = false;
  /// Otherwise, its instances as a grid along the array's columns (X) and
  /// rows (Y): a level between two fan-outs, such as one buffer per column
  /// of PEs (1 x 1: one shared instance).
  int64_t instancesX = 1, instancesY = 1;
  int64_t wordBits = 64;
  /// Words per cycle per instance.
  double readBandwidth = 1;
  double writeBandwidth = 1;
  /// Energy per word access (pJ); defaults from capacity (see Energy.cpp).
  std::optional<double> readEnergyPJ;
  std::optional<double> writeEnergyPJ;
  /// Which tensors the level keeps (bit i: TensorKind i); none for a level
  /// that only marks where a fan-out sits (Timeloop's dummy buffers).
  unsigned holds = 0b111;
  /// Area per instance (mm^2); defaults from capacity.
  std::optional<double> areaMM2;

  bool holdsKind(TensorKind kind) const { return holds & (1u << kind); }
};

/// What one MAC multiplies: weights of `weightBits` (encoded weights: the
/// code's width) by activations of `activationBits`. For shift-add encoded
/// weights, `terms` non-zero power-of-two terms on average and `valueBits`
/// the width of the integers the codes stand for (what a multiplier needs).
struct MacOperands {
  int64_t weightBits = 8, activationBits = 8;
  bool encoded = false;
  double terms = 0;
  int64_t valueBits = 8;
};

/// Energy of one MAC by component (pJ); ALU work counts as adds.
struct MacEnergy {
  double multiplyPJ = 0, shiftPJ = 0, addPJ = 0;
  double getTotal() const { return multiplyPJ + shiftPJ + addPJ; }
};

/// Per-operation energy (pJ) at the array's operand width, overriding the
/// 45 nm defaults; and area of one PE (mm^2).
struct ComputeCosts {
  std::optional<double> macEnergyPJ;
  std::optional<double> peAreaMM2;
};

/// Operation classes of the post-processing unit.
enum class VectorOp : unsigned {
  Add,
  Multiply,
  Compare,
  Divide,
  Transcendental
};
constexpr unsigned kNumVectorOps = 5;

/// The array's output stage and vector unit (TPU's activation pipeline,
/// NVDLA's SDP): bias, activations, batch norm, residual adds and pooling
/// run here, on the array's results as they leave it or streamed from
/// memory. Lanes each do one operation (a fused multiply-add counts as one)
/// per cycle.
struct PostProcessing {
  /// Operations per cycle; 0 means the target has no such unit and all
  /// work outside the array runs on the host.
  int64_t lanes = 0;
  /// Width of its arithmetic (for energy and area); 0: the array's width.
  int64_t bits = 0;
  /// Bit i: the unit computes VectorOp i (compares also do max and ReLU;
  /// transcendentals are exp, tanh, erf, sqrt, sigmoid by table).
  unsigned ops = 0;
  /// Energy per operation (pJ), overriding the 45 nm defaults.
  std::array<std::optional<double>, kNumVectorOps> energyPJ;

  bool has(VectorOp op) const { return ops & (1u << unsigned(op)); }
};

/// The processor that runs what the accelerator cannot: costed as the
/// bytes it moves over its bandwidth plus the operations at its rate.
struct HostModel {
  /// Bytes per second between the host and the accelerator's memory (GB/s,
  /// 1e9 bytes).
  double bandwidthGBps = 10;
  /// Operations per second (1e9).
  double gops = 10;
  /// Energy per byte moved and per operation (pJ).
  double energyPJPerByte = 250;
  double energyPJPerOp = 70;
};

struct Target {
  std::string name;
  /// Where the numbers come from (shown in reports and docs).
  std::string source;
  double clockMHz = 200;
  PEArray array;
  /// Outermost (DRAM) first.
  llvm::SmallVector<MemoryLevel, 4> levels;
  ComputeCosts compute;
  PostProcessing postProcessing;
  HostModel host;

  /// The levels above the array (shared) come first, then the per-PE ones;
  /// this is the index of the first per-PE level (== levels.size() if none).
  unsigned getFirstPerPELevel() const;
  /// Instances of level `level` along the array's columns and rows.
  int64_t getInstancesX(unsigned level) const;
  int64_t getInstancesY(unsigned level) const;
  int64_t getInstances(unsigned level) const {
    return getInstancesX(level) * getInstancesY(level);
  }
  /// A spatial level: where one instance of level `above` feeds `x` x `y`
  /// instances of the level below it (or, below the last level, PEs).
  struct Fanout {
    unsigned above = 0;
    int64_t x = 1, y = 1;
  };
  /// The fan-outs, outermost first: one wherever the instance count grows
  /// (a target with shared levels over per-PE ones has exactly one).
  llvm::SmallVector<Fanout, kMaxFanouts> getFanouts() const;
  unsigned getNumFanouts() const;

  /// Checks every field; the error names the field ("levels[1].capacity_bytes
  /// must be positive") and the target file when given.
  llvm::Error validate() const;

  /// Whether the MAC unit takes weight and activation widths `w` and `a`.
  bool supportsBits(int64_t w, int64_t a) const;
  /// Why the PEs cannot do such MACs, or nullopt when they can. `what`
  /// names the weights in the message ("weights", "PoT-5 weights"; empty:
  /// a product of two activations).
  std::optional<std::string> explainUnsupported(const MacOperands &mac,
                                                llvm::StringRef what) const;
  /// MACs one PE finishes per cycle (fractional for bit-serial units and
  /// for shift-add units with several terms per weight).
  double getMacsPerCycle(const MacOperands &mac) const;
  double getMacsPerCycle(int64_t w, int64_t a) const {
    return getMacsPerCycle(MacOperands{w, a});
  }
  /// Energy of one MAC, by component.
  MacEnergy getMacEnergy(const MacOperands &mac) const;
  /// Energy of one plain MAC at widths `w` x `a` (pJ).
  double getMacEnergyPJ(int64_t w, int64_t a) const {
    return getMacEnergy(MacOperands{w, a}).getTotal();
  }
  /// Energy of one other arithmetic operation (add, compare) at width `bits`.
  double getAluEnergyPJ(int64_t bits) const;
  double getReadEnergyPJ(unsigned level) const;
  double getWriteEnergyPJ(unsigned level) const;
  double getNetworkEnergyPJ() const;
  /// Width of the post-processing unit's arithmetic.
  int64_t getPostProcessingBits() const;
  /// Energy of one post-processing operation of kind `op` (pJ).
  double getVectorOpEnergyPJ(VectorOp op) const;
  /// Area of the whole target: PEs, the post-processing unit, per-PE
  /// memories, shared memories (DRAM excluded).
  double getAreaMM2() const;
};

/// Default post-processing unit of a target that describes none: one lane
/// per array column with adds, multiplies and compares at the array's width.
PostProcessing getDefaultPostProcessing(const PEArray &array);

/// Reads a target from YAML text; `fileName` appears in errors.
llvm::Expected<Target> parseTarget(llvm::StringRef yaml,
                                   llvm::StringRef fileName);
/// Writes `target` as YAML (every default made explicit).
std::string printTarget(const Target &target);
/// Loads a preset by name (targets/NAME.yaml in the source tree or in
/// $TANDEM_TARGETS_DIR) or a YAML file by path.
llvm::Expected<Target> loadTarget(llvm::StringRef nameOrPath);
/// Names of the shipped presets.
llvm::SmallVector<std::string> listPresets();

/// The tensor a dataflow style keeps in the PEs: weights (ws, rs), outputs
/// (os) or inputs (is).
TensorKind getStationaryTensor(Dataflow dataflow);

llvm::StringRef stringifyMacKind(MacKind kind);
llvm::StringRef stringifyDataflow(Dataflow dataflow);
llvm::StringRef stringifyTensorKind(TensorKind kind);
llvm::StringRef stringifyVectorOp(VectorOp op);

} // namespace tandem::hw

#endif // TANDEM_HARDWARE_TARGET_H
