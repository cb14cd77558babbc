//===- CostModelTest.cpp - Problems, flattened loops and footprints -------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Expected numbers are worked out by hand in the comments.
//
//===----------------------------------------------------------------------===//

#include "tandem/Analysis/CostModel.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace tandem;
using namespace tandem::cost;

namespace {

class CostModelTest : public ::testing::Test {
protected:
  CostModelTest() {
    context.loadDialect<accel::AccelDialect, func::FuncDialect>();
  }

  /// The problem of the first compute op of a function with the given
  /// signature and body, every data space at 8 bits.
  Problem problemOf(StringRef args, StringRef body) {
    std::string text =
        ("func.func @f(" + args + ") {\n" + body + "\n  return\n}\n").str();
    module = parseSourceString<ModuleOp>(text, &context);
    EXPECT_TRUE(module) << text;
    accel::LoopNestOpInterface op;
    module->walk([&](accel::LoopNestOpInterface found) {
      if (!op)
        op = found;
    });
    EXPECT_TRUE(op);
    auto problem = buildProblem(op.getLoopNest(), 8, 8, 8);
    EXPECT_TRUE(bool(problem));
    return problem ? *problem : Problem();
  }

  /// ResNet-like conv1 in small: 7x7 stride 2, C=3, K=20, 21x21 -> 8x8.
  Problem conv7x7() {
    return problemOf("%x: tensor<1x3x21x21xf32>, %w: tensor<20x3x7x7xf32>",
                     "%y = accel.conv2d %x, %w strides [2, 2] : "
                     "(tensor<1x3x21x21xf32>, tensor<20x3x7x7xf32>) -> "
                     "tensor<1x20x8x8xf32>");
  }

  static unsigned dim(const Problem &p, StringRef name) {
    auto d = p.lookupDim(name);
    EXPECT_TRUE(d.has_value()) << name.str();
    return d.value_or(0);
  }

