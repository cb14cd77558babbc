//===- LoopFlattening.cpp - Several loops tiled as one index --------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// SCALE-Sim lays a convolution out as operand matrices: the window R*S*C is
// one matrix dimension, the output pixels N*P*Q another. An array folds such
// a dimension in runs of consecutive indices (147 window elements on 16 rows
// are 10 folds), which per-loop tiling cannot say (it pads each loop: 12).
// A flattened loop stands for its members' combined index; the mapping
// tiles it like any loop and the footprints expand it back.
//
//===----------------------------------------------------------------------===//

#include "tandem/Analysis/CostModel.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace llvm;
using namespace tandem;
using namespace tandem::cost;

ArrayRef<uint8_t> Problem::getMembers(unsigned d) const {
  if (!flattening)
    return {};
  return ArrayRef<uint8_t>(flattening->members[d].data(),
                           flattening->numMembers[d]);
}

int64_t Problem::getFlattenedFootprint(hw::TensorKind t,
                                       const int64_t *tile) const {
  const Flattening &f = *flattening;
  // Plain loops copy their tile; a group's run of `run` indices covers,
  // aligned, min(run, e) of its innermost member, the next member as many
  // times as the run wraps around that, and so on outward.
  std::array<int64_t, kMaxDims> source;
  source.fill(1);
  double scale = 1;
  // Loops that do not index the tensor leave its footprint alone; unit
  // loops' tiles may be unset.
  const uint32_t relevant = tensors[t].relevant;
  for (unsigned d = 0; d < numDims; ++d) {
    if (extents[d] == 1 || !(relevant & (1u << d)))
      continue;
    if (f.numMembers[d] == 1) {
      source[f.members[d][0]] = tile[d];
      continue;
    }
    // Common cases first: a run of one index, or the whole group.
    if (tile[d] == 1)
      continue;
    if (tile[d] >= extents[d]) {
      for (unsigned i = 0; i < f.numMembers[d]; ++i)
        source[f.members[d][i]] = f.sourceExtents[f.members[d][i]];
      continue;
    }
    int64_t rest = tile[d], box = 1;
    for (unsigned i = f.numMembers[d]; i-- > 0;) {
      unsigned m = f.members[d][i];
      source[m] = std::min(rest, f.sourceExtents[m]);
      box *= source[m];
      rest = (rest + f.sourceExtents[m] - 1) / f.sourceExtents[m];
    }
    scale *= double(std::min(tile[d], box)) / double(box);
  }
  int64_t box = tensors[t].footprint(source.data());
  if (scale == 1)
    return box;
  // Rounded to the nearest element (positive: no llround call needed).
  return std::max<int64_t>(1, int64_t(double(box) * scale + 0.5));
}

Expected<Problem>
cost::flattenLoops(const Problem &problem,
                   ArrayRef<SmallVector<unsigned, kMaxDims>> groups) {
  const unsigned numSource = problem.getNumSourceDims();
  // Which group each source loop joins, if any.
  SmallVector<int, kMaxDims> groupOf(numSource, -1);
  for (auto [g, members] : llvm::enumerate(groups))
    for (unsigned m : members) {
      if (m >= numSource)
        return createStringError(inconvertibleErrorCode(),
                                 "no loop %u to flatten", m);
      if (groupOf[m] >= 0)
        return createStringError(inconvertibleErrorCode(),
                                 "loop %s is flattened twice",
                                 problem.getSourceName(m).str().c_str());
      groupOf[m] = groups[g].size() > 1 ? int(g) : -1;
    }

  Problem p = problem;
  Problem::Flattening f;
  f.numSourceDims = numSource;
  for (unsigned d = 0; d < numSource; ++d) {
    f.sourceExtents[d] = problem.getSourceExtent(d);
    f.sourceNames.push_back(problem.getSourceName(d).str());
  }
  for (unsigned k = 0; k < kNumTensorKinds; ++k)
    f.sourceRelevant[k] = problem.flattening
                              ? problem.flattening->sourceRelevant[k]
                              : problem.tensors[k].relevant;
  p.numDims = 0;
  p.dimNames.clear();
  SmallVector<bool, kMaxDims> placed(groups.size(), false);
  for (unsigned s = 0; s < numSource; ++s) {
    const int g = groupOf[s];
    if (g >= 0 && placed[g])
      continue;
    const unsigned d = p.numDims++;
    ArrayRef<unsigned> members =
        g >= 0 ? ArrayRef<unsigned>(groups[g]) : ArrayRef<unsigned>(s);
    if (g >= 0) {
      placed[g] = true;
      f.groups[f.numGroups++] = d;
    }
    f.numMembers[d] = members.size();
    int64_t extent = 1;
    SmallVector<StringRef> names;
    for (auto [i, m] : llvm::enumerate(members)) {
      f.members[d][i] = m;
      extent *= f.sourceExtents[m];
      names.push_back(f.sourceNames[m]);
    }
    p.extents[d] = extent;
    p.dimNames.push_back(llvm::join(names, "*"));
  }
  for (unsigned d = p.numDims; d < kMaxDims; ++d)
    p.extents[d] = 0;
  for (unsigned k = 0; k < kNumTensorKinds; ++k) {
    uint32_t relevant = 0;
    for (unsigned d = 0; d < p.numDims; ++d)
      for (unsigned i = 0; i < f.numMembers[d]; ++i)
        if (f.sourceRelevant[k] & (1u << f.members[d][i]))
          relevant |= 1u << d;
    p.tensors[k].relevant = relevant;
  }
  if (f.numGroups)
    p.flattening = std::move(f);
  else
    p.flattening.reset();
  return p;
}

OperandMatrixLayout cost::getOperandMatrixLayout(const Problem &problem,
                                                 hw::Dataflow dataflow) {
  LoopClasses loops = classifyLoops(problem);
  // SCALE-Sim's window index is (r * S + s) * C + c: the window loops
  // outermost, then the channels; its pixel index is n, p, q in order.
  SmallVector<unsigned, kMaxDims> window, pixels, filters;
  auto keep = [&](ArrayRef<unsigned> from, SmallVectorImpl<unsigned> &to) {
    for (unsigned d : from)
      if (problem.extents[d] > 1)
        to.push_back(d);
  };
  keep(loops.windows, window);
  keep(loops.reduction, window);
  keep(loops.pixels, pixels);
  keep(loops.outChannels, filters);
  OperandMatrixLayout layout;
  switch (dataflow) {
  case hw::Dataflow::WeightStationary:
  case hw::Dataflow::RowStationary:
    layout.rows = window;
    layout.cols = filters;
    break;
  case hw::Dataflow::OutputStationary:
    layout.rows = pixels;
    layout.cols = filters;
    break;
  case hw::Dataflow::InputStationary:
    layout.rows = window;
    layout.cols = pixels;
    break;
  }
  return layout;
}

Problem cost::prepareProblem(const Problem &problem, const hw::Target &target) {
  if (!target.array.systolic)
    return problem;
  // Laid out from the op's own loops, whatever `problem` flattened.
  Problem source = cantFail(flattenLoops(problem, {}));
  OperandMatrixLayout layout =
      getOperandMatrixLayout(source, target.array.dataflow);
  SmallVector<SmallVector<unsigned, kMaxDims>, 2> groups = {layout.rows,
                                                            layout.cols};
  return cantFail(flattenLoops(source, groups));
}
