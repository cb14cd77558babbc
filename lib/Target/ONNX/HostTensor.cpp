//===- HostTensor.cpp - ONNX tensors whose values the importer knows ------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "HostTensor.h"

#include "tandem/Dialect/Accel/IR/ShapeUtils.h"
#include "tandem/Support/Limits.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <cstring>

using namespace llvm;
using namespace mlir;

namespace tandem::onnx_import {

size_t getDTypeSize(int32_t dtype) {
  switch (dtype) {
  case kBool:
  case kInt8:
  case kUInt8:
    return 1;
  case kInt16:
  case kUInt16:
  case kFloat16:
  case kBFloat16:
    return 2;
  case kInt32:
  case kUInt32:
  case kFloat:
    return 4;
  case kInt64:
  case kUInt64:
  case kDouble:
    return 8;
  default:
    return 0;
  }
}

bool isFloatDType(int32_t dtype) {
  return dtype == kFloat || dtype == kDouble || dtype == kFloat16 ||
         dtype == kBFloat16;
}

StringRef getDTypeName(int32_t dtype) {
  switch (dtype) {
  case kFloat:
    return "float";
  case kUInt8:
    return "uint8";
  case kInt8:
    return "int8";
  case kUInt16:
    return "uint16";
  case kInt16:
    return "int16";
  case kInt32:
    return "int32";
  case kInt64:
    return "int64";
  case kString:
    return "string";
  case kBool:
    return "bool";
  case kFloat16:
    return "float16";
  case kDouble:
    return "double";
  case kUInt32:
    return "uint32";
  case kUInt64:
    return "uint64";
  case kBFloat16:
    return "bfloat16";
  default:
    return "an unsupported element type";
  }
}

Type getMLIRElementType(int32_t dtype, MLIRContext *ctx) {
  auto integer = [&](unsigned width, bool isUnsigned) -> Type {
    return IntegerType::get(
        ctx, width, isUnsigned ? IntegerType::Unsigned : IntegerType::Signless);
  };
  switch (dtype) {
  case kFloat:
    return Float32Type::get(ctx);
  case kDouble:
    return Float64Type::get(ctx);
  case kFloat16:
    return Float16Type::get(ctx);
  case kBFloat16:
    return BFloat16Type::get(ctx);
  case kBool:
    return integer(1, false);
  case kInt8:
    return integer(8, false);
  case kInt16:
    return integer(16, false);
  case kInt32:
    return integer(32, false);
  case kInt64:
    return integer(64, false);
  case kUInt8:
    return integer(8, true);
  case kUInt16:
    return integer(16, true);
  case kUInt32:
    return integer(32, true);
  case kUInt64:
    return integer(64, true);
  default:
    return nullptr;
  }
}

HostTensor::HostTensor(int32_t dtype, ArrayRef<int64_t> shape)
    : dtype(dtype), shape(shape.begin(), shape.end()),
      data(std::make_shared<std::string>(
          getDTypeSize(dtype) * tandem::accel::getNumElements(shape), '\0')) {}

int64_t HostTensor::getNumElements() const {
  return tandem::accel::getNumElements(shape);
}

ArrayRef<char> HostTensor::getRawData() const {
  if (!data)
    return {};
  return ArrayRef<char>(data->data(), data->size());
}

namespace {

template <typename T> T load(const std::string &bytes, int64_t index) {
  T value;
  std::memcpy(&value, bytes.data() + index * sizeof(T), sizeof(T));
  return value;
}

template <typename T> void store(std::string &bytes, int64_t index, T value) {
  std::memcpy(bytes.data() + index * sizeof(T), &value, sizeof(T));
}

double halfToDouble(uint16_t bits, const fltSemantics &semantics) {
  APFloat value(semantics, APInt(16, bits));
  bool losesInfo;
  value.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven,
                &losesInfo);
  return value.convertToDouble();
}

uint16_t doubleToHalf(double v, const fltSemantics &semantics) {
  APFloat value(v);
  bool losesInfo;
  value.convert(semantics, APFloat::rmNearestTiesToEven, &losesInfo);
  return static_cast<uint16_t>(value.bitcastToAPInt().getZExtValue());
}

} // namespace

