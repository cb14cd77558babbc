//===- Network.h - The model side of a joint design space -------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// In a joint space a point is a hardware design and a per-layer choice of
// widths and weight encoding (a policy). Scoring one must take
// milliseconds, so no model is run per point:
//   cost      exact: the model quantized by the policy (once per distinct
//             policy, kept in a bounded cache) is costed on the design by
//             the workload model with the mapper in the loop, as a
//             hardware-only space costs its models. Per-layer tables at
//             uniform widths were tried first and missed the CNN's energy
//             by up to 30%: in a mixed model a layer's output is stored at
//             its reader's width, and the pooling between runs at it;
//   accuracy  estimated from the layers' measured sensitivity (each layer
//             alone at each width or encoding, measured once on the
//             validation data): the reference's score minus every layer's
//             drop.
// The designs of the estimated front are then run on the validation data
// (Session::measureFront), and the front is recomputed on what was
// measured.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_CODESIGN_NETWORK_H
#define TANDEM_CODESIGN_NETWORK_H

#include "tandem/CoDesign/DesignSpace.h"
#include "tandem/Quantization/CostTable.h"
#include "tandem/Quantization/Sensitivity.h"

#include "mlir/IR/OwningOpRef.h"

#include <atomic>
#include <functional>
#include <memory>
#include <unordered_map>

namespace tandem::codesign {

struct NetworkOptions {
  /// Validation data (IDX, .npy directory or test_data_set_*) and labels
  /// (empty: agreement with fp32); calibration takes the first
  /// `calibrationSamples`, sensitivity and measurements the first
  /// `validationSamples` (0: all).
  std::string dataPath, labelsPath;
  int64_t calibrationSamples = 512, validationSamples = 1000;
  unsigned threads = 1;
  /// A sensitivity file to reuse when it matches and to (re)write.
  std::string sensitivityPath;
  /// Clipping, granularity and bias correction of every policy.
  quant::Policy base;
  /// At most this many designs of the estimated fronts are measured (0: no
  /// limit); with sequential GPTQ each takes seconds to round.
  uint64_t maxMeasuredDesigns = 0;
  const std::atomic<bool> *interrupted = nullptr;
  std::function<void(llvm::StringRef)> log;
};

/// What a point's network choices cost on one hardware design.
struct NetworkCost {
  double cycles = 0, energyPJ = 0;
  /// Why the design cannot run the choices, or empty.
  std::string invalid;
  unsigned hostOps = 0;
};

class Network {
public:
  /// Calibrates `module` (an fp32 model) unless it carries statistics,
  /// binds `space`'s network groups to its layers and measures (or reuses)
  /// the sensitivity.
  static llvm::Expected<std::unique_ptr<Network>>
  create(mlir::ModuleOp module, DesignSpace &space,
         const NetworkOptions &options, llvm::StringRef modelName);
  ~Network();

  /// Quantizes the policies not quantized yet (one thread: it creates IR),
  /// keeping at most a bounded number besides these.
  void prepare(llvm::ArrayRef<std::vector<quant::LayerBits>> policies);
  /// The cost of `bits` (prepared) on `target`, its mappings from
  /// `provider`. Thread-safe between prepare() calls.
  NetworkCost getCost(llvm::ArrayRef<quant::LayerBits> bits,
                      const hw::Target &target,
                      const workload::CostOptions &options,
                      workload::MappingProvider provider) const;
  /// The nested search's proposals for one hardware design: per limit in
  /// `fractions` (of the W8A8 model's latency, or energy with `energy`),
  /// the policy the integer program of docs/mixed-precision.md finds
  /// (HAWQ-V3's: least summed sensitivity within the limit), its per-layer
  /// costs from the model quantized uniformly at each choice and costed on
  /// `target`. Distinct policies, most accurate first; none when the
  /// design cannot run W8A8. One thread (it creates IR; GLPK is not
  /// thread-safe).
  std::vector<std::vector<quant::LayerBits>>
  proposePolicies(const hw::Target &target,
                  const workload::CostOptions &options,
                  workload::MappingProvider provider,
                  llvm::ArrayRef<double> fractions, bool energy);
  /// What layer `layer` at `bits` alone loses against the all-16-bit
  /// reference, and what the reference loses against fp32 (points).
  double getLayerDrop(unsigned layer, const quant::LayerBits &bits) const;
  double getAccuracyBase() const;
  /// Estimated accuracy loss against fp32, in percentage points.
  double estimateAccuracyLoss(llvm::ArrayRef<quant::LayerBits> bits) const;
  /// Measures `bits` on the validation data (not thread-safe), rounded by
  /// sequential GPTQ when the base policy says so (the search's estimates
  /// then come from GPTQ-rounded sensitivity).
  llvm::Expected<quant::Quality> measure(llvm::ArrayRef<quant::LayerBits> bits);
  /// A measured quality's loss against fp32, in percentage points.
  double getAccuracyLoss(const quant::Quality &quality) const;
  /// Bytes of the compute layers' weights at their widths.
  double getSizeBytes(llvm::ArrayRef<quant::LayerBits> bits) const;
  /// The policy `bits` stand for, as measure() applies it.
  quant::Policy toPolicy(llvm::ArrayRef<quant::LayerBits> bits) const;
  /// A clone of the model quantized by `bits` for costing (GPTQ where the
  /// base policy says sequential GPTQ: the widths are the same).
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  quantize(llvm::ArrayRef<quant::LayerBits> bits);
  /// A clone of the model quantized by `bits` as measure() measures it.
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  quantizeAsMeasured(llvm::ArrayRef<quant::LayerBits> bits);

  const quant::Quality &getFP32() const { return fp32; }
  const quant::Sensitivity &getSensitivity() const { return sensitivity; }
  int64_t getValidationSamples() const;
  /// Distinct policies quantized so far.
  uint64_t getNumQuantized() const { return quantizedCount; }
  /// Identifies the model, data and options (for checkpoints).
  llvm::StringRef getKey() const { return key; }

private:
  Network() = default;
  struct Impl;
  /// A policy's quantized model, or why it cannot be quantized.
  struct Quantized {
    mlir::OwningOpRef<mlir::ModuleOp> module;
    std::unique_ptr<workload::WorkloadModel> model;
    std::string error;
    uint64_t lastUse = 0;
  };
  static std::string getPolicyKey(llvm::ArrayRef<quant::LayerBits> bits);
  /// The model with every layer at one choice (the nested search's tables).
  struct Variant {
    quant::LayerBits bits;
    mlir::OwningOpRef<mlir::ModuleOp> module;
    std::unique_ptr<workload::WorkloadModel> model;
  };
  llvm::Error createVariants();

  mlir::ModuleOp module;
  const DesignSpace *space = nullptr;
  std::vector<quant::LayerInfo> layers;
  /// Every policy's options; GPTQ rounding where sequential GPTQ is asked
  /// for (`sequential`), which only the measurements use.
  quant::Policy base;
  bool sequential = false;
  quant::Sensitivity sensitivity;
  quant::Quality fp32;
  std::string key;
  std::unique_ptr<Impl> impl;
  std::unordered_map<std::string, std::unique_ptr<Quantized>> quantized;
  std::vector<Variant> variants;
  uint64_t quantizedCount = 0, clock = 0;
};

} // namespace tandem::codesign

#endif // TANDEM_CODESIGN_NETWORK_H
