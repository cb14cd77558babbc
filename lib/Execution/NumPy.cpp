//===- NumPy.cpp - Reading and writing .npy files -------------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The format: "\x93NUMPY", major and minor version bytes, a little-endian
// header length (2 bytes in 1.0, 4 in 2.0/3.0), then a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), } padded with
// spaces to a multiple of 64 bytes, then the data.
//
//===----------------------------------------------------------------------===//

#include "tandem/Execution/NumPy.h"
#include "tandem/Support/FileIO.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace llvm;

namespace tandem::exec {
namespace {

Error fail(StringRef path, const Twine &what) {
  return createStringError(inconvertibleErrorCode(), "'" + path + "': " + what);
}

/// The value of `key` in the header dict, as written (up to the next ',' or
/// the closing ')' for the shape tuple).
std::optional<StringRef> dictValue(StringRef header, StringRef key) {
  std::string quoted = ("'" + key + "'").str();
  size_t at = header.find(quoted);
  // NumPy takes the last of repeated keys; refuse them rather than read
  // such a file differently.
  if (at == StringRef::npos || header.find(quoted, at + 1) != StringRef::npos)
    return std::nullopt;
  StringRef rest = header.drop_front(at + key.size() + 2).ltrim();
  if (!rest.consume_front(":"))
    return std::nullopt;
  rest = rest.ltrim();
  if (rest.starts_with("(")) {
    size_t close = rest.find(')');
    return close == StringRef::npos ? std::nullopt
                                    : std::optional(rest.take_front(close + 1));
  }
  return rest.take_until([](char c) { return c == ',' || c == '}'; }).trim();
}

std::optional<ElementType> fromDescr(StringRef descr) {
  descr = descr.trim("'\"");
  // '|' (no byte order) for 1-byte types; '<' or '=' (native = little here).
  if (descr.size() < 2 ||
      (descr[0] != '<' && descr[0] != '|' && descr[0] != '='))
    return std::nullopt;
  StringRef code = descr.drop_front();
  if (code == "f4")
    return ElementType::F32;
  if (code == "f8")
    return ElementType::F64;
  if (code == "f2")
    return ElementType::F16;
  if (code == "i8")
    return ElementType::I64;
  if (code == "i4")
    return ElementType::I32;
  if (code == "i2")
    return ElementType::I16;
  if (code == "i1")
    return ElementType::I8;
  if (code == "b1")
    return ElementType::I1;
  return std::nullopt;
}

StringRef toDescr(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return "<f4";
  case ElementType::F64:
    return "<f8";
  case ElementType::F16:
    return "<f2";
  case ElementType::BF16:
    return "";
  case ElementType::I64:
    return "<i8";
  case ElementType::I32:
    return "<i4";
  case ElementType::I16:
    return "<i2";
  case ElementType::I8:
    return "|i1";
  case ElementType::I1:
    return "|b1";
  }
  return "";
}

} // namespace

Expected<Tensor> readNpy(StringRef path) {
  // The header is at most 4 GiB by the format, in practice under 64 KiB.
  auto buffer = readInputFile(path, getMaxTensorBytes() + (1 << 16));
  if (!buffer)
    return buffer.takeError();
  return parseNpy((*buffer)->getBuffer(), path);
}

Expected<Tensor> parseNpy(StringRef bytes, StringRef path) {
  if (!bytes.starts_with("\x93NUMPY") || bytes.size() < 10)
    return fail(path, "not a NumPy .npy file (no \\x93NUMPY magic)");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = static_cast<unsigned char>(bytes[8]) |
                   static_cast<unsigned char>(bytes[9]) << 8;
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fail(path, "truncated header");
    headerLength = 0;
    for (int i = 0; i < 4; ++i)
      headerLength |= size_t(static_cast<unsigned char>(bytes[8 + i]))
                      << (8 * i);
    headerStart = 12;
  } else {
    return fail(path, "unsupported .npy format version " + Twine(major));
  }
  if (headerStart + headerLength > bytes.size())
    return fail(path, "truncated header");
  StringRef header = bytes.substr(headerStart, headerLength);
  auto descr = dictValue(header, "descr");
  auto order = dictValue(header, "fortran_order");
  auto shapeText = dictValue(header, "shape");
  if (!descr || !order || !shapeText)
    return fail(path, "malformed header '" + header.trim() +
                          "' (a key missing or repeated)");
  auto type = fromDescr(*descr);
  if (!type)
    return fail(path, "unsupported dtype " + *descr +
                          " (expected float16/32/64, int8/16/32/64 or bool, "
                          "little-endian)");
  if (order->trim() != "False")
    return fail(path, "Fortran-ordered arrays are not supported");
  SmallVector<int64_t, 4> shape;
  for (StringRef dim : split(shapeText->trim("() "), ',')) {
    dim = dim.trim();
    if (dim.empty())
      continue;
    int64_t v;
    if (dim.getAsInteger(10, v) || v < 0)
      return fail(path, "malformed shape " + *shapeText);
    shape.push_back(v);
  }
  // Check the size before allocating: a corrupt shape can ask for more
  // bytes than exist (or than int64 holds).
  if (Error err = checkTensorSize(shape, getElementSize(*type), "the array"))
    return fail(path, toString(std::move(err)));
  StringRef data = bytes.drop_front(headerStart + headerLength);
  uint64_t needed = getElementSize(*type);
  for (int64_t d : shape)
    needed = SaturatingMultiply<uint64_t>(needed, uint64_t(d));
  if (data.size() != needed) {
    std::string described;
    for (int64_t d : shape)
      described += std::to_string(d) + "x";
    described += getElementTypeName(*type).str();
    return fail(path, "has " + Twine(data.size()) + " bytes of data, but a " +
                          described + " array needs " +
                          (needed == UINT64_MAX ? std::string("more than 2^64")
                                                : std::to_string(needed)));
  }
  Tensor t(*type, shape);
  if (!data.empty()) // an empty array has no buffer to copy to
    std::memcpy(t.data(), data.data(), data.size());
  return t;
}

Error writeNpy(StringRef path, const Tensor &tensor) {
  StringRef descr = toDescr(tensor.type);
  if (descr.empty())
    return fail(path,
                "NumPy has no " + getElementTypeName(tensor.type) + " dtype");
  std::string shape;
  for (int64_t d : tensor.shape)
    shape += std::to_string(d) + ", ";
  if (tensor.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (tensor.shape.size() == 1)
    shape.resize(shape.size() - 1); // "(3,)"
  std::string header = "{'descr': '" + descr.str() +
                       "', 'fortran_order': False, 'shape': (" + shape + "), }";
  // Pad so that magic + 2 + 2 + header + '\n' is a multiple of 64.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  return writeOutputFile(path, [&](raw_ostream &os) {
    os << "\x93NUMPY" << '\x01' << '\x00';
    os << static_cast<char>(header.size() & 0xff)
       << static_cast<char>(header.size() >> 8);
    os << header;
    os.write(tensor.data(), tensor.getByteSize());
    return Error::success();
  });
}

} // namespace tandem::exec
