//===- Metric.h - What designs, mappings and policies are scored by -*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// One enum for every figure of merit: the mapper minimizes one per layer,
// the co-design driver several per design. Units are fixed: machine-read
// outputs (JSON, CSV) carry picojoules and milliseconds and say so in their
// keys; text for people carries microjoules.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_ANALYSIS_METRIC_H
#define TANDEM_ANALYSIS_METRIC_H

#include "llvm/ADT/StringRef.h"

#include <optional>

namespace tandem {

/// All minimized.
enum class Metric {
  /// Milliseconds (a layer: cycles).
  Latency,
  /// Picojoules.
  Energy,
  /// Energy x latency: pJ*ms (a layer: pJ*cycles).
  EDP,
  /// Square millimetres.
  Area,
  /// Average power, milliwatts.
  Power,
  /// Accuracy lost against the fp32 model, in percentage points of top-1
  /// (of agreement with fp32 without labels): a design whose network
  /// choices change the model (docs/codesign.md).
  AccuracyLoss,
};
constexpr unsigned kNumMetrics = 6;
/// The metrics of every design's hardware, in the order reports list them.
constexpr unsigned kNumHardwareMetrics = 5;
constexpr Metric kHardwareMetrics[kNumHardwareMetrics] = {
    Metric::Latency, Metric::Energy, Metric::Area, Metric::EDP, Metric::Power};

/// "latency", "energy", "edp", "area", "power", "accuracy_loss".
llvm::StringRef stringifyMetric(Metric metric);
std::optional<Metric> parseMetric(llvm::StringRef name);
/// The key of the metric in JSON and CSV, with its unit:
/// "latency_ms", "energy_pj", "edp_pj_ms", "area_mm2", "power_mw",
/// "accuracy_loss_pct".
llvm::StringRef getMetricKey(Metric metric);
/// The unit people read ("ms", "uJ", "uJ*ms", "mm^2", "mW", "%") and the factor
/// from the stored value to it.
llvm::StringRef getMetricTextUnit(Metric metric);
double getMetricTextScale(Metric metric);

} // namespace tandem

#endif // TANDEM_ANALYSIS_METRIC_H
