//===- Passes.h - Analysis passes -------------------------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_ANALYSIS_PASSES_H
#define TANDEM_ANALYSIS_PASSES_H

#include "mlir/Pass/Pass.h"

namespace tandem {

/// What --accel-cost-report writes.
enum class ReportFormat { Text, JSON };

#define GEN_PASS_DECL
#include "tandem/Analysis/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tandem/Analysis/Passes.h.inc"

} // namespace tandem

#endif // TANDEM_ANALYSIS_PASSES_H