double HostTensor::getDouble(int64_t i) const {
  switch (dtype) {
  case kFloat:
    return load<float>(*data, i);
  case kDouble:
    return load<double>(*data, i);
  case kFloat16:
    return halfToDouble(load<uint16_t>(*data, i), APFloat::IEEEhalf());
  case kBFloat16:
    return halfToDouble(load<uint16_t>(*data, i), APFloat::BFloat());
  default:
    return static_cast<double>(getInt(i));
  }
}

int64_t HostTensor::getInt(int64_t i) const {
  switch (dtype) {
  case kBool:
    return load<uint8_t>(*data, i) != 0;
  case kInt8:
    return load<int8_t>(*data, i);
  case kUInt8:
    return load<uint8_t>(*data, i);
  case kInt16:
    return load<int16_t>(*data, i);
  case kUInt16:
    return load<uint16_t>(*data, i);
  case kInt32:
    return load<int32_t>(*data, i);
  case kUInt32:
    return load<uint32_t>(*data, i);
  case kInt64:
    return load<int64_t>(*data, i);
  case kUInt64:
    return static_cast<int64_t>(load<uint64_t>(*data, i));
  default: {
    // Float to integer truncates toward zero, as ONNX Cast does.
    double v = getDouble(i);
    return std::isfinite(v) ? static_cast<int64_t>(v) : 0;
  }
  }
}

void HostTensor::setDouble(int64_t i, double v) {
  switch (dtype) {
  case kFloat:
    return store<float>(*data, i, static_cast<float>(v));
  case kDouble:
    return store<double>(*data, i, v);
  case kFloat16:
    return store<uint16_t>(*data, i, doubleToHalf(v, APFloat::IEEEhalf()));
  case kBFloat16:
    return store<uint16_t>(*data, i, doubleToHalf(v, APFloat::BFloat()));
  case kBool:
    return store<uint8_t>(*data, i, v != 0.0);
  default:
    return setInt(i, std::isfinite(v) ? static_cast<int64_t>(v) : 0);
  }
}

void HostTensor::setInt(int64_t i, int64_t v) {
  switch (dtype) {
  case kBool:
    return store<uint8_t>(*data, i, v != 0);
  case kInt8:
    return store<int8_t>(*data, i, static_cast<int8_t>(v));
  case kUInt8:
    return store<uint8_t>(*data, i, static_cast<uint8_t>(v));
  case kInt16:
    return store<int16_t>(*data, i, static_cast<int16_t>(v));
  case kUInt16:
    return store<uint16_t>(*data, i, static_cast<uint16_t>(v));
  case kInt32:
    return store<int32_t>(*data, i, static_cast<int32_t>(v));
  case kUInt32:
    return store<uint32_t>(*data, i, static_cast<uint32_t>(v));
  case kInt64:
    return store<int64_t>(*data, i, v);
  case kUInt64:
    return store<uint64_t>(*data, i, static_cast<uint64_t>(v));
  default:
    return setDouble(i, static_cast<double>(v));
  }
}

SmallVector<int64_t> HostTensor::toInts() const {
  SmallVector<int64_t> values;
  for (int64_t i = 0, e = getNumElements(); i < e; ++i)
    values.push_back(getInt(i));
  return values;
}

HostTensor HostTensor::fromInts(int32_t dtype, ArrayRef<int64_t> shape,
                                ArrayRef<int64_t> values) {
  HostTensor t(dtype, shape);
  for (auto [i, v] : llvm::enumerate(values))
    t.setInt(i, v);
  return t;
}

HostTensor HostTensor::fromDoubles(int32_t dtype, ArrayRef<int64_t> shape,
                                   ArrayRef<double> values) {
  HostTensor t(dtype, shape);
  for (auto [i, v] : llvm::enumerate(values))
    t.setDouble(i, v);
  return t;
}

HostTensor HostTensor::reshaped(ArrayRef<int64_t> newShape) const {
  HostTensor t = *this;
  t.shape.assign(newShape.begin(), newShape.end());
  return t;
}

bool HostTensor::isSplat() const {
  size_t size = getDTypeSize(dtype);
  if (!data || data->size() <= size)
    return true;
  const char *bytes = data->data();
  for (size_t offset = size; offset < data->size(); offset += size)
    if (std::memcmp(bytes, bytes + offset, size) != 0)
      return false;
  return true;
}

//===----------------------------------------------------------------------===//
// From protobuf
//===----------------------------------------------------------------------===//

