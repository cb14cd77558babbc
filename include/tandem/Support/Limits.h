//===- Limits.h - How large an input Tandem accepts -------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// A crafted file can ask for any amount of memory: a tensor of 2^50
// elements, a Expand of a constant to 2^31 x 2^31. Every tensor Tandem
// materializes (initializers, folded constants, .npy and .pb inputs) is
// checked against one process-wide limit before anything is allocated; the
// tools set it from --max-tensor-mib.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_SUPPORT_LIMITS_H
#define TANDEM_SUPPORT_LIMITS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>

namespace tandem {

/// The largest text file (YAML, JSON, MLIR, .onnxtext) Tandem reads: 1 GiB.
constexpr uint64_t kMaxTextFileBytes = uint64_t(1) << 30;
/// The largest model file: 2 GiB, protobuf's own limit for one message
/// (larger weights live in external data files).
constexpr uint64_t kMaxModelFileBytes = uint64_t(2) << 30;
/// The default tensor limit: 4 GiB.
constexpr uint64_t kDefaultMaxTensorBytes = uint64_t(4) << 30;

/// The deepest bracket nesting accepted in MLIR text: MLIR's parser
/// recurses per level and overflows the stack somewhere past 2000.
constexpr unsigned kMaxNestingDepth = 1000;

/// Success if no bracket ((, [, {, <) in `text` nests deeper than
/// kMaxNestingDepth, outside strings and comments; otherwise an error
/// "PATH:LINE: brackets nest deeper than 1000 levels".
llvm::Error checkNestingDepth(llvm::StringRef text, llvm::StringRef path);

/// The largest tensor (in bytes) Tandem materializes.
uint64_t getMaxTensorBytes();
void setMaxTensorBytes(uint64_t bytes);

/// Registers --max-tensor-mib (sets the limit above), in `category` if
/// given; tools call it after hiding unrelated options, before parsing.
void registerLimitOptions(llvm::cl::OptionCategory *category = nullptr);

/// The byte size of `shape` with `elementBytes`-byte elements, or nullopt
/// if a dimension is negative or the product overflows int64.
std::optional<int64_t> getByteSize(llvm::ArrayRef<int64_t> shape,
                                   uint64_t elementBytes);

/// Success if a tensor of `shape` fits the limit; otherwise an error
/// "WHAT of shape AxB needs N bytes, more than the limit of M bytes (raise
/// it with --max-tensor-mib)".
llvm::Error checkTensorSize(llvm::ArrayRef<int64_t> shape,
                            uint64_t elementBytes, const llvm::Twine &what);

} // namespace tandem

#endif // TANDEM_SUPPORT_LIMITS_H
