//===- TensorFiles.cpp - ONNX TensorProto files and host tensors ----------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Target/ONNX/TensorFiles.h"

#include "HostTensor.h"
#include "tandem/Execution/NumPy.h"
#include "tandem/Support/FileIO.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"

#include <climits>
#include <cstring>

using namespace llvm;

namespace tandem {

using onnx_import::HostTensor;

static std::optional<exec::ElementType> toElementType(int32_t dtype) {
  using exec::ElementType;
  switch (dtype) {
  case onnx_import::kFloat:
    return ElementType::F32;
  case onnx_import::kDouble:
    return ElementType::F64;
  case onnx_import::kFloat16:
    return ElementType::F16;
  case onnx_import::kBFloat16:
    return ElementType::BF16;
  case onnx_import::kInt64:
    return ElementType::I64;
  case onnx_import::kInt32:
    return ElementType::I32;
  case onnx_import::kInt16:
    return ElementType::I16;
  case onnx_import::kInt8:
    return ElementType::I8;
  case onnx_import::kBool:
    return ElementType::I1;
  default:
    return std::nullopt;
  }
}

static int32_t toONNXType(exec::ElementType type) {
  using exec::ElementType;
  switch (type) {
  case ElementType::F32:
    return onnx_import::kFloat;
  case ElementType::F64:
    return onnx_import::kDouble;
  case ElementType::F16:
    return onnx_import::kFloat16;
  case ElementType::BF16:
    return onnx_import::kBFloat16;
  case ElementType::I64:
    return onnx_import::kInt64;
  case ElementType::I32:
    return onnx_import::kInt32;
  case ElementType::I16:
    return onnx_import::kInt16;
  case ElementType::I8:
    return onnx_import::kInt8;
  case ElementType::I1:
    return onnx_import::kBool;
  }
  return onnx_import::kUndefined;
}

Expected<exec::Tensor> readTensorProtoFile(StringRef path) {
  auto buffer = readInputFile(path, kMaxModelFileBytes);
  if (!buffer)
    return buffer.takeError();
  return parseTensorProto((*buffer)->getBuffer(), path,
                          sys::path::parent_path(path));
}

Expected<exec::Tensor> parseTensorProto(StringRef bytes, StringRef path,
                                        StringRef externalDataDir) {
  onnx::TensorProto proto;
  if (bytes.size() > size_t(INT_MAX) ||
      !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return createStringError(inconvertibleErrorCode(),
                             "'" + path + "' is not a serialized TensorProto");
  auto host = HostTensor::fromProto(proto, externalDataDir);
  if (!host)
    return createStringError(inconvertibleErrorCode(),
                             "'" + path + "': " + toString(host.takeError()));
  auto type = toElementType(host->getDType());
  if (!type)
    return createStringError(inconvertibleErrorCode(),
                             "'" + path + "' holds " +
                                 onnx_import::getDTypeName(host->getDType()) +
                                 " elements, which tandem-run cannot pass");
  exec::Tensor t(*type, host->getShape());
  if (t.getByteSize() > 0) // an empty tensor has no buffer to copy to
    std::memcpy(t.data(), host->getRawData().data(), t.getByteSize());
  return t;
}

ONNXConstantInput makeConstantInput(StringRef name, const exec::Tensor &t) {
  ONNXConstantInput c;
  c.name = name.str();
  c.elementType = toONNXType(t.type);
  c.shape.assign(t.shape.begin(), t.shape.end());
  c.bytes.assign(t.data(), t.getByteSize());
  return c;
}

Expected<exec::Tensor> readTensorFile(StringRef path) {
  if (path.ends_with(".npy"))
    return exec::readNpy(path);
  if (path.ends_with(".pb"))
    return readTensorProtoFile(path);
  return createStringError(inconvertibleErrorCode(),
                           "'" + path +
                               "': unknown tensor file type (expected .npy "
                               "or .pb)");
}

} // namespace tandem
