//===- CostTable.h - Per-layer latency and energy at every width -*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// HAQ's "hardware simulator" is a lookup table [layers, 8, 8] of each
// layer's latency at w x a bits. Tandem builds it for any model and target:
// the calibrated model is quantized uniformly at every (w, a) pair the
// target supports, costed through the workload model with every array
// problem mapped by the mapper at those widths (the best mapping depends on
// them), and each compute layer's row (its contraction and fused output
// stage) becomes one entry. Rows outside the searched layers (pooling on
// the vector unit, host ops) are the table's constant remainder, taken at
// W8A8.
//
// The table is an estimate of a mixed policy's cost: in a mixed model a
// layer's output is requantized to its reader's width, not its own. A
// search's chosen policy is always costed again on its own quantized IR.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_COSTTABLE_H
#define TANDEM_QUANTIZATION_COSTTABLE_H

#include "tandem/Analysis/CostModel.h"
#include "tandem/Analysis/WorkloadModel.h"
#include "tandem/Hardware/Target.h"
#include "tandem/Mapping/MappingCache.h"
#include "tandem/Quantization/Policy.h"
#include "tandem/Quantization/Quantize.h"

#include "mlir/IR/BuiltinOps.h"

#include <array>
#include <cmath>

namespace tandem::quant {

/// Widest width a table holds (HAQ's layout: [layer, w - 1, a - 1]).
constexpr int64_t kMaxTableBits = 8;

/// What HAQ's agent sees of a layer, and what size and bit-operation
/// budgets count.
struct LayerInfo {
  std::string name;
  /// "conv2d" or "matmul".
  std::string kind;
  bool depthwise = false;
  int64_t inChannels = 0, outChannels = 0;
  /// Matrix products: stride 0 and kernel 1 (HAQ's convention).
  int64_t stride = 0, kernel = 1;
  /// Weight elements (0 when both operands are activations).
  int64_t params = 0;
  /// Input feature-map size: H x W of a convolution, M of a matrix product.
  int64_t inputSize = 0;
  int64_t macs = 0;
};

/// The compute layers of a module in program order (one per distinct layer
/// name, as policies name them).
std::vector<LayerInfo> getLayerInfos(mlir::ModuleOp module);

struct CostEntry {
  double cycles = NAN, energyPJ = NAN;
  /// The array's multiplies, shifts and adds alone (part of energyPJ).
  double arithmeticPJ = 0;
  bool isValid() const { return !std::isnan(cycles); }
};
using BitsGrid =
    std::array<std::array<CostEntry, kMaxTableBits>, kMaxTableBits>;

struct CostTable {
  std::string target;
  double clockMHz = 0;
  std::vector<LayerInfo> layers;
  /// The widths the target supports for both operands, ascending.
  std::vector<int64_t> bits;
  /// Per layer, [w - 1][a - 1]; invalid where the target lacks the pair.
  std::vector<BitsGrid> entries;
  /// Shift-add encodings offered beside the multiply widths (each at its
  /// own code width), and per layer, per encoding, the cost at [a - 1] with
  /// the layer's weights so encoded (their terms measured on them).
  std::vector<WeightEncoding> encodings;
  std::vector<std::vector<std::array<CostEntry, kMaxTableBits>>> encoded;
  /// The whole model quantized uniformly at each pair (measured).
  BitsGrid uniform;
  /// What the rows of no searched layer cost at W8A8.
  CostEntry rest;
  /// Building it: mapper searches run and seconds.
  unsigned mapperSearches = 0;
  double seconds = 0;

  const CostEntry &at(unsigned layer, LayerBits b) const {
    if (b.encoding == EncodingKind::Multiply)
      return entries[layer][b.weightBits - 1][b.activationBits - 1];
    std::optional<unsigned> e = findEncoding(b);
    static const CostEntry invalid;
    return e ? encoded[layer][*e][b.activationBits - 1] : invalid;
  }
  /// The index in `encodings` of b's weight encoding.
  std::optional<unsigned> findEncoding(LayerBits b) const {
    for (unsigned i = 0; i < encodings.size(); ++i)
      if (encodings[i] == b.getWeightEncoding())
        return i;
    return std::nullopt;
  }
  bool supports(LayerBits b) const;
  double toMs(double cycles) const { return cycles / (clockMHz * 1e3); }
};

/// The mapping of every array problem on one target, each searched once
/// (thread-safe; mapping::MappingCache bound to the target).
class MappingCache {
public:
  MappingCache(const hw::Target &target, const mapping::SearchOptions &options)
      : target(target), cache(options) {}
  llvm::Expected<cost::Mapping> get(const cost::Problem &problem);
  const hw::Target &getTarget() const { return target; }
  unsigned getNumSearches() const { return cache.getNumSearches(); }

private:
  hw::Target target;
  mapping::MappingCache cache;
};

/// A module's total cost on a target, every array problem mapped by
/// `cache`; per searched layer (index into `layers`), its rows' costs.
struct ModelCost {
  CostEntry total;
  std::vector<CostEntry> perLayer;
  CostEntry rest;
  /// Rows of the rest on the host; per searched layer, why its rows run
  /// there (empty: they do not).
  unsigned restHostRows = 0;
  std::vector<std::string> hostReasons;
};
llvm::Expected<ModelCost> costModule(mlir::ModuleOp quantized,
                                     llvm::ArrayRef<LayerInfo> layers,
                                     MappingCache &cache);
/// The same for a workload model built once and costed on many targets
/// (its mapping attributes ignored: `provider` maps every problem).
llvm::Expected<ModelCost> costWorkload(const workload::WorkloadModel &model,
                                       llvm::ArrayRef<LayerInfo> layers,
                                       const hw::Target &target,
                                       workload::MappingProvider provider,
                                       workload::CostOptions options);

/// Quantizes a clone of `calibrated` by `policy` (weights through
/// `weights`, if given) and costs it.
llvm::Expected<ModelCost> costPolicy(mlir::ModuleOp calibrated,
                                     const Policy &policy,
                                     llvm::ArrayRef<LayerInfo> layers,
                                     MappingCache &cache,
                                     WeightCache *weights = nullptr);

/// The table of `calibrated` (an fp32 module with calibration statistics)
/// on `target`, over the widths of `widths` (empty: 2..8) the target
/// supports. Mapper searches run on `threads` threads.
llvm::Expected<CostTable>
buildCostTable(mlir::ModuleOp calibrated, const hw::Target &target,
               MappingCache &cache, unsigned threads,
               llvm::ArrayRef<int64_t> widths = {},
               llvm::ArrayRef<WeightEncoding> encodings = {});

/// HAQ's layout: float64 [layers, 8, 8], [layer, w - 1, a - 1]; latency in
/// ms or energy in uJ; 0 where the target lacks the pair.
std::string printCostTableNpy(const CostTable &table, bool energy);
/// One row per (layer, w, a): layer,name,w,a,cycles,latency_ms,energy_uj.
std::string printCostTableCSV(const CostTable &table);
/// The whole table as JSON (docs/mixed-precision.md).
std::string printCostTableJSON(const CostTable &table);

} // namespace tandem::quant

#endif // TANDEM_QUANTIZATION_COSTTABLE_H
