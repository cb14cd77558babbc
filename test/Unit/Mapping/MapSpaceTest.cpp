//===- MapSpaceTest.cpp - Splits, neighbors and searches on tiny spaces ---===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Mapping/DefaultMapping.h"
#include "tandem/Mapping/Mapper.h"

#include "gtest/gtest.h"

using namespace tandem;
using namespace tandem::mapping;

namespace {

/// One loop of extent `extent` indexing all three tensors (an elementwise
/// op), on a flexible 2x3 array under DRAM and an 8-byte per-PE level.
struct Tiny {
  Problem problem;
  hw::Target target;

  explicit Tiny(int64_t extent) {
    problem.numDims = 1;
    problem.extents[0] = extent;
    problem.dimNames.push_back("D0");
    problem.iterations = extent;
    problem.aluOpsPerIteration = 1;
    for (auto &t : problem.tensors) {
      t.present = true;
      t.rank = 1;
      t.size[0] = extent;
      t.setCoeff(0, 0, 1);
      t.bits = 8;
    }
    target.name = "tiny";
    target.array.rows = 2;
    target.array.cols = 3;
    target.array.flexibleDataflow = true;
    hw::MemoryLevel dram;
    dram.name = "DRAM";
    dram.readBandwidth = dram.writeBandwidth = 1000; // compute binds
    hw::MemoryLevel rf;
    rf.name = "RF";
    rf.readBandwidth = rf.writeBandwidth = 1000;
    rf.perPE = true;
    rf.capacityBytes = 6; // two elements of each tensor
    target.levels = {dram, rf};
  }
};

TEST(MapSpaceTest, SplitsCoverTheExtentWithPaddedSpatialTiles) {
  Tiny t(12);
  MapSpace space(t.problem, t.target);
  // X in 1..3 and Y in 1..2 spatial (any value: the last tile may be
  // padded), the rest split exactly between DRAM and an RF that holds at
  // most 2 per tensor. For 12: (x, y) -> rest 12, 6, 4, 6, 3, 2 and the RF
  // takes 1 or 2 of it when it divides: 2 + 2 + 2 + 2 + 1 + 2 = 11 splits.
  EXPECT_EQ(space.getChoices(0).size(), 11u);
  for (const SlotFactors &f : space.getChoices(0)) {
    EXPECT_GE(f[0] * f[1] * f[2] * f[3], 12);
    EXPECT_LE(f[1], 2); // RF capacity
    EXPECT_LE(f[2], 3); // columns
    EXPECT_LE(f[3], 2); // rows
  }
}

TEST(MapSpaceTest, NeighborsMoveOnePrimeOrStepASpatialFactor) {
  Tiny t(12);
  MapSpace space(t.problem, t.target);
  // Slots: DRAM, RF, X, Y; the unused ones stay 1.
  auto slots = [](std::initializer_list<int64_t> used) {
    SlotFactors f;
    f.fill(1);
    std::copy(used.begin(), used.end(), f.begin());
    return f;
  };
  SlotFactors start = slots({12, 1, 1, 1});
  auto i = space.findChoice(0, start);
  ASSERT_TRUE(i.has_value());
  llvm::SmallVector<unsigned> neighbors;
  space.getNeighbors(0, *i, neighbors);
  llvm::SmallVector<SlotFactors> reached;
  for (unsigned j : neighbors)
    reached.push_back(space.getChoices(0)[j]);
  // A 2 or a 3 from DRAM to RF (only 2 fits), to X (2 or 3), to Y (2 or 3
  // does not fit 2 rows); X and Y one larger: 2 and 2.
  auto has = [&](std::initializer_list<int64_t> used) {
    return llvm::is_contained(reached, slots(used));
  };
  EXPECT_TRUE(has({6, 2, 1, 1}));
  EXPECT_TRUE(has({6, 1, 2, 1}));
  EXPECT_TRUE(has({4, 1, 3, 1}));
  EXPECT_TRUE(has({6, 1, 1, 2}));
  EXPECT_FALSE(has({4, 3, 1, 1}));
}

TEST(MapSpaceTest, EverySearchFindsTheLatencyOptimum) {
  // 12 elements on 6 PEs, one op each per cycle: at least 2 cycles, reached
  // with X = 3, Y = 2.
  Tiny t(12);
  MapSpace space(t.problem, t.target);
  for (Strategy s : {Strategy::Exhaustive, Strategy::Heuristic, Strategy::Local,
                     Strategy::Random, Strategy::Genetic, Strategy::Auto}) {
    SearchOptions options;
    options.objective = Metric::Latency;
    options.strategy = s;
    SearchResult r = search(space, options);
    ASSERT_TRUE(r.found) << stringifyStrategy(s).str();
    EXPECT_EQ(r.cost.cycles, 2) << stringifyStrategy(s).str();
    if (s == Strategy::Exhaustive) {
      EXPECT_TRUE(r.complete);
    }
  }
}

// The searches check mappings built from the space's choices only against
// the array and the buffers: the full rules must hold all the same.
TEST(MapSpaceTest, EverySearchReturnsAValidMapping) {
  for (int64_t extent : {5, 7, 12, 60}) {
    Tiny t(extent);
    MapSpace space(t.problem, t.target);
    for (Strategy s : {Strategy::Exhaustive, Strategy::Heuristic,
                       Strategy::Local, Strategy::Random, Strategy::Genetic}) {
      SearchOptions options;
      options.strategy = s;
      SearchResult r = search(space, options);
      ASSERT_TRUE(r.found);
      llvm::Error err = cost::verifyMapping(t.problem, r.mapping, t.target);
      EXPECT_FALSE(bool(err))
          << stringifyStrategy(s).str() << " on " << extent << ": "
          << llvm::toString(std::move(err)) << " in factors DRAM "
          << r.mapping.factors[0][0] << ", X " << r.mapping.spatialX[0][0]
          << ", Y " << r.mapping.spatialY[0][0];
    }
  }
}

TEST(MapSpaceTest, SameSeedSameResult) {
  Tiny t(60);
  MapSpace space(t.problem, t.target);
  SearchOptions options;
  options.strategy = Strategy::Genetic;
  options.seed = 42;
  SearchResult a = search(space, options), b = search(space, options);
  EXPECT_EQ(a.score, b.score);
  EXPECT_EQ(a.evaluations, b.evaluations);
  EXPECT_EQ(a.mapping.factors, b.mapping.factors);
}

TEST(DivisorsTest, AscendingAndComplete) {
  llvm::SmallVector<int64_t> d;
  getDivisors(36, d);
  EXPECT_EQ(d, (llvm::SmallVector<int64_t>{1, 2, 3, 4, 6, 9, 12, 18, 36}));
  getDivisors(86, d); // 2 * 43
  EXPECT_EQ(d, (llvm::SmallVector<int64_t>{1, 2, 43, 86}));
  getDivisors(1, d);
  EXPECT_EQ(d, (llvm::SmallVector<int64_t>{1}));
}

} // namespace
