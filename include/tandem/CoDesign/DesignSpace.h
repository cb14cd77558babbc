//===- DesignSpace.h - Design spaces over a base target ---------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// A design space is a base target plus a list of parameters, each with a
// finite list of values (PE rows and columns, buffer capacities, bandwidths,
// dataflow, MAC kind and widths, clock), constraints (area, power, latency
// budgets) and the objectives to minimize. A point is one value index per
// parameter; points are numbered in mixed radix, the first parameter
// varying slowest. The YAML format is in docs/codesign.md.
//
// A joint space also has a `network` section: groups of layers (by kind or
// name pattern) and the weight widths, activation widths and weight
// encodings each layer of a group may take. Once the model is known
// (bindNetwork), every layer with more than one choice becomes a parameter
// of its own after the hardware ones (a shared group's layers one
// together), so a point is a hardware design and a quantization policy at
// once.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_CODESIGN_DESIGNSPACE_H
#define TANDEM_CODESIGN_DESIGNSPACE_H

#include "tandem/Analysis/Metric.h"
#include "tandem/Hardware/Target.h"
#include "tandem/Quantization/Policy.h"

#include "llvm/Support/JSON.h"

namespace tandem::codesign {

/// One hardware knob and the values it takes.
struct Parameter {
  enum class Kind {
    Rows,
    Cols,
    Bits,
    SupportedBits,
    Lanes,
    PostProcessingLanes,
    Clock,
    Dataflow,
    Mac,
    Capacity,
    ReadBandwidth,
    WriteBandwidth,
    /// A network layer's widths and encoding (bound from `network`).
    Layer,
  };
  Kind kind;
  /// Memory level the parameter sets (Capacity, *Bandwidth); the (first)
  /// layer's index in DesignSpace::layers (Layer).
  unsigned level = 0;
  /// As in reports: "rows", "GLB.capacity_bytes", ...
  std::string name;
  /// Numeric values (all kinds but Dataflow, Mac, SupportedBits).
  std::vector<double> numbers;
  std::vector<hw::Dataflow> dataflows;
  std::vector<hw::MacKind> macs;
  std::vector<std::vector<int64_t>> bitLists;
  std::vector<quant::LayerBits> choices;

  size_t size() const;
  /// Value `i` as JSON (number, string, or list of numbers).
  llvm::json::Value getValue(size_t i) const;
  /// Value `i` as text for CSV and tables ("16", "rs", "4 8").
  std::string getLabel(size_t i) const;
};

using Point = llvm::SmallVector<unsigned, 12>;

/// "W4/A8", "PoT-5/A8", "CSD8-2/A4": a layer choice as reports write it.
std::string getChoiceLabel(const quant::LayerBits &bits);

/// One group of the `network` section.
struct NetworkGroup {
  /// Selectors: all, first, last, conv, matmul, depthwise, pointwise,
  /// attention, or a glob on layer names ("/layer1/*").
  std::vector<std::string> selectors;
  /// What each selected layer may take; a later group overrides an
  /// earlier one for the layers both select.
  std::vector<quant::LayerBits> choices;
  /// The layers this group decides take one choice together (one
  /// parameter, `network.SELECTORS`), not one each: a deep model's space
  /// stays within 64-bit ids with choices as wide as a small one's.
  bool shared = false;
  /// A shared group's parameter name after `network.` (default: the
  /// selectors, comma-separated).
  std::string name;
  /// "network.groups[2]" and its line, for errors.
  std::string where;
};

/// A compute layer of a joint space's model.
struct NetworkLayer {
  std::string name;
  /// "conv2d" or "matmul"; a depthwise or 1x1 convolution.
  std::string kind;
  bool depthwise = false, pointwise = false;
  /// Weight elements (0: both operands are activations, as in attention).
  int64_t params = 0;
  /// The layer's Parameter in DesignSpace::parameters (layers of a shared
  /// group have the same), or -1 when it has a single choice, `fixed`.
  int parameter = -1;
  quant::LayerBits fixed;
};
struct DesignSpace {
  /// The file it came from, and the base target's name or path as written.
  std::string file, baseName;
  /// The YAML it was parsed from (a copy travels to Dask workers).
  std::string text;
  hw::Target base;
  std::vector<Parameter> parameters;
  /// Budgets; unset means none. Accuracy loss in percentage points and
  /// model size (the compute layers' weights at their widths) in bytes
  /// need a network section.
  std::optional<double> maxAreaMM2, maxPowerMW, maxLatencyMs;
  std::optional<double> maxAccuracyLoss, maxModelSizeBytes;
  /// The network section; layers are filled by bindNetwork.
  std::vector<NetworkGroup> networkGroups;
  std::vector<NetworkLayer> layers;
  /// Parameters before this index are hardware ones.
  unsigned numHardwareParameters = 0;
  std::vector<Metric> objectives;
  /// The metric that picks the one design exported with its target YAML and
  /// mapped IR among the Pareto-optimal ones.
  Metric prefer = Metric::EDP;
  /// Levels whose capacity varies and whose explicit per-access energy or
  /// area in the base target was therefore dropped (defaults follow the
  /// capacity).
  std::vector<std::string> rescaledLevels;

  bool hasNetwork() const { return !networkGroups.empty(); }
  /// Number of points (saturates at 2^64 - 1).
  uint64_t size() const;
  /// Hardware designs: the product of the hardware parameters' sizes.
  uint64_t getHardwareSize() const;
  /// The point of hardware design `hardwareId` (its number among the
  /// hardware parameters alone) with the layers at `bits`; nullopt when a
  /// choice is not one of its layer's, or layers that share a choice
  /// differ.
  std::optional<uint64_t>
  getPointId(uint64_t hardwareId, llvm::ArrayRef<quant::LayerBits> bits) const;
  /// Every choice some layer may take, W8A8 first, each once.
  std::vector<quant::LayerBits> getDistinctChoices() const;
  /// The point's choice for every layer of `layers`.
  std::vector<quant::LayerBits> getLayerBits(const Point &point) const;
  /// Resolves the network groups against the model's compute layers
  /// (names and weight sizes, in program order) and adds a Layer parameter
  /// per layer with more than one choice (per shared group). Errors name
  /// the group that selects no layer.
  llvm::Error bindNetwork(llvm::ArrayRef<NetworkLayer> modelLayers,
                          llvm::StringRef modelName);
  Point getPoint(uint64_t id) const;
  uint64_t getId(const Point &point) const;
  /// The base target with the point's values applied, named `name`; an
  /// error (naming the parameter) if the combination is not a valid target.
  llvm::Expected<hw::Target> instantiate(const Point &point,
                                         llvm::StringRef name) const;
};

/// Parses a space; errors name the file, line and field.
llvm::Expected<DesignSpace> parseDesignSpace(llvm::StringRef yaml,
                                             llvm::StringRef fileName);
llvm::Expected<DesignSpace> loadDesignSpace(llvm::StringRef path);

} // namespace tandem::codesign

#endif // TANDEM_CODESIGN_DESIGNSPACE_H
