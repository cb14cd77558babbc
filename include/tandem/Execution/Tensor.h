//===- Tensor.h - Host tensors going in and out of compiled models -*- C++ -*-//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_EXECUTION_TENSOR_H
#define TANDEM_EXECUTION_TENSOR_H

#include "mlir/IR/Types.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tandem::exec {

/// Element types a compiled model can take and return.
enum class ElementType { F32, F64, F16, BF16, I64, I32, I16, I8, I1 };

size_t getElementSize(ElementType type);
/// "f32", "i64", "i1", ... as MLIR spells them.
llvm::StringRef getElementTypeName(ElementType type);
/// The element type for an MLIR type (signless integers), if supported.
std::optional<ElementType> getElementType(mlir::Type type);
bool isFloat(ElementType type);

/// A dense, row-major tensor in host memory.
struct Tensor {
  ElementType type = ElementType::F32;
  llvm::SmallVector<int64_t, 4> shape;
  /// The elements, row-major; 64-bit words keep any element type aligned.
  std::vector<uint64_t> storage;

  Tensor() = default;
  Tensor(ElementType type, llvm::ArrayRef<int64_t> shape);

  int64_t getNumElements() const;
  size_t getByteSize() const { return getNumElements() * getElementSize(type); }
  char *data() { return reinterpret_cast<char *>(storage.data()); }
  const char *data() const {
    return reinterpret_cast<const char *>(storage.data());
  }
  /// Element `i` converted to double (for comparing and printing).
  double getAsDouble(int64_t i) const;
  void setFromDouble(int64_t i, double value);
  /// "1x3x224x224xf32".
  std::string describe() const;
};

} // namespace tandem::exec

#endif // TANDEM_EXECUTION_TENSOR_H
