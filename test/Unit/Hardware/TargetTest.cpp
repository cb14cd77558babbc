//===- TargetTest.cpp - Presets, YAML round trips, default tables ---------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Hardware/Target.h"

#include "gtest/gtest.h"

using namespace tandem::hw;

namespace {

TEST(TargetTest, EveryPresetLoadsAndRoundTrips) {
  auto presets = listPresets();
  ASSERT_GE(presets.size(), 5u);
  for (const std::string &name : presets) {
    auto target = loadTarget(name);
    ASSERT_TRUE(bool(target))
        << name << ": " << llvm::toString(target.takeError());
    EXPECT_EQ(target->name, name);
    EXPECT_FALSE(target->source.empty()) << name << " cites no source";
    // Written out with every default explicit, read back, written again:
    // the same text.
    std::string once = printTarget(*target);
    auto again = parseTarget(once, name + ".printed");
    ASSERT_TRUE(bool(again)) << llvm::toString(again.takeError()) << once;
    EXPECT_EQ(printTarget(*again), once);
    EXPECT_DOUBLE_EQ(again->getAreaMM2(), target->getAreaMM2());
  }
}

Target makeTarget(MacKind kind, int64_t bits) {
  Target t;
  t.name = "t";
  t.array.mac = kind;
  t.array.bits = bits;
  MemoryLevel dram;
  dram.name = "DRAM";
  t.levels.push_back(dram);
  return t;
}

TEST(TargetTest, HorowitzArithmeticEnergies) {
  // 8-bit int: multiply 0.2 pJ + add 0.03 pJ.
  Target int8 = makeTarget(MacKind::Integer, 8);
  EXPECT_NEAR(int8.getMacEnergyPJ(8, 8), 0.23, 1e-12);
  // 32-bit: the quadratic multiply model gives 3.2 pJ (table: 3.1) and
  // 0.12 pJ for the add (table: 0.1).
  Target int32 = makeTarget(MacKind::Integer, 32);
  EXPECT_NEAR(int32.getMacEnergyPJ(32, 32), 3.32, 1e-12);
  EXPECT_NEAR(makeTarget(MacKind::Float, 32).getMacEnergyPJ(32, 32), 4.6,
              1e-12);
  EXPECT_NEAR(makeTarget(MacKind::Float, 16).getMacEnergyPJ(16, 16), 1.5,
              1e-12);
  // Shift + add at 8 bits: 0.024 + 0.03.
  EXPECT_NEAR(makeTarget(MacKind::ShiftAdd, 8).getMacEnergyPJ(8, 8), 0.054,
              1e-12);
}

TEST(TargetTest, SramEnergyFollowsHorowitz) {
  Target t = makeTarget(MacKind::Integer, 8);
  MemoryLevel sram;
  sram.name = "SRAM";
  sram.wordBits = 64;
  for (auto [bytes, pj] :
       {std::pair<int64_t, double>{8192, 10.0}, {32768, 20.0}}) {
    sram.capacityBytes = bytes;
    t.levels.push_back(sram);
    EXPECT_NEAR(t.getReadEnergyPJ(t.levels.size() - 1), pj, 1e-9);
    t.levels.pop_back();
  }
  // 1 MB: about 100 pJ (the fit gives 113).
  sram.capacityBytes = 1 << 20;
  t.levels.push_back(sram);
  EXPECT_NEAR(t.getReadEnergyPJ(1), 113.1, 0.1);
  // DRAM: 2 nJ per 64 bits.
  EXPECT_NEAR(t.getReadEnergyPJ(0), 2000, 1e-9);
}

TEST(TargetTest, BitFlexibleThroughput) {
  Target fusion = makeTarget(MacKind::BitFusion, 8);
  EXPECT_DOUBLE_EQ(fusion.getMacsPerCycle(8, 8), 1);
  EXPECT_DOUBLE_EQ(fusion.getMacsPerCycle(4, 4), 4);
  EXPECT_DOUBLE_EQ(fusion.getMacsPerCycle(2, 2), 16);
  EXPECT_DOUBLE_EQ(fusion.getMacsPerCycle(2, 8), 4);
  Target serial = makeTarget(MacKind::BitSerial, 8);
  serial.array.lanes = 64;
  EXPECT_DOUBLE_EQ(serial.getMacsPerCycle(8, 8), 1);
  EXPECT_DOUBLE_EQ(serial.getMacsPerCycle(1, 1), 64);
  EXPECT_DOUBLE_EQ(serial.getMacsPerCycle(2, 8), 4);
}

TEST(TargetTest, ValidationNamesTheField) {
  Target t = makeTarget(MacKind::Integer, 8);
  t.clockMHz = 0;
  EXPECT_EQ(llvm::toString(t.validate()),
            "'clock_mhz' must be between 0.001 and 1e+06");
  t.clockMHz = 100;
  t.levels[0].holds = 0b011;
  EXPECT_EQ(llvm::toString(t.validate()),
            "'levels[0].holds' must hold input, weight and output: the "
            "outermost level is where every tensor lives");
}

} // namespace