static Error tensorError(const onnx::TensorProto &proto, const Twine &what) {
  return createStringError(inconvertibleErrorCode(),
                           "tensor '" + proto.name() + "': " + what);
}

/// Reads the bytes an EXTERNAL tensor refers to: `expectedBytes` of them
/// from a regular file inside `dir` (symbolic links resolved), so a model
/// cannot embed a device, a file outside its directory, or more than its
/// shape needs.
static Expected<std::string> readExternalData(const onnx::TensorProto &proto,
                                              StringRef dir,
                                              uint64_t expectedBytes) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &entry : proto.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset" &&
             (StringRef(entry.value()).getAsInteger(10, offset) || offset < 0))
      return tensorError(proto, "malformed external data offset '" +
                                    entry.value() + "'");
    else if (entry.key() == "length" &&
             (StringRef(entry.value()).getAsInteger(10, length) || length < 0))
      return tensorError(proto, "malformed external data length '" +
                                    entry.value() + "'");
  }
  if (location.empty())
    return tensorError(proto, "external data without a location");
  if (sys::path::is_absolute(location) || StringRef(location).contains(".."))
    return tensorError(proto, "external data location '" + location +
                                  "' must be a relative path inside the "
                                  "model's directory");
  SmallString<256> path(dir.empty() ? "." : dir);
  sys::path::append(path, location);
  auto cannotRead = [&](const Twine &why) {
    return tensorError(proto, "cannot read external data file '" + path +
                                  "': " + why +
                                  " (use --external-data-dir to say where "
                                  "it is)");
  };
  SmallString<256> realDir, realFile;
  if (std::error_code ec = sys::fs::real_path(path, realFile))
    return cannotRead(ec.message());
  if (std::error_code ec = sys::fs::real_path(dir.empty() ? "." : dir, realDir))
    return cannotRead(ec.message());
  StringRef inside = StringRef(realFile);
  if (!inside.consume_front(realDir) ||
      !(sys::path::is_separator(realDir.back()) ||
        (!inside.empty() && sys::path::is_separator(inside.front()))))
    return tensorError(proto, "external data file '" + path +
                                  "' resolves to '" + realFile +
                                  "', outside the model's directory");
  sys::fs::file_status status;
  if (std::error_code ec = sys::fs::status(realFile, status))
    return cannotRead(ec.message());
  if (status.type() != sys::fs::file_type::regular_file)
    return tensorError(proto, "external data file '" + path +
                                  "' is not a regular file");
  uint64_t size = status.getSize();
  if (uint64_t(offset) > size)
    return tensorError(proto, "external data offset " + Twine(offset) +
                                  " is past the end of '" + path + "' (" +
                                  Twine(size) + " bytes)");
  if (length < 0)
    length = size - offset;
  if (uint64_t(length) > size - offset)
    return tensorError(proto, "external data range [" + Twine(offset) + ", " +
                                  Twine(offset) + " + " + Twine(length) +
                                  ") is outside '" + path + "' (" +
                                  Twine(size) + " bytes)");
  if (uint64_t(length) != expectedBytes)
    return tensorError(proto, "has " + Twine(length) +
                                  " bytes of external data, but its shape "
                                  "needs " +
                                  Twine(expectedBytes));
  auto buffer = MemoryBuffer::getFileSlice(realFile, length, offset,
                                           /*IsVolatile=*/false);
  if (!buffer)
    return cannotRead(buffer.getError().message());
  return std::string((*buffer)->getBufferStart(), length);
}

