//===- WeightEncodingTest.cpp - Shift-add encodings of weights, by hand ---===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Support/WeightEncoding.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <cstdlib>

using namespace tandem;

namespace {

using Digits = llvm::SmallVector<int8_t, 20>;

TEST(WeightEncodingTest, CSDDigitsByHand) {
  // 7 = 8 - 1; -7 = -8 + 1; 3 = 4 - 1; 85 = 1010101b has no adjacent ones.
  EXPECT_EQ(getCSDDigits(7), (Digits{-1, 0, 0, 1}));
  EXPECT_EQ(getCSDDigits(-7), (Digits{1, 0, 0, -1}));
  EXPECT_EQ(getCSDDigits(3), (Digits{-1, 0, 1}));
  EXPECT_EQ(countCSDDigits(85), 4);
  // -45 = -(64 - 16 - 4 + 1).
  EXPECT_EQ(getCSDDigits(-45), (Digits{-1, 0, 1, 0, 1, 0, -1}));
  EXPECT_EQ(countCSDDigits(0), 0);
}

TEST(WeightEncodingTest, CSDIsNonAdjacentExactAndAtMostFourForInt8) {
  int64_t most = 0;
  for (int64_t v = -127; v <= 127; ++v) {
    Digits d = getCSDDigits(v);
    int64_t sum = 0;
    for (size_t i = 0; i < d.size(); ++i) {
      sum += int64_t(d[i]) << i;
      if (i > 0) {
        EXPECT_FALSE(d[i] != 0 && d[i - 1] != 0) << v;
      }
    }
    EXPECT_EQ(sum, v);
    EXPECT_EQ(countCSDDigits(v), llvm::count_if(d, [](int8_t x) {
                return x != 0;
              })) << v;
    most = std::max(most, countCSDDigits(v));
  }
  EXPECT_EQ(most, 4);
}

TEST(WeightEncodingTest, CSDDigitLimitRoundsToNearestTiesTowardZero) {
  EXPECT_EQ(roundToCSDDigits(7, 1, 127), 8);
  EXPECT_EQ(roundToCSDDigits(-7, 1, 127), -8);
  EXPECT_EQ(roundToCSDDigits(5, 1, 127), 4);
  // 6: 4 and 8 are both 2 away: toward zero.
  EXPECT_EQ(roundToCSDDigits(6, 1, 127), 4);
  EXPECT_EQ(roundToCSDDigits(-6, 1, 127), -4);
  // 45 = 64 - 16 - 4 + 1: the nearest with two digits is 48 = 64 - 16.
  EXPECT_EQ(roundToCSDDigits(45, 2, 127), 48);
  EXPECT_EQ(roundToCSDDigits(127, 2, 127), 127); // 128 - 1
  // 128 is out of range: the nearest one-digit value below is 64.
  EXPECT_EQ(roundToCSDDigits(127, 1, 127), 64);
  EXPECT_EQ(roundToCSDDigits(45, 0, 127), 45);
}

TEST(WeightEncodingTest, PowerOfTwoRoundsInTheLogDomain) {
  WeightEncoding pot{EncodingKind::PowerOfTwo, 5, 0};
  EXPECT_EQ(getLargestMagnitude(pot), 32768); // p in [-15, 0]
  EXPECT_EQ(getValueBits(pot), 17);
  EXPECT_EQ(encodeReal(pot, 0.4), 0);
  EXPECT_EQ(encodeReal(pot, 0.5), 1);
  EXPECT_EQ(encodeReal(pot, 1.40), 1); // below sqrt(2)
  EXPECT_EQ(encodeReal(pot, 1.45), 2);
  EXPECT_EQ(encodeReal(pot, -3.0), -4); // log2 3 = 1.58
  EXPECT_EQ(encodeReal(pot, 40000.0), 32768);
  EXPECT_TRUE(isRepresentable(pot, -1024));
  EXPECT_FALSE(isRepresentable(pot, 3));
  EXPECT_FALSE(isRepresentable(pot, 65536));
  EXPECT_EQ(countTerms(pot, -1024), 1);
  EXPECT_EQ(countTerms(pot, 0), 0);
  WeightEncoding pot3{EncodingKind::PowerOfTwo, 3, 0};
  EXPECT_EQ(getLargestMagnitude(pot3), 8); // p in [-3, 0]
}

TEST(WeightEncodingTest, APoTLevelsByHand) {
  // 5 bits: sign and {0, 2^-1, 2^-3, 2^-5} + {0, 2^-2, 2^-4, 2^-6}, times 2^6.
  EXPECT_EQ(getAPoTMagnitudes(5),
            (llvm::SmallVector<int64_t, 64>{0, 1, 2, 3, 4, 6, 8, 9, 12, 16, 18,
                                            24, 32, 33, 36, 48}));
  // 3 bits: one term {0, 2^-1, 2^-2, 2^-3}, times 2^3.
  EXPECT_EQ(getAPoTMagnitudes(3), (llvm::SmallVector<int64_t, 64>{0, 1, 2, 4}));
  // 4 bits: {0, 2^-1, 2^-3, 2^-5} + {0, 2^-2}, times 2^5.
  EXPECT_EQ(getAPoTMagnitudes(4),
            (llvm::SmallVector<int64_t, 64>{0, 1, 4, 8, 9, 12, 16, 24}));
  WeightEncoding apot{EncodingKind::APoT, 5, 0};
  EXPECT_EQ(getValueBits(apot), 7);
  EXPECT_EQ(encodeReal(apot, 27.0), 24);
  EXPECT_EQ(encodeReal(apot, -28.0), -24); // 24 and 32: toward zero
  EXPECT_EQ(encodeReal(apot, 100.0), 48);
  EXPECT_EQ(countTerms(apot, 36), 2); // 32 + 4
  EXPECT_EQ(countTerms(apot, -16), 1);
  EXPECT_FALSE(isRepresentable(apot, 5));
}

TEST(WeightEncodingTest, CSDEncodingClampsRoundsAndLimits) {
  WeightEncoding csd{EncodingKind::CSD, 8, 2};
  EXPECT_EQ(encodeReal(csd, 44.6), 48); // 45 -> 48
  EXPECT_EQ(encodeReal(csd, 2.5), 2);   // ties to even
  EXPECT_EQ(encodeReal(csd, -300.0), -127);
  EXPECT_TRUE(isRepresentable(csd, 48));
  EXPECT_FALSE(isRepresentable(csd, 45));
  EXPECT_EQ(countTerms(csd, 45), 4);
  // One digit: 128 is out of range, so 64 is the top and the clamp.
  WeightEncoding csd1{EncodingKind::CSD, 8, 1};
  EXPECT_EQ(getLargestMagnitude(csd1), 64);
  EXPECT_EQ(encodeReal(csd1, 127.0), 64);
  EXPECT_EQ(encodeReal(csd1, -40.0), -32);
}

TEST(WeightEncodingTest, ChoicesParseAndWidthsAreChecked) {
  EncodingKind kind;
  int64_t digits = 7;
  EXPECT_FALSE(bool(parseEncodingChoice("csd-2", kind, digits)));
  EXPECT_EQ(kind, EncodingKind::CSD);
  EXPECT_EQ(digits, 2);
  EXPECT_EQ(printEncodingChoice(kind, digits), "csd-2");
  EXPECT_FALSE(bool(parseEncodingChoice("pot", kind, digits)));
  EXPECT_EQ(digits, 0);
  EXPECT_EQ(llvm::toString(parseEncodingChoice("csd-0", kind, digits)),
            "unknown encoding 'csd-0': expected multiply, pot, apot, csd or "
            "csd-T (at most T non-zero digits, T >= 1)");
  EXPECT_TRUE(bool(parseEncodingChoice("pot-2", kind, digits)));
  EXPECT_TRUE(bool(parseEncodingChoice("shift", kind, digits)));
  EXPECT_EQ(llvm::toString(checkEncoding({EncodingKind::PowerOfTwo, 6, 0})),
            "pot takes 2 to 5 bits (sign and exponent), got 6");
  EXPECT_EQ(llvm::toString(checkEncoding({EncodingKind::CSD, 4, 3})),
            "a 4-bit integer has at most 2 non-zero CSD digits; csd-3 limits "
            "nothing");
  EXPECT_FALSE(bool(checkEncoding({EncodingKind::APoT, 5, 0})));
  EXPECT_EQ(getEncodingLabel({EncodingKind::CSD, 8, 2}), "CSD8-2");
}

} // namespace
