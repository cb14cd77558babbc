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
  // A shift-add PE multiplies weights that are not encoded on its
  // multiplier: 0.2 + 0.03.
  EXPECT_NEAR(makeTarget(MacKind::ShiftAdd, 8).getMacEnergyPJ(8, 8), 0.23,
              1e-12);
}

TEST(TargetTest, ShiftAddUnitsChargeEachTerm) {
  Target t = makeTarget(MacKind::ShiftAdd, 8);
  t.array.shifters = 2;
  // PoT-5: one term, a shift of the 8-bit activation (0.024 pJ) and an
  // 8-bit add (0.03 pJ); the codes stand for 17-bit integers.
  MacOperands pot{5, 8, true, 1.0, 17};
  MacEnergy e = t.getMacEnergy(pot);
  EXPECT_NEAR(e.multiplyPJ, 0.0, 1e-12);
  EXPECT_NEAR(e.shiftPJ, 0.024, 1e-12);
  EXPECT_NEAR(e.addPJ, 0.03, 1e-12);
  // CSD with 2.5 terms on average: 2.5 shifts and adds.
  MacOperands csd{8, 8, true, 2.5, 8};
  EXPECT_NEAR(t.getMacEnergy(csd).getTotal(), 2.5 * 0.054, 1e-12);
  // Two shifters: 2.5 terms take 1.25 cycles; one term still a whole
  // cycle (one weight per cycle), and so do all-zero weights.
  EXPECT_NEAR(t.getMacsPerCycle(csd), 0.8, 1e-12);
  EXPECT_NEAR(t.getMacsPerCycle(pot), 1.0, 1e-12);
  EXPECT_NEAR(t.getMacsPerCycle(MacOperands{5, 8, true, 0.3, 17}), 1.0, 1e-12);
  EXPECT_FALSE(t.explainUnsupported(pot, "PoT-5 weights"));
  // Without multipliers, plain weights cannot run.
  t.array.multipliers = 0;
  auto why = t.explainUnsupported(MacOperands{8, 8}, "weights");
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("need multipliers"), std::string::npos) << *why;
  // An int8 array multiplies PoT-5's 17-bit integers: it cannot.
  Target int8 = makeTarget(MacKind::Integer, 8);
  EXPECT_EQ(int8.explainUnsupported(pot, "PoT-5 weights").value_or(""),
            "PoT-5 weights stand for 17-bit integers; 17-bit x 8-bit "
            "products are not supported by the int MAC units");
  // A term-serial (bit-serial) unit: terms x activation bits products:
  // 64 lanes / (2 x 8) = 4 MACs per cycle, 0.23 pJ x 16 / 64.
  Target serial = makeTarget(MacKind::BitSerial, 8);
  MacOperands two{8, 8, true, 2.0, 8};
  EXPECT_NEAR(serial.getMacsPerCycle(two), 4.0, 1e-12);
  EXPECT_NEAR(serial.getMacEnergy(two).getTotal(), 0.23 * 16 / 64, 1e-12);
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
