//===- CostReport.h - The cost report as JSON -------------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The tandem-cost-report/3 document (docs/cost-model.md) that
// --accel-cost-report="format=json" prints, as a value: the pass and the
// Python module build it with the same code, so their numbers agree.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_ANALYSIS_COSTREPORT_H
#define TANDEM_ANALYSIS_COSTREPORT_H

#include "tandem/Analysis/WorkloadModel.h"

#include "llvm/Support/JSON.h"

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace tandem {

/// The report's `options` (and whether rows carry SCALE-Sim's counts).
struct CostReportOptions {
  int64_t floatBits = 0;
  bool fuse = true;
  bool scalesimCounts = false;
};

/// What the report reports: `model` on `target`, each array problem with
/// its op's `accel.mapping` where it has one, else the default mapping.
workload::WorkloadCost costForReport(const workload::WorkloadModel &model,
                                     const hw::Target &target,
                                     const workload::CostOptions &options);

/// The report of `result`, the cost of `model` on `target`.
llvm::json::Value getCostReportJSON(mlir::MLIRContext *context,
                                    const workload::WorkloadModel &model,
                                    const hw::Target &target,
                                    const workload::WorkloadCost &result,
                                    const CostReportOptions &options);

} // namespace tandem

#endif // TANDEM_ANALYSIS_COSTREPORT_H
