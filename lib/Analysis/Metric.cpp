//===- Metric.cpp - Names and units of the metrics ------------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Analysis/Metric.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/ErrorHandling.h"

using namespace llvm;
using namespace tandem;

StringRef tandem::stringifyMetric(Metric metric) {
  switch (metric) {
  case Metric::Latency:
    return "latency";
  case Metric::Energy:
    return "energy";
  case Metric::EDP:
    return "edp";
  case Metric::Area:
    return "area";
  case Metric::Power:
    return "power";
  case Metric::AccuracyLoss:
    return "accuracy_loss";
  }
  llvm_unreachable("unknown metric");
}

std::optional<Metric> tandem::parseMetric(StringRef name) {
  return StringSwitch<std::optional<Metric>>(name)
      .Case("latency", Metric::Latency)
      .Case("energy", Metric::Energy)
      .Case("edp", Metric::EDP)
      .Case("area", Metric::Area)
      .Case("power", Metric::Power)
      .Case("accuracy_loss", Metric::AccuracyLoss)
      .Default(std::nullopt);
}

StringRef tandem::getMetricKey(Metric metric) {
  switch (metric) {
  case Metric::Latency:
    return "latency_ms";
  case Metric::Energy:
    return "energy_pj";
  case Metric::EDP:
    return "edp_pj_ms";
  case Metric::Area:
    return "area_mm2";
  case Metric::Power:
    return "power_mw";
  case Metric::AccuracyLoss:
    return "accuracy_loss_pct";
  }
  llvm_unreachable("unknown metric");
}

StringRef tandem::getMetricTextUnit(Metric metric) {
  switch (metric) {
  case Metric::Latency:
    return "ms";
  case Metric::Energy:
    return "uJ";
  case Metric::EDP:
    return "uJ*ms";
  case Metric::Area:
    return "mm^2";
  case Metric::Power:
    return "mW";
  case Metric::AccuracyLoss:
    return "%";
  }
  llvm_unreachable("unknown metric");
}

double tandem::getMetricTextScale(Metric metric) {
  return metric == Metric::Energy || metric == Metric::EDP ? 1e-6 : 1.0;
}