Expected<HostTensor> HostTensor::fromProto(onnx::TensorProto &proto,
                                           StringRef externalDataDir) {
  int32_t dtype = proto.data_type();
  size_t elementSize = getDTypeSize(dtype);
  if (elementSize == 0)
    return tensorError(proto, "element type " + getDTypeName(dtype) +
                                  " is not supported");
  SmallVector<int64_t, 4> shape(proto.dims().begin(), proto.dims().end());
  uint64_t bytes = elementSize;
  for (int64_t d : shape) {
    if (d < 0)
      return tensorError(proto, "negative dimension in its shape");
    bytes = llvm::SaturatingMultiply<uint64_t>(bytes, uint64_t(d));
  }
  // A corrupt shape must not overflow the size computations below.
  if (bytes > uint64_t(INT64_MAX))
    return tensorError(proto, "shape " + tandem::accel::formatShape(shape) +
                                  " of " + getDTypeName(dtype) +
                                  " is larger than any file can hold");
  if (Error err = checkTensorSize(shape, elementSize, "the tensor"))
    return tensorError(proto, toString(std::move(err)));
  HostTensor t;
  t.dtype = dtype;
  t.shape = shape;
  t.sourceName = proto.name();
  int64_t n = t.getNumElements();
  size_t expectedBytes = n * elementSize;

  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    auto bytes = readExternalData(proto, externalDataDir, expectedBytes);
    if (!bytes)
      return bytes.takeError();
    t.data = std::make_shared<std::string>(std::move(*bytes));
  } else if (proto.has_raw_data()) {
    // Move the bytes out of the proto: no copy of large weights.
    t.data.reset(proto.release_raw_data());
  } else {
    // The typed fields' count is checked before anything is allocated.
    int64_t count;
    switch (dtype) {
    case kFloat:
      count = proto.float_data_size();
      break;
    case kDouble:
      count = proto.double_data_size();
      break;
    case kInt64:
      count = proto.int64_data_size();
      break;
    case kUInt32:
    case kUInt64:
      count = proto.uint64_data_size();
      break;
    default:
      count = proto.int32_data_size();
      break;
    }
    if (count != n)
      return tensorError(proto, "has " + Twine(count) + " values for shape " +
                                    tandem::accel::formatShape(shape) + " (" +
                                    Twine(n) + " elements)");
    HostTensor typed(dtype, shape);
    switch (dtype) {
    case kFloat:
      for (int64_t i = 0; i < n; ++i)
        typed.setDouble(i, proto.float_data(i));
      break;
    case kDouble:
      for (int64_t i = 0; i < n; ++i)
        typed.setDouble(i, proto.double_data(i));
      break;
    case kInt64:
      for (int64_t i = 0; i < n; ++i)
        typed.setInt(i, proto.int64_data(i));
      break;
    case kUInt32:
    case kUInt64:
      for (int64_t i = 0; i < n; ++i)
        typed.setInt(i, static_cast<int64_t>(proto.uint64_data(i)));
      break;
    case kFloat16:
    case kBFloat16:
      // int32_data holds the 16-bit patterns.
      for (int64_t i = 0; i < n; ++i)
        store<uint16_t>(*typed.data, i,
                        static_cast<uint16_t>(proto.int32_data(i)));
      break;
    default:
      for (int64_t i = 0; i < n; ++i)
        typed.setInt(i, proto.int32_data(i));
      break;
    }
    t.data = typed.data;
  }
  if (t.data->size() != expectedBytes)
    return tensorError(
        proto, "has " + Twine(t.data->size()) + " bytes of data, but shape " +
                   tandem::accel::formatShape(shape) + " of " +
                   getDTypeName(dtype) + " needs " + Twine(expectedBytes));
  return t;
}

//===----------------------------------------------------------------------===//
// To MLIR
//===----------------------------------------------------------------------===//

ElementsAttr HostTensor::toAttribute(RankedTensorType type,
                                     int64_t maxInlineElements,
                                     StringRef blobName) const {
  int64_t n = getNumElements();
  if (dtype == kBool) {
    SmallVector<bool> values;
    for (int64_t i = 0; i < n; ++i)
      values.push_back(getInt(i) != 0);
    return DenseElementsAttr::get(type, values);
  }
  ArrayRef<char> raw = getRawData();
  size_t elementSize = getDTypeSize(dtype);
  if (n > 0 && isSplat())
    return DenseElementsAttr::getFromRawBuffer(type,
                                               raw.take_front(elementSize));
  if (n <= maxInlineElements)
    return DenseElementsAttr::getFromRawBuffer(type, raw);

  // Share the bytes with the blob; copy only if they are misaligned.
  std::shared_ptr<std::string> owner = data;
  if (reinterpret_cast<uintptr_t>(raw.data()) % elementSize != 0) {
    owner = std::make_shared<std::string>(raw.begin(), raw.end());
    raw = ArrayRef<char>(owner->data(), owner->size());
  }
  AsmResourceBlob blob(
      raw, elementSize,
      [owner](void *, size_t, size_t) mutable { owner.reset(); },
      /*dataIsMutable=*/false);
  return DenseResourceElementsAttr::get(type, blobName, std::move(blob));
}

//===----------------------------------------------------------------------===//
// Folding
//===----------------------------------------------------------------------===//

