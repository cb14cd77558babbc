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
//===----------------------------------------------------------------------===//

#ifndef TANDEM_CODESIGN_DESIGNSPACE_H
#define TANDEM_CODESIGN_DESIGNSPACE_H

#include "tandem/Analysis/Metric.h"
#include "tandem/Hardware/Target.h"

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
  };
  Kind kind;
  /// Memory level the parameter sets (Capacity, *Bandwidth).
  unsigned level = 0;
  /// As in reports: "rows", "GLB.capacity_bytes", ...
  std::string name;
  /// Numeric values (all kinds but Dataflow, Mac, SupportedBits).
  std::vector<double> numbers;
  std::vector<hw::Dataflow> dataflows;
  std::vector<hw::MacKind> macs;
  std::vector<std::vector<int64_t>> bitLists;

  size_t size() const;
  /// Value `i` as JSON (number, string, or list of numbers).
  llvm::json::Value getValue(size_t i) const;
  /// Value `i` as text for CSV and tables ("16", "rs", "4 8").
  std::string getLabel(size_t i) const;
};

using Point = llvm::SmallVector<unsigned, 12>;

struct DesignSpace {
  /// The file it came from, and the base target's name or path as written.
  std::string file, baseName;
  hw::Target base;
  std::vector<Parameter> parameters;
  /// Budgets; unset means none.
  std::optional<double> maxAreaMM2, maxPowerMW, maxLatencyMs;
  std::vector<Metric> objectives;
  /// The metric that picks the one design exported with its target YAML and
  /// mapped IR among the Pareto-optimal ones.
  Metric prefer = Metric::EDP;
  /// Levels whose capacity varies and whose explicit per-access energy or
  /// area in the base target was therefore dropped (defaults follow the
  /// capacity).
  std::vector<std::string> rescaledLevels;

  /// Number of points (saturates at 2^64 - 1).
  uint64_t size() const;
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
