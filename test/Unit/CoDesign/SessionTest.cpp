//===- SessionTest.cpp - tandem-codesign as a library ---------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The session the tool, tests and the Python module drive: options in,
// errors as values, the front and the files out.
//
//===----------------------------------------------------------------------===//

#include "tandem/CoDesign/Session.h"
#include "tandem/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

using namespace tandem;
using namespace tandem::codesign;

namespace {

/// A fresh directory with a two-layer model and a four-point space.
class SessionTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("session", dir));
    write("model.mlir", R"(
func.func @main(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %w = arith.constant dense<0.1> : tensor<8x8x3x3xf32>
  %c = accel.conv2d %x, %w pads [1, 1, 1, 1] : (tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x8x8xf32> loc("conv")
  %r = accel.relu %c : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> loc("relu")
  return %r : tensor<1x8x8x8xf32>
}
)");
    write("space.yaml", R"(
base: systolic
parameters:
  rows: [8, 16]
  cols: [8, 16]
objectives: [latency, area]
prefer: latency
)");
    mlir::DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  std::string path(llvm::StringRef file) const {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, file);
    return p.str().str();
  }

  void write(llvm::StringRef file, llvm::StringRef text) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path(file), ec);
    ASSERT_FALSE(ec);
    os << text;
  }

  SessionOptions options() const {
    SessionOptions o;
    o.modelPaths = {path("model.mlir")};
    o.spacePath = path("space.yaml");
    o.outDir = path("out");
    o.jobs = 1;
    return o;
  }

  llvm::SmallString<128> dir;
  mlir::MLIRContext context;
};

// Tests a whole run: every point evaluated, a front, the preferred design
// the fastest on it, and the output files written.
TEST_F(SessionTest, ExploresAndWritesTheFront) {
  auto session = Session::create(options(), context);
  ASSERT_TRUE(bool(session)) << llvm::toString(session.takeError());
  llvm::Expected<bool> finished = (*session)->explore();
  ASSERT_TRUE(bool(finished)) << llvm::toString(finished.takeError());
  EXPECT_TRUE(*finished);
  EXPECT_EQ((*session)->getArchive().size(), 4u);
  ASSERT_FALSE(bool((*session)->writeOutputs()));
  llvm::ArrayRef<FrontDesign> front = (*session)->getFront();
  ASSERT_FALSE(front.empty());
  const FrontDesign *preferred = nullptr;
  for (const FrontDesign &d : front)
    if (d.preferred)
      preferred = &d;
  ASSERT_TRUE(preferred);
  for (const FrontDesign &d : front)
    EXPECT_LE(preferred->candidate->metrics.get(Metric::Latency),
              d.candidate->metrics.get(Metric::Latency));
  // The relu runs in the conv's output stage: one array row, nothing on
  // the host.
  ASSERT_EQ(preferred->models.size(), 1u);
  ASSERT_EQ(preferred->models[0].layers.size(), 1u);
  EXPECT_EQ(preferred->models[0].layers[0].fused,
            std::vector<std::string>{"relu"});
  EXPECT_TRUE(preferred->models[0].hostOps.empty());
  for (const char *file : {"pareto.json", "candidates.csv", "report.html",
                           "best-target.yaml", "best-model.mlir"})
    EXPECT_TRUE(llvm::sys::fs::exists(path("out/" + std::string(file))))
        << file;
}

// Tests that errors come back as values naming what is wrong, before
// anything is written.
TEST_F(SessionTest, ErrorsAreValues) {
  SessionOptions bad = options();
  bad.weights = {1, 2};
  auto session = Session::create(bad, context);
  ASSERT_FALSE(bool(session));
  EXPECT_EQ(llvm::toString(session.takeError()),
            "--weights gives 2 weights for 1 models");
  bad = options();
  bad.spacePath = path("missing.yaml");
  session = Session::create(bad, context);
  ASSERT_FALSE(bool(session));
  EXPECT_NE(llvm::toString(session.takeError()).find("missing.yaml"),
            std::string::npos);
  EXPECT_FALSE(llvm::sys::fs::exists(path("out")));
}

} // namespace
