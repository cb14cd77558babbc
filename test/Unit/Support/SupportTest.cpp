//===- SupportTest.cpp - Input limits and whole-file outputs --------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Support/FileIO.h"
#include "tandem/Support/Limits.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <cstdint>

using namespace tandem;

namespace {

TEST(LimitsTest, ByteSizeRefusesNegativeAndWrappingShapes) {
  EXPECT_EQ(getByteSize({2, 3}, 4), std::optional<int64_t>(24));
  EXPECT_EQ(getByteSize({}, 8), std::optional<int64_t>(8));
  EXPECT_EQ(getByteSize({-5, 3}, 4), std::nullopt);
  // 2^32 * 2^32 wraps to 0 in int64: refused, not zero.
  EXPECT_EQ(getByteSize({int64_t(1) << 32, int64_t(1) << 32}, 1), std::nullopt);
  EXPECT_EQ(getByteSize({int64_t(1) << 31, int64_t(1) << 31}, 4), std::nullopt);
}

TEST(LimitsTest, TensorLimitNamesTheShapeAndTheOption) {
  uint64_t saved = getMaxTensorBytes();
  setMaxTensorBytes(1024);
  EXPECT_FALSE(bool(checkTensorSize({16, 16}, 4, "t"))); // exactly 1 KiB
  EXPECT_EQ(llvm::toString(checkTensorSize({16, 17}, 4, "t")),
            "t of shape 16x17 needs 1088 bytes, more than the limit of 1024 "
            "bytes (raise it with --max-tensor-mib)");
  setMaxTensorBytes(saved);
}

TEST(LimitsTest, NestingCountsBracketsOutsideStringsAndComments) {
  std::string deep(kMaxNestingDepth + 1, '[');
  EXPECT_EQ(llvm::toString(checkNestingDepth("x = " + deep, "f.mlir")),
            "f.mlir:1: brackets nest deeper than 1000 levels");
  std::string fine(kMaxNestingDepth, '(');
  EXPECT_FALSE(bool(checkNestingDepth(fine, "f.mlir")));
  // Quoted, commented, '->' and '>=' do not nest.
  EXPECT_FALSE(bool(checkNestingDepth("\"" + deep + "\"", "f.mlir")));
  EXPECT_FALSE(bool(checkNestingDepth("// " + deep + "\n", "f.mlir")));
  std::string arrows;
  for (unsigned i = 0; i < 2 * kMaxNestingDepth; ++i)
    arrows += "<(d0) -> (d0)>, d0 >= 0, ";
  EXPECT_FALSE(bool(checkNestingDepth(arrows, "f.mlir")));
  // The line of the offending bracket.
  EXPECT_EQ(llvm::toString(checkNestingDepth("\n\n" + deep, "f.mlir")),
            "f.mlir:3: brackets nest deeper than 1000 levels");
}

class FileIOTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(bool(llvm::sys::fs::createUniqueDirectory("fileio", dir)));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }
  std::string path(llvm::StringRef name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  llvm::SmallString<128> dir;
};

TEST_F(FileIOTest, ReadRefusesDevicesDirectoriesAndLargeFiles) {
  EXPECT_EQ(llvm::toString(readInputFile("/dev/zero", 100).takeError()),
            "cannot read '/dev/zero': not a regular file (devices, pipes and "
            "sockets are refused)");
  EXPECT_EQ(llvm::toString(readInputFile(dir, 100).takeError()),
            "cannot read '" + std::string(dir) + "': it is a directory");
  ASSERT_FALSE(bool(writeOutputFile(path("f"), [](llvm::raw_ostream &os) {
    os << "0123456789";
    return llvm::Error::success();
  })));
  EXPECT_EQ(llvm::toString(readInputFile(path("f"), 9).takeError()),
            "cannot read '" + path("f") +
                "': 10 bytes, more than the 9 this kind of file may have");
  auto read = readInputFile(path("f"), 10);
  ASSERT_TRUE(bool(read));
  EXPECT_EQ((*read)->getBuffer(), "0123456789");
}

TEST_F(FileIOTest, AFailedWriteLeavesTheOldFile) {
  auto write = [&](llvm::StringRef text, bool fail) {
    return writeOutputFile(path("out"),
                           [&](llvm::raw_ostream &os) -> llvm::Error {
                             os << text;
                             if (fail)
                               return llvm::createStringError(
                                   llvm::inconvertibleErrorCode(), "stopped");
                             return llvm::Error::success();
                           });
  };
  ASSERT_FALSE(bool(write("first", false)));
  EXPECT_EQ(llvm::toString(write("second", true)), "stopped");
  auto read = readInputFile(path("out"), 100);
  ASSERT_TRUE(bool(read));
  EXPECT_EQ((*read)->getBuffer(), "first");
  // No temporary file is left beside it.
  std::error_code ec;
  unsigned files = 0;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    ++files;
  EXPECT_EQ(files, 1u);
}

TEST_F(FileIOTest, DevicesAreWrittenInPlace) {
  ASSERT_FALSE(bool(writeOutputFile("/dev/null", [](llvm::raw_ostream &os) {
    os << "discarded";
    return llvm::Error::success();
  })));
  llvm::sys::fs::file_status status;
  ASSERT_FALSE(bool(llvm::sys::fs::status("/dev/null", status)));
  EXPECT_EQ(status.type(), llvm::sys::fs::file_type::character_file);
}

} // namespace
