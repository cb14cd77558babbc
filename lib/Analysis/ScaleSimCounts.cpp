//===- ScaleSimCounts.cpp - SCALE-Sim's access counts of a layer ----------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The formulas follow SCALE-Sim v2's operand matrices fold by fold (its
// systolic_compute_{os,ws,is}.py and double-buffered SRAM); each was checked
// against SCALE-Sim's own runs (bench/scalesim/compare.py --counts).
//
//===----------------------------------------------------------------------===//

#include "tandem/Analysis/ScaleSimCounts.h"

using namespace llvm;
using namespace tandem;
using namespace tandem::cost;

/// The elements of `t` the loops touch, exactly: per coordinate, the
/// distinct values of its index (a strided window skips rows: p * 2 + r
/// for a 1x1 filter touches every other row), at most its size.
static double getTouchedElements(const Problem &p, const Problem::Tensor &t) {
  double n = 1;
  for (unsigned c = 0; c < t.rank; ++c) {
    SmallVector<std::pair<int64_t, int64_t>, 4> terms; // coefficient, extent
    int64_t span = 1;
    for (unsigned d = 0; d < p.numDims; ++d)
      if (t.coeff[c][d] != 0 && p.extents[d] > 1) {
        terms.push_back({std::abs(t.coeff[c][d]), p.extents[d]});
        span += std::abs(t.coeff[c][d]) * (p.extents[d] - 1);
      }
    double values = double(span);
    if (terms.size() == 1)
      values = double(terms[0].second);
    else if (terms.size() == 2)
      values = getDistinctSums(terms[0].first, terms[0].second, terms[1].first,
                               terms[1].second);
    n *= std::min(values, double(t.size[c]));
  }
  return n;
}

ScaleSimCounts cost::getScaleSimCounts(const Problem &problem,
                                       const hw::Target &target) {
  Problem source = cantFail(flattenLoops(problem, {}));
  hw::Dataflow dataflow = target.array.dataflow;
  OperandMatrixLayout layout = getOperandMatrixLayout(source, dataflow);
  ScaleSimCounts counts;
  for (unsigned d : layout.rows)
    counts.sr *= source.extents[d];
  for (unsigned d : layout.cols)
    counts.sc *= source.extents[d];
  // Loops indexing every data space are runs of their own (a depthwise
  // conv's channels); the rest is streamed.
  uint32_t shared = (1u << source.numDims) - 1;
  for (const Problem::Tensor &t : source.tensors)
    if (t.present)
      shared &= t.relevant;
  int64_t all = 1;
  for (unsigned d = 0; d < source.numDims; ++d) {
    all *= source.extents[d];
    if (shared & (1u << d))
      counts.runs *= source.extents[d];
  }
  counts.t = all / (counts.sr * counts.sc * counts.runs);
  const int64_t rows = target.array.rows, cols = target.array.cols;
  counts.rowFolds = (counts.sr + rows - 1) / rows;
  counts.colFolds = (counts.sc + cols - 1) / cols;
  const double sr = double(counts.sr), sc = double(counts.sc),
               t = double(counts.t), runs = double(counts.runs),
               rowFolds = double(counts.rowFolds),
               colFolds = double(counts.colFolds);
  // Per fold, SCALE-Sim streams T columns of one operand against the
  // stationary one: each streamed element is read once per fold of the
  // other dimension; outputs of ws and is folds leave the array as partial
  // sums, every fold; os writes each output once, plus rows + cols
  // (drain-skew) words per fold.
  switch (dataflow) {
  case hw::Dataflow::OutputStationary:
    counts.sramIfmapReads = colFolds * sr * t;
    counts.sramFilterReads = rowFolds * t * sc;
    counts.sramOfmapWrites =
        sr * sc + rowFolds * colFolds * double(rows + cols);
    break;
  case hw::Dataflow::WeightStationary:
  case hw::Dataflow::RowStationary:
    counts.sramIfmapReads = colFolds * t * sr;
    counts.sramFilterReads = sr * sc;
    counts.sramOfmapWrites = rowFolds * t * sc;
    break;
  case hw::Dataflow::InputStationary:
    counts.sramIfmapReads = sr * sc;
    counts.sramFilterReads = colFolds * sr * t;
    counts.sramOfmapWrites = rowFolds * sc * t;
    break;
  }
  counts.sramIfmapReads *= runs;
  counts.sramFilterReads *= runs;
  counts.sramOfmapWrites *= runs;
  // DRAM: each operand element the layer touches fetched once (a strided
  // window's skipped rows are not); os writes each output once; ws and is
  // write back every partial sum the array drains.
  counts.dramIfmapReads = getTouchedElements(source, source.tensors[hw::Input]);
  counts.dramFilterReads =
      source.tensors[hw::Weight].present
          ? double(source.footprint(hw::Weight, source.extents.data()))
          : 0;
  counts.dramOfmapWrites =
      dataflow == hw::Dataflow::OutputStationary
          ? double(source.footprint(hw::Output, source.extents.data()))
          : counts.sramOfmapWrites;
  return counts;
}