namespace {

/// Row-major strides of `shape`, with 0 where `shape` (right-aligned against
/// a result of rank `rank`) broadcasts.
SmallVector<int64_t> broadcastStrides(ArrayRef<int64_t> shape,
                                      ArrayRef<int64_t> result) {
  SmallVector<int64_t> strides(result.size(), 0);
  int64_t stride = 1;
  size_t offset = result.size() - shape.size();
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    strides[offset + d] = shape[d] == 1 && result[offset + d] != 1 ? 0 : stride;
    stride *= shape[d];
  }
  return strides;
}

/// Calls fn(resultIndex, offsets) for every element of `result`, where
/// offsets[k] is the element of operand k it reads.
void forEachElement(ArrayRef<int64_t> result,
                    ArrayRef<SmallVector<int64_t>> strides,
                    llvm::function_ref<void(int64_t, ArrayRef<int64_t>)> fn) {
  int64_t n = tandem::accel::getNumElements(result);
  SmallVector<int64_t> index(result.size(), 0);
  SmallVector<int64_t> offsets(strides.size(), 0);
  for (int64_t linear = 0; linear < n; ++linear) {
    fn(linear, offsets);
    // Advance the multi-index like an odometer, updating offsets.
    for (int64_t d = result.size() - 1; d >= 0; --d) {
      ++index[d];
      for (size_t k = 0; k < strides.size(); ++k)
        offsets[k] += strides[k][d];
      if (index[d] < result[d])
        break;
      for (size_t k = 0; k < strides.size(); ++k)
        offsets[k] -= strides[k][d] * result[d];
      index[d] = 0;
    }
  }
}

SmallVector<int64_t> broadcastAll(ArrayRef<ArrayRef<int64_t>> shapes) {
  SmallVector<int64_t> result;
  for (ArrayRef<int64_t> shape : shapes) {
    auto b = tandem::accel::broadcastShapes(result, shape);
    assert(b && "operands were checked to broadcast");
    result.assign(b->begin(), b->end());
  }
  return result;
}

} // namespace

HostTensor foldBinary(const HostTensor &lhs, const HostTensor &rhs,
                      int32_t outDType,
                      const std::function<int64_t(int64_t, int64_t)> &intFn,
                      const std::function<double(double, double)> &floatFn) {
  SmallVector<int64_t> shape = broadcastAll({lhs.getShape(), rhs.getShape()});
  HostTensor out(outDType, shape);
  SmallVector<SmallVector<int64_t>> strides = {
      broadcastStrides(lhs.getShape(), shape),
      broadcastStrides(rhs.getShape(), shape)};
  bool useFloat = lhs.isFloat();
  forEachElement(shape, strides, [&](int64_t i, ArrayRef<int64_t> at) {
    if (useFloat)
      out.setDouble(i, floatFn(lhs.getDouble(at[0]), rhs.getDouble(at[1])));
    else
      out.setInt(i, intFn(lhs.getInt(at[0]), rhs.getInt(at[1])));
  });
  return out;
}

HostTensor foldUnary(const HostTensor &input,
                     const std::function<double(double)> &fn) {
  HostTensor out(input.getDType(), input.getShape());
  for (int64_t i = 0, e = input.getNumElements(); i < e; ++i)
    out.setDouble(i, fn(input.getDouble(i)));
  return out;
}

HostTensor foldCast(const HostTensor &input, int32_t dtype) {
  HostTensor out(dtype, input.getShape());
  for (int64_t i = 0, e = input.getNumElements(); i < e; ++i) {
    if (input.isFloat())
      out.setDouble(i, input.getDouble(i));
    else
      out.setInt(i, input.getInt(i));
  }
  return out;
}

HostTensor foldWhere(const HostTensor &condition, const HostTensor &lhs,
                     const HostTensor &rhs) {
  SmallVector<int64_t> shape =
      broadcastAll({condition.getShape(), lhs.getShape(), rhs.getShape()});
  HostTensor out(lhs.getDType(), shape);
  SmallVector<SmallVector<int64_t>> strides = {
      broadcastStrides(condition.getShape(), shape),
      broadcastStrides(lhs.getShape(), shape),
      broadcastStrides(rhs.getShape(), shape)};
  forEachElement(shape, strides, [&](int64_t i, ArrayRef<int64_t> at) {
    const HostTensor &pick = condition.getInt(at[0]) ? lhs : rhs;
    int64_t from = condition.getInt(at[0]) ? at[1] : at[2];
    if (pick.isFloat())
      out.setDouble(i, pick.getDouble(from));
    else
      out.setInt(i, pick.getInt(from));
  });
  return out;
}

