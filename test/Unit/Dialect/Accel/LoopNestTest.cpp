//===- LoopNestTest.cpp - Tests of the loop-nest view and footprints ------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Expected numbers are worked out by hand in the comments: a tile covering
// t loop iterations along a dimension with coefficient c spans c*(t-1)+1
// positions of the tensor coordinate, and a footprint is the product over
// coordinates (clamped to the tensor's size).
//
//===----------------------------------------------------------------------===//

#include "tandem/Dialect/Accel/IR/AccelOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace tandem::accel;

namespace {

class LoopNestTest : public ::testing::Test {
protected:
  LoopNestTest() {
    context.loadDialect<AccelDialect, arith::ArithDialect, func::FuncDialect>();
  }

  /// Parses `body` as the body of a function with the given signature and
  /// returns the loop nest of its first compute op.
  LoopNest nestOf(StringRef args, StringRef body) {
    std::string text =
        ("func.func @f(" + args + ") {\n" + body + "\n  return\n}\n").str();
    module = parseSourceString<ModuleOp>(text, &context);
    EXPECT_TRUE(module) << text;
    LoopNestOpInterface op;
    module->walk([&](LoopNestOpInterface found) {
      if (!op)
        op = found;
    });
    EXPECT_TRUE(op);
    return op.getLoopNest();
  }

  /// Tile extents from "NAME=N" pairs; other loops get 1.
  static SmallVector<int64_t>
  tileOf(const LoopNest &nest,
         std::initializer_list<std::pair<StringRef, int64_t>> extents) {
    SmallVector<int64_t> tile(nest.dims.size(), 1);
    for (auto [name, extent] : extents) {
      auto d = nest.lookupDim(name);
      EXPECT_TRUE(d.has_value()) << name.str();
      if (d)
        tile[*d] = extent;
    }
    return tile;
  }

