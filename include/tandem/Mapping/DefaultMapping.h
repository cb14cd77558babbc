//===- DefaultMapping.h - A target's mapping without a search ---*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The mapping heuristics every search starts from: which loops a dataflow
// style spreads over the array, the default mapping for it, and the greedy
// growth of temporal tiles until the buffers are full.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_MAPPING_DEFAULTMAPPING_H
#define TANDEM_MAPPING_DEFAULTMAPPING_H

#include "tandem/Analysis/CostModel.h"

namespace tandem::mapping {

using cost::kMaxDims;
using cost::Mapping;
using cost::Problem;

/// What a target's dataflow style means for one problem: the loops it
/// spreads over the array's rows (Y) and columns (X), in order of
/// preference, and the tensor that stays in the PEs.
struct DataflowStyle {
  llvm::SmallVector<unsigned, kMaxDims> x, y;
  hw::TensorKind stationary = hw::Weight;
};
DataflowStyle getDataflowStyle(const Problem &problem,
                               const hw::Target &target);

/// The target's default mapping for its dataflow style: spatial dims by the
/// style (ws: reduction dims on Y and output channels on X; os: output
/// pixels on Y and output channels on X; is: reduction dims on Y and output
/// pixels on X; rs: filter rows then channels on Y, output rows then output
/// channels on X), then temporal tiles grown greedily from the innermost
/// level outward while they fit, with the stationary tensor's reuse loops
/// innermost.
Mapping defaultMapping(const Problem &problem, const hw::Target &target);

/// The divisors of `n` (> 0) in ascending order.
void getDivisors(int64_t n, llvm::SmallVectorImpl<int64_t> &divisors);

/// Grows temporal tiles from level `innermost` (by default the innermost
/// level; 0 grows none) out to level 1: at each level, its loops from the
/// innermost out, each by the largest divisor of what DRAM still holds of it
/// that keeps `mapping` valid. Expects the spatial factors and loop orders
/// set and the factors of the levels grown at 1.
void growTemporalTiles(const Problem &problem, const hw::Target &target,
                       Mapping &mapping, unsigned innermost = ~0u);

} // namespace tandem::mapping

#endif // TANDEM_MAPPING_DEFAULTMAPPING_H
