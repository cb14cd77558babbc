//===- Limits.cpp - How large an input Tandem accepts ---------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Support/Limits.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/CheckedArithmetic.h"

#include <atomic>
#include <string>

using namespace llvm;

namespace tandem {

static std::atomic<uint64_t> maxTensorBytes{kDefaultMaxTensorBytes};

uint64_t getMaxTensorBytes() { return maxTensorBytes.load(); }
void setMaxTensorBytes(uint64_t bytes) { maxTensorBytes.store(bytes); }

void registerLimitOptions(cl::OptionCategory *category) {
  static cl::opt<uint64_t> maxTensorMiB(
      "max-tensor-mib",
      cl::desc("Largest tensor (MiB) read from a file or materialized while "
               "importing or folding a model; larger ones are refused "
               "before any memory is allocated"),
      cl::init(kDefaultMaxTensorBytes >> 20), cl::value_desc("MiB"),
      cl::cb<void, uint64_t>([](uint64_t mib) {
        setMaxTensorBytes(mib > (UINT64_MAX >> 20) ? UINT64_MAX : mib << 20);
      }));
  if (category)
    maxTensorMiB.addCategory(*category);
}

std::optional<int64_t> getByteSize(ArrayRef<int64_t> shape,
                                   uint64_t elementBytes) {
  std::optional<int64_t> bytes = int64_t(elementBytes);
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    bytes = checkedMul(*bytes, d);
    if (!bytes)
      return std::nullopt;
  }
  return bytes;
}

static std::string formatDims(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (int64_t d : shape)
    s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

Error checkTensorSize(ArrayRef<int64_t> shape, uint64_t elementBytes,
                      const Twine &what) {
  std::optional<int64_t> bytes = getByteSize(shape, elementBytes);
  if (bytes && uint64_t(*bytes) <= getMaxTensorBytes())
    return Error::success();
  if (llvm::any_of(shape, [](int64_t d) { return d < 0; }))
    return createStringError(inconvertibleErrorCode(),
                             what + " has a negative dimension (shape " +
                                 formatDims(shape) + ")");
  if (!bytes)
    return createStringError(inconvertibleErrorCode(),
                             what + " of shape " + formatDims(shape) +
                                 " has more bytes than int64 can count");
  return createStringError(
      inconvertibleErrorCode(),
      what + " of shape " + formatDims(shape) + " needs " + Twine(*bytes) +
          " bytes, more than the limit of " + Twine(getMaxTensorBytes()) +
          " bytes (raise it with --max-tensor-mib)");
}

Error checkNestingDepth(StringRef text, StringRef path) {
  // Closers pop only their own opener.
  SmallVector<char, 64> open;
  unsigned line = 1;
  for (size_t i = 0, e = text.size(); i < e; ++i) {
    char c = text[i];
    switch (c) {
    case '\n':
      ++line;
      break;
    case '"':
      // A string: skip to its end, over escaped quotes.
      for (++i; i < e && text[i] != '"'; ++i) {
        if (text[i] == '\\')
          ++i;
        else if (text[i] == '\n')
          ++line;
      }
      break;
    case '/':
      if (i + 1 < e && text[i + 1] == '/')
        while (i < e && text[i] != '\n')
          ++i;
      if (i < e && text[i] == '\n')
        ++line;
      break;
    case '(':
    case '[':
    case '{':
    case '<':
      if (c == '<' && i + 1 < e && text[i + 1] == '=')
        break;
      open.push_back(c);
      if (open.size() > kMaxNestingDepth)
        return createStringError(inconvertibleErrorCode(),
                                 path + ":" + Twine(line) +
                                     ": brackets nest deeper than " +
                                     Twine(kMaxNestingDepth) + " levels");
      break;
    case ')':
    case ']':
    case '}':
    case '>': {
      // '->' and '>=' close nothing.
      if (c == '>' &&
          ((i > 0 && text[i - 1] == '-') || (i + 1 < e && text[i + 1] == '=')))
        break;
      char opener = c == ')' ? '(' : c == ']' ? '[' : c == '}' ? '{' : '<';
      if (!open.empty() && open.back() == opener)
        open.pop_back();
      break;
    }
    default:
      break;
    }
  }
  return Error::success();
}

} // namespace tandem
