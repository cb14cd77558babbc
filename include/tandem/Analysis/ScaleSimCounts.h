//===- ScaleSimCounts.h - SCALE-Sim's access counts of a layer --*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// SCALE-Sim v2 counts the words that cross the array's edges: operand SRAM
// reads and output SRAM writes per fold (partial sums of ws and is folds
// included), and DRAM traffic of a double-buffered SRAM large enough to
// fetch each operand once. Tandem's per-level counts (Timeloop's
// definitions) count other things; these are SCALE-Sim's, for comparing
// like with like (--accel-cost-report scalesim-counts=true;
// docs/fidelity.md has the formulas and their check against SCALE-Sim).
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_ANALYSIS_SCALESIMCOUNTS_H
#define TANDEM_ANALYSIS_SCALESIMCOUNTS_H

#include "tandem/Analysis/CostModel.h"

namespace tandem::cost {

struct ScaleSimCounts {
  /// The operand matrices: rows (Sr) and columns (Sc) laid on the array,
  /// the streamed dimension (T), the independent runs (groups, heads) and
  /// the folds of one run.
  int64_t sr = 1, sc = 1, t = 1, runs = 1, rowFolds = 1, colFolds = 1;
  double sramIfmapReads = 0, sramFilterReads = 0, sramOfmapWrites = 0;
  double dramIfmapReads = 0, dramFilterReads = 0, dramOfmapWrites = 0;
};

/// SCALE-Sim's counts for `problem` (flattened or not) on a systolic
/// `target`, whose dataflow (ws, os or is; rs counts as ws) lays it out.
ScaleSimCounts getScaleSimCounts(const Problem &problem,
                                 const hw::Target &target);

} // namespace tandem::cost

#endif // TANDEM_ANALYSIS_SCALESIMCOUNTS_H
