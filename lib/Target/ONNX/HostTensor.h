//===- HostTensor.h - ONNX tensors whose values the importer knows -*- C++ -*-//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Initializers, Constant nodes and the results of folded shape computations.
// Values are kept as little-endian bytes in the ONNX element type's layout,
// shared rather than copied, so a 100 MB weight file is handed to MLIR's
// resource blobs without a second copy. Folding reads and writes elements
// through getDouble/getInt and setDouble/setInt.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_LIB_TARGET_ONNX_HOSTTENSOR_H
#define TANDEM_LIB_TARGET_ONNX_HOSTTENSOR_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <string>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace tandem::onnx_import {

/// ONNX element type codes (onnx::TensorProto_DataType), named here so that
/// code using HostTensor need not include the protobuf headers.
enum DType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kBFloat16 = 16,
};

/// Size in bytes of one element, or 0 for types Tandem does not handle.
size_t getDTypeSize(int32_t dtype);
bool isFloatDType(int32_t dtype);
/// "float", "int64", ... as ONNX spells them.
llvm::StringRef getDTypeName(int32_t dtype);
/// The MLIR element type for an ONNX type, or null if there is none.
mlir::Type getMLIRElementType(int32_t dtype, mlir::MLIRContext *context);

class HostTensor {
public:
  HostTensor() = default;
  /// A zero-filled tensor.
  HostTensor(int32_t dtype, llvm::ArrayRef<int64_t> shape);

  /// Takes the value of an initializer or Constant attribute. Raw data is
  /// moved out of `proto` (no copy); typed fields are converted; external
  /// data is read relative to `externalDataDir`.
  static llvm::Expected<HostTensor> fromProto(onnx::TensorProto &proto,
                                              llvm::StringRef externalDataDir);
  static HostTensor fromInts(int32_t dtype, llvm::ArrayRef<int64_t> shape,
                             llvm::ArrayRef<int64_t> values);
  static HostTensor fromDoubles(int32_t dtype, llvm::ArrayRef<int64_t> shape,
                                llvm::ArrayRef<double> values);

  int32_t getDType() const { return dtype; }
  llvm::ArrayRef<int64_t> getShape() const { return shape; }
  int64_t getRank() const { return shape.size(); }
  int64_t getNumElements() const;
  bool isFloat() const { return isFloatDType(dtype); }

  double getDouble(int64_t index) const;
  int64_t getInt(int64_t index) const;
  void setDouble(int64_t index, double value);
  void setInt(int64_t index, int64_t value);
  /// Every element as an integer (for shape, axes and index operands).
  llvm::SmallVector<int64_t> toInts() const;

  /// The same data seen with another shape of the same size.
  HostTensor reshaped(llvm::ArrayRef<int64_t> newShape) const;
  bool isSplat() const;

  llvm::ArrayRef<char> getRawData() const;

  /// The initializer this value comes from, unchanged ("" for computed
  /// values); names its resource blob.
  llvm::StringRef getSourceName() const { return sourceName; }

  /// An attribute holding this value as `type`: a splat or small tensor
  /// becomes a DenseElementsAttr, a larger one a DenseResourceElementsAttr
  /// blob named after `blobName` that shares this tensor's bytes.
  mlir::ElementsAttr toAttribute(mlir::RankedTensorType type,
                                 int64_t maxInlineElements,
                                 llvm::StringRef blobName) const;

private:
  int32_t dtype = kUndefined;
  llvm::SmallVector<int64_t, 4> shape;
  std::shared_ptr<std::string> data;
  std::string sourceName;
};

//===----------------------------------------------------------------------===//
// Folding: the host-side counterparts of the ops that shape computations use.
//===----------------------------------------------------------------------===//

/// Elementwise binary op with numpy broadcasting; `outDType` is the result's
/// element type. Integer types use `intFn`, floating types `floatFn`.
HostTensor foldBinary(const HostTensor &lhs, const HostTensor &rhs,
                      int32_t outDType,
                      const std::function<int64_t(int64_t, int64_t)> &intFn,
                      const std::function<double(double, double)> &floatFn);
/// Elementwise unary op keeping the element type.
HostTensor foldUnary(const HostTensor &input,
                     const std::function<double(double)> &fn);
HostTensor foldCast(const HostTensor &input, int32_t dtype);
HostTensor foldWhere(const HostTensor &condition, const HostTensor &lhs,
                     const HostTensor &rhs);
HostTensor foldTranspose(const HostTensor &input, llvm::ArrayRef<int64_t> perm);
HostTensor foldBroadcast(const HostTensor &input,
                         llvm::ArrayRef<int64_t> shape);
/// Elements starts[d] + i * steps[d] along every dimension d, `shape` of them.
HostTensor foldSlice(const HostTensor &input, llvm::ArrayRef<int64_t> starts,
                     llvm::ArrayRef<int64_t> steps,
                     llvm::ArrayRef<int64_t> shape);
/// ONNX Gather with normalized (non-negative, in range) indices.
HostTensor foldGather(const HostTensor &data, const HostTensor &indices,
                      int64_t axis);
HostTensor foldConcat(llvm::ArrayRef<const HostTensor *> inputs, int64_t axis);

} // namespace tandem::onnx_import

#endif // TANDEM_LIB_TARGET_ONNX_HOSTTENSOR_H
