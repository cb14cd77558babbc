//===- ShapeUtilsTest.cpp - Tests of the shared shape rules ---------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Dialect/Accel/IR/ShapeUtils.h"

#include "gtest/gtest.h"

using namespace tandem::accel;

namespace {

// Tests that numpy broadcasting aligns from the right and stretches size 1.
TEST(ShapeUtils, BroadcastAlignsFromTheRight) {
  auto s = broadcastShapes({8, 1, 6, 1}, {7, 1, 5});
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(formatShape(*s), "8x7x6x5"); // numpy docs' own example
  EXPECT_FALSE(broadcastShapes({2, 3}, {4, 3}).has_value());
  auto scalar = broadcastShapes({}, {3, 4});
  ASSERT_TRUE(scalar.has_value());
  EXPECT_EQ(formatShape(*scalar), "3x4");
}

// Tests the convolution output-size formula on layers whose sizes are known.
TEST(ShapeUtils, WindowOutputSize) {
  // ResNet conv1: 224, k7, s2, p3 -> floor((224+6-7)/2)+1 = 112.
  EXPECT_EQ(getWindowOutputSize(224, 7, 2, 1, 3, 3), 112);
  // ResNet max pool: 112, k3, s2, p1 -> floor((112+2-3)/2)+1 = 56.
  EXPECT_EQ(getWindowOutputSize(112, 3, 2, 1, 1, 1), 56);
  // Dilation 2 makes a 3-tap kernel span 5: (10-5)/1+1 = 6.
  EXPECT_EQ(getWindowOutputSize(10, 3, 1, 2, 0, 0), 6);
  // Does not fit: a 5-wide kernel on 3 elements.
  EXPECT_LT(getWindowOutputSize(3, 5, 1, 1, 0, 0), 1);
}

// Tests ceil mode, including the rule that drops a window starting in the
// trailing padding (PyTorch: (out-1)*stride >= size + padBegin).
TEST(ShapeUtils, WindowOutputSizeCeilMode) {
  // 4, k3, s2: floor gives (4-3)/2+1 = 1, ceil gives ceil(1/2)+1 = 2.
  EXPECT_EQ(getWindowOutputSize(4, 3, 2, 1, 0, 0, false), 1);
  EXPECT_EQ(getWindowOutputSize(4, 3, 2, 1, 0, 0, true), 2);
  // 5, k2, s2, pads 1/1: ceil((5+2-2)/2)+1 = 4, but window 3 would start at
  // 3*2 = 6 >= 5+1, inside the trailing pad, so 3.
  EXPECT_EQ(getWindowOutputSize(5, 2, 2, 1, 1, 1, true), 3);
}

} // namespace