  /// A tile of the problem's loops from "NAME=N" pairs; other loops get 1.
  static std::array<int64_t, kMaxDims>
  tileOf(const Problem &p,
         std::initializer_list<std::pair<StringRef, int64_t>> extents) {
    std::array<int64_t, kMaxDims> tile;
    tile.fill(1);
    for (auto [name, extent] : extents)
      tile[dim(p, name)] = extent;
    return tile;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

TEST_F(CostModelTest, FlattenedLoopTakesItsFirstMembersPlace) {
  Problem p = conv7x7();
  ASSERT_EQ(p.numDims, 7u); // N K C P Q R S
  unsigned r = dim(p, "R"), s = dim(p, "S"), c = dim(p, "C");
  auto flat = flattenLoops(p, {{r, s, c}});
  ASSERT_TRUE(bool(flat));
  // C comes first among the members in the op's order: R*S*C sits there.
  EXPECT_EQ(flat->numDims, 5u);
  EXPECT_EQ(flat->dimNames[2], "R*S*C");
  EXPECT_EQ(flat->extents[2], 147);
  EXPECT_EQ(flat->dimNames[3], "P");
  // Inputs and weights are indexed by the window; outputs are not.
  uint32_t window = 1u << 2;
  EXPECT_TRUE(flat->tensors[hw::Input].relevant & window);
  EXPECT_TRUE(flat->tensors[hw::Weight].relevant & window);
  EXPECT_FALSE(flat->tensors[hw::Output].relevant & window);
  EXPECT_EQ(flat->iterations, p.iterations);
  // Flattening nothing gives the op's loops back.
  auto source = flattenLoops(*flat, {});
  ASSERT_TRUE(bool(source));
  EXPECT_FALSE(source->flattening.has_value());
  EXPECT_EQ(source->numDims, 7u);
  EXPECT_EQ(source->dimNames[5], "R");
  EXPECT_EQ(source->tensors[hw::Input].relevant, p.tensors[hw::Input].relevant);
}

TEST_F(CostModelTest, FlattenedFootprintIsTheRunNotItsBoundingBox) {
  Problem p = conv7x7();
  auto flat =
      cantFail(flattenLoops(p, {{dim(p, "R"), dim(p, "S"), dim(p, "C")}}));
  // A run of 16 window indices: C=3 whole, S 6 of 7 (ceil(16/3)), R 1: a
  // bounding box of 18; each member indexes the weights on its own, so the
  // run's weights are exactly 16 per filter.
  EXPECT_EQ(flat.footprint(hw::Weight, tileOf(flat, {{"R*S*C", 16}}).data()),
            16);
  EXPECT_EQ(flat.footprint(hw::Weight,
                           tileOf(flat, {{"R*S*C", 16}, {"K", 4}}).data()),
            64);
  // The whole window: 147 weights, and per output pixel 147 inputs.
  EXPECT_EQ(flat.footprint(hw::Weight, tileOf(flat, {{"R*S*C", 147}}).data()),
            147);
  EXPECT_EQ(flat.footprint(hw::Input, tileOf(flat, {{"R*S*C", 147}}).data()),
            147);
  // Outputs do not depend on the window.
  EXPECT_EQ(flat.footprint(hw::Output,
                           tileOf(flat, {{"R*S*C", 147}, {"P", 8}}).data()),
            8);
}

TEST_F(CostModelTest, FlattenTwiceOrUnknownFails) {
  Problem p = conv7x7();
  unsigned r = dim(p, "R"), c = dim(p, "C");
  auto twice = flattenLoops(p, {{r, c}, {c, dim(p, "S")}});
  ASSERT_FALSE(bool(twice));
  EXPECT_EQ(toString(twice.takeError()), "loop C is flattened twice");
  auto unknown = flattenLoops(p, {{r, 12}});
  ASSERT_FALSE(bool(unknown));
  EXPECT_EQ(toString(unknown.takeError()), "no loop 12 to flatten");
}

TEST_F(CostModelTest, OperandMatricesFollowScaleSim) {
  Problem p = conv7x7();
  auto names = [&](ArrayRef<unsigned> dims) {
    std::string s;
    for (unsigned d : dims)
      s += p.dimNames[d];
    return s;
  };
  // The window is R, S, then C (SCALE-Sim's (r * S + s) * C + c); N = 1
  // is left out of the pixels.
  auto ws = getOperandMatrixLayout(p, hw::Dataflow::WeightStationary);
  EXPECT_EQ(names(ws.rows), "RSC");
  EXPECT_EQ(names(ws.cols), "K");
  auto os = getOperandMatrixLayout(p, hw::Dataflow::OutputStationary);
  EXPECT_EQ(names(os.rows), "PQ");
  EXPECT_EQ(names(os.cols), "K");
  auto is = getOperandMatrixLayout(p, hw::Dataflow::InputStationary);
  EXPECT_EQ(names(is.rows), "RSC");
  EXPECT_EQ(names(is.cols), "PQ");
}

TEST_F(CostModelTest, ClassifiesFlattenedLoopsByTheirMembers) {
  Problem p = conv7x7();
  auto flat = cantFail(flattenLoops(p, {{dim(p, "R"), dim(p, "S"), dim(p, "C")},
                                        {dim(p, "P"), dim(p, "Q")}}));
  LoopClasses loops = classifyLoops(flat);
  // R*S*C holds window loops; P*Q and N index inputs and outputs.
  ASSERT_EQ(loops.windows.size(), 1u);
  EXPECT_EQ(flat.dimNames[loops.windows[0]], "R*S*C");
  EXPECT_TRUE(loops.reduction.empty());
  ASSERT_EQ(loops.outChannels.size(), 1u);
  EXPECT_EQ(flat.dimNames[loops.outChannels[0]], "K");
  ASSERT_EQ(loops.pixels.size(), 2u);
  EXPECT_EQ(flat.dimNames[loops.pixels[1]], "P*Q");
}

} // namespace