/// Copies elements: result element i comes from input offset fn(i).
static HostTensor gatherElements(const HostTensor &input,
                                 ArrayRef<int64_t> shape,
                                 ArrayRef<int64_t> strides, int64_t base) {
  HostTensor out(input.getDType(), shape);
  size_t size = getDTypeSize(input.getDType());
  const char *from = input.getRawData().data();
  char *to = const_cast<char *>(out.getRawData().data());
  SmallVector<SmallVector<int64_t>> allStrides = {
      SmallVector<int64_t>(strides.begin(), strides.end())};
  forEachElement(shape, allStrides, [&](int64_t i, ArrayRef<int64_t> at) {
    std::memcpy(to + i * size, from + (base + at[0]) * size, size);
  });
  return out;
}

static SmallVector<int64_t> rowMajorStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

HostTensor foldTranspose(const HostTensor &input, ArrayRef<int64_t> perm) {
  SmallVector<int64_t> inStrides = rowMajorStrides(input.getShape());
  SmallVector<int64_t> shape, strides;
  for (int64_t p : perm) {
    shape.push_back(input.getShape()[p]);
    strides.push_back(inStrides[p]);
  }
  return gatherElements(input, shape, strides, 0);
}

HostTensor foldBroadcast(const HostTensor &input, ArrayRef<int64_t> shape) {
  return gatherElements(input, shape, broadcastStrides(input.getShape(), shape),
                        0);
}

HostTensor foldSlice(const HostTensor &input, ArrayRef<int64_t> starts,
                     ArrayRef<int64_t> steps, ArrayRef<int64_t> shape) {
  SmallVector<int64_t> inStrides = rowMajorStrides(input.getShape());
  SmallVector<int64_t> strides;
  int64_t base = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    base += starts[d] * inStrides[d];
    strides.push_back(steps[d] * inStrides[d]);
  }
  return gatherElements(input, shape, strides, base);
}

HostTensor foldGather(const HostTensor &data, const HostTensor &indices,
                      int64_t axis) {
  ArrayRef<int64_t> dataShape = data.getShape();
  SmallVector<int64_t> shape(dataShape.begin(), dataShape.begin() + axis);
  shape.append(indices.getShape().begin(), indices.getShape().end());
  shape.append(dataShape.begin() + axis + 1, dataShape.end());
  int64_t outer = tandem::accel::getNumElements(dataShape.take_front(axis));
  int64_t inner = tandem::accel::getNumElements(dataShape.drop_front(axis + 1));
  int64_t numIndices = indices.getNumElements();
  HostTensor out(data.getDType(), shape);
  size_t size = getDTypeSize(data.getDType());
  const char *from = data.getRawData().data();
  char *to = const_cast<char *>(out.getRawData().data());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < numIndices; ++k) {
      int64_t src = (o * dataShape[axis] + indices.getInt(k)) * inner;
      int64_t dst = (o * numIndices + k) * inner;
      std::memcpy(to + dst * size, from + src * size, inner * size);
    }
  return out;
}

HostTensor foldConcat(ArrayRef<const HostTensor *> inputs, int64_t axis) {
  SmallVector<int64_t> shape(inputs.front()->getShape().begin(),
                             inputs.front()->getShape().end());
  shape[axis] = 0;
  for (const HostTensor *t : inputs)
    shape[axis] += t->getShape()[axis];
  HostTensor out(inputs.front()->getDType(), shape);
  size_t size = getDTypeSize(out.getDType());
  int64_t outer =
      tandem::accel::getNumElements(ArrayRef(shape).take_front(axis));
  int64_t inner =
      tandem::accel::getNumElements(ArrayRef(shape).drop_front(axis + 1));
  char *to = const_cast<char *>(out.getRawData().data());
  int64_t written = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (const HostTensor *t : inputs) {
      int64_t chunk = t->getShape()[axis] * inner;
      std::memcpy(to + written * size,
                  t->getRawData().data() + o * chunk * size, chunk * size);
      written += chunk;
    }
  return out;
}

} // namespace tandem::onnx_import