  int64_t footprint(const LoopNest &nest, StringRef tensor,
                    ArrayRef<int64_t> tile) {
    auto t = nest.lookupTensor(tensor);
    EXPECT_TRUE(t.has_value()) << tensor.str();
    std::optional<int64_t> elements = nest.getTileFootprint(*t, tile);
    EXPECT_TRUE(elements.has_value()) << tensor.str();
    return elements.value_or(-1);
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

constexpr StringRef kConv3x3Args =
    "%x: tensor<1x4x8x8xf32>, %w: tensor<2x4x3x3xf32>";

// Tests the footprints of a 2x2 output tile of a 3x3, pad-1 convolution
// over all 4 input channels.
TEST_F(LoopNestTest, ConvTileFootprint) {
  LoopNest nest =
      nestOf(kConv3x3Args, "%y = accel.conv2d %x, %w pads [1, 1, 1, 1] : "
                           "(tensor<1x4x8x8xf32>, tensor<2x4x3x3xf32>) -> "
                           "tensor<1x2x8x8xf32>");
  ASSERT_EQ(nest.dims.size(), 7u);
  auto tile = tileOf(nest, {{"C", 4}, {"P", 2}, {"Q", 2}, {"R", 3}, {"S", 3}});
  // Input rows: p + r - 1 spans (2-1) + (3-1) + 1 = 4; same for columns;
  // 4 channels: 4 * 4 * 4 = 64.
  EXPECT_EQ(footprint(nest, "input", tile), 64);
  // Weight: one filter (K tile 1), 4 x 3 x 3 = 36.
  EXPECT_EQ(footprint(nest, "weight", tile), 36);
  // Output: one channel, 2 x 2 = 4.
  EXPECT_EQ(footprint(nest, "output", tile), 4);
}

// Tests that a stride of 2 widens the input footprint: rows 2p + r span
// 2*(2-1) + (3-1) + 1 = 5, so 4 channels x 5 x 5 = 100.
TEST_F(LoopNestTest, StridedConvTileFootprint) {
  LoopNest nest =
      nestOf(kConv3x3Args, "%y = accel.conv2d %x, %w strides [2, 2] "
                           "pads [1, 1, 1, 1] : (tensor<1x4x8x8xf32>, "
                           "tensor<2x4x3x3xf32>) -> tensor<1x2x4x4xf32>");
  auto tile = tileOf(nest, {{"C", 4}, {"P", 2}, {"Q", 2}, {"R", 3}, {"S", 3}});
  EXPECT_EQ(footprint(nest, "input", tile), 100);
}

// Tests that footprints clamp to the tensor: the whole 8x8 output with pad 1
// spans 7 + 2 + 1 = 10 rows of an 8-row input, i.e. all 4 x 8 x 8 = 256.
TEST_F(LoopNestTest, FootprintClampsToTensor) {
  LoopNest nest =
      nestOf(kConv3x3Args, "%y = accel.conv2d %x, %w pads [1, 1, 1, 1] : "
                           "(tensor<1x4x8x8xf32>, tensor<2x4x3x3xf32>) -> "
                           "tensor<1x2x8x8xf32>");
  auto tile = tileOf(nest, {{"C", 4}, {"P", 8}, {"Q", 8}, {"R", 3}, {"S", 3}});
  EXPECT_EQ(footprint(nest, "input", tile), 256);
  // Tile extents beyond a loop's extent are clamped to it.
  auto huge = tileOf(nest, {{"C", 100}, {"P", 100}, {"Q", 100}});
  EXPECT_EQ(footprint(nest, "input", huge), 256);
}

// Tests the grouped view of a depthwise conv: loops N G K C P Q R S with
// K = C = 1 per group; a tile of 2 groups touches 2 input channels and 2
// filters.
TEST_F(LoopNestTest, DepthwiseGroups) {
  LoopNest nest = nestOf("%x: tensor<1x8x10x10xf32>, %w: tensor<8x1x3x3xf32>",
                         "%y = accel.conv2d %x, %w groups 8 : "
                         "(tensor<1x8x10x10xf32>, tensor<8x1x3x3xf32>) -> "
                         "tensor<1x8x8x8xf32>");
  ASSERT_EQ(nest.dims.size(), 8u);
  EXPECT_EQ(nest.dims[1].name, "G");
  EXPECT_EQ(nest.dims[1].extent, 8);
  EXPECT_EQ(nest.dims[2].extent, 1); // K per group
  EXPECT_EQ(nest.dims[3].extent, 1); // C per group
  // MACs: 8 channels x 8 x 8 outputs x 9 taps = 4608.
  EXPECT_EQ(nest.getMacs(), 4608);
  auto tile = tileOf(nest, {{"G", 2}, {"R", 3}, {"S", 3}});
  // Input: 2 channels x 3 x 3 = 18; weight: 2 filters x 1 x 3 x 3 = 18.
  EXPECT_EQ(footprint(nest, "input", tile), 18);
  EXPECT_EQ(footprint(nest, "weight", tile), 18);
}

// Tests that a broadcast batch dimension contributes a single position: lhs
// 1x4x8 against rhs 3x8x5 has lhs map (0, m, k), so a tile of all 3 batches
// and all of M and K touches 1 x 4 x 8 = 32 lhs elements.
TEST_F(LoopNestTest, MatmulBroadcastBatch) {
  LoopNest nest = nestOf("%a: tensor<1x4x8xf32>, %b: tensor<3x8x5xf32>",
                         "%c = accel.matmul %a, %b : (tensor<1x4x8xf32>, "
                         "tensor<3x8x5xf32>) -> tensor<3x4x5xf32>");
  ASSERT_EQ(nest.dims.size(), 4u); // B M N K
  auto tile = tileOf(nest, {{"B", 3}, {"M", 4}, {"K", 8}});
  EXPECT_EQ(footprint(nest, "lhs", tile), 32);
  // rhs: 3 batches x 8 x 1 (N tile 1) = 24.
  EXPECT_EQ(footprint(nest, "rhs", tile), 24);
  // 3 * 4 * 5 * 8 = 480 MACs.
  EXPECT_EQ(nest.getMacs(), 480);
}

// Tests per-output work: average pooling divides once per output element
// (a multiply by the reciprocal when every window has the same size), a
// biased convolution adds once per output element.
TEST_F(LoopNestTest, PerOutputCounts) {
  LoopNest pool = nestOf("%x: tensor<1x2x4x4xf32>",
                         "%y = accel.pool2d avg %x kernel [2, 2] "
                         "strides [2, 2] : (tensor<1x2x4x4xf32>) -> "
                         "tensor<1x2x2x2xf32>");
  // 8 outputs x 4 taps = 32 adds, and 8 multiplies by 1/4.
  OpCounts c = pool.getTotalCounts();
  EXPECT_EQ(c.adds, 32);
  EXPECT_EQ(c.muls, 8);
  EXPECT_EQ(c.divs, 0);
  EXPECT_EQ(c.getTotalOps(), 40);
  EXPECT_EQ(pool.kind, ComputeKind::Window);

  // With padding left out of the count, edge windows divide by fewer
  // elements: a real divide. 2x2 outputs of a padded 3x3 window, 2 channels.
  LoopNest padded = nestOf("%x: tensor<1x2x4x4xf32>",
                           "%y = accel.pool2d avg %x kernel [3, 3] "
                           "strides [2, 2] pads [1, 1, 1, 1] : "
                           "(tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>");
  EXPECT_EQ(padded.getTotalCounts().divs, 8);
  EXPECT_EQ(padded.getTotalCounts().muls, 0);

  LoopNest conv = nestOf("%x: tensor<1x1x3x3xf32>, %w: tensor<2x1x3x3xf32>, "
                         "%b: tensor<2xf32>",
                         "%y = accel.conv2d %x, %w, %b : "
                         "(tensor<1x1x3x3xf32>, tensor<2x1x3x3xf32>, "
                         "tensor<2xf32>) -> tensor<1x2x1x1xf32>");
  // 2 outputs x 9 taps = 18 MACs, 2 bias adds: 2*18 + 2 = 38 ops.
  EXPECT_EQ(conv.getMacs(), 18);
  EXPECT_EQ(conv.getTotalCounts().getTotalOps(), 38);
}

// Tests that roles come from the arithmetic and constness, not from names: a
// conv's constant filter is a weight and its constant bias a parameter; the
// second activation of a product or a residual add is a second input; a
// constant operand of an elementwise op is a parameter.
TEST_F(LoopNestTest, OperandRoles) {
  auto roles = [](const LoopNest &nest) {
    std::string text;
    for (const TensorAccess &t : nest.tensors)
      text += (text.empty() ? "" : " ") + t.name + ":" +
              stringifyOperandRole(t.role).str();
    return text;
  };
  LoopNest conv =
      nestOf("%x: tensor<1x1x3x3xf32>",
             "%w = arith.constant dense<1.0> : tensor<2x1x3x3xf32>\n"
             "%b = arith.constant dense<0.5> : tensor<2xf32>\n"
             "%y = accel.conv2d %x, %w, %b : (tensor<1x1x3x3xf32>, "
             "tensor<2x1x3x3xf32>, tensor<2xf32>) -> tensor<1x2x1x1xf32>");
  EXPECT_EQ(roles(conv), "input:input weight:weight bias:parameter "
                         "output:output");
  EXPECT_EQ(conv.kind, ComputeKind::Contraction);

  LoopNest attention =
      nestOf("%q: tensor<8x16x32xf32>, %k: tensor<8x32x16xf32>",
             "%s = accel.matmul %q, %k : (tensor<8x16x32xf32>, "
             "tensor<8x32x16xf32>) -> tensor<8x16x16xf32>");
  EXPECT_EQ(roles(attention), "lhs:input rhs:second-input output:output");

  LoopNest residual = nestOf(
      "%a: tensor<1x4x2x2xf32>, %b: tensor<1x4x2x2xf32>",
      "%y = accel.add %a, %b : (tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>) "
      "-> tensor<1x4x2x2xf32>");
  EXPECT_EQ(roles(residual), "lhs:input rhs:second-input output:output");
  EXPECT_EQ(residual.kind, ComputeKind::Elementwise);

  LoopNest biasAdd =
      nestOf("%a: tensor<1x4xf32>",
             "%c = arith.constant dense<1.0> : tensor<4xf32>\n"
             "%y = accel.add %a, %c : (tensor<1x4xf32>, tensor<4xf32>) -> "
             "tensor<1x4xf32>");
  EXPECT_EQ(roles(biasAdd), "lhs:input rhs:parameter output:output");
}

// Tests that a layer norm declares its per-row reciprocal square root (a
// square root and a divide per row), so it needs special functions.
TEST_F(LoopNestTest, LayerNormPerRowWork) {
  LoopNest nest =
      nestOf("%x: tensor<2x3x8xf32>, %g: tensor<8xf32>",
             "%y = accel.layer_norm %x, %g axis 2 : (tensor<2x3x8xf32>, "
             "tensor<8xf32>) -> tensor<2x3x8xf32>");
  OpCounts c = nest.getTotalCounts();
  // 6 rows of 8: 48 elements.
  EXPECT_EQ(c.macs, 48);
  EXPECT_EQ(c.adds, 3 * 48 + 6);
  EXPECT_EQ(c.muls, 2 * 48 + 2 * 6);
  EXPECT_EQ(c.divs, 6);
  EXPECT_EQ(c.transcendentals, 6);
  EXPECT_EQ(nest.kind, ComputeKind::Reduction);
}

// Tests coefficient extraction: the conv input row d2 * 2 + d5 - 3.
TEST_F(LoopNestTest, LinearCoefficients) {
  AffineExpr d2 = getAffineDimExpr(2, &context);
  AffineExpr d5 = getAffineDimExpr(5, &context);
  auto coeffs = getLinearCoefficients(d2 * 2 + d5 - 3, 7);
  ASSERT_TRUE(coeffs.has_value());
  EXPECT_EQ((*coeffs)[2], 2);
  EXPECT_EQ((*coeffs)[5], 1);
  EXPECT_EQ((*coeffs)[0], 0);
  EXPECT_FALSE(getLinearCoefficients(d2.floorDiv(2), 7).has_value());
}

} // namespace
