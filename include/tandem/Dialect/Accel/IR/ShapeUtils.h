//===- ShapeUtils.h - Shape rules shared by verifiers and importer -*- C++ -*-//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The shape arithmetic of the accel operators in one place, so the op
// verifiers, the loop-nest views and the ONNX importer cannot disagree.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_DIALECT_ACCEL_IR_SHAPEUTILS_H
#define TANDEM_DIALECT_ACCEL_IR_SHAPEUTILS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace tandem::accel {

/// Numpy broadcast of two shapes (aligned from the right; a size-1 or missing
/// dimension stretches), or nullopt if some pair of dimensions differs and
/// neither is 1.
std::optional<llvm::SmallVector<int64_t, 4>>
broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs);

/// Number of positions of a window of `kernel` taps, `dilation` apart, that
/// slides by `stride` over `size` elements padded by `padBegin` and `padEnd`.
/// Rounds down, or up with `ceilMode` (dropping a last window that would
/// start inside the trailing padding, as PyTorch does). Returns a value < 1
/// when not even one window fits.
int64_t getWindowOutputSize(int64_t size, int64_t kernel, int64_t stride,
                            int64_t dilation, int64_t padBegin, int64_t padEnd,
                            bool ceilMode = false);

/// Product of the dimensions.
int64_t getNumElements(llvm::ArrayRef<int64_t> shape);

/// "1x3x224x224" (a scalar prints as "scalar").
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// "[1, 3, 224, 224]".
std::string formatList(llvm::ArrayRef<int64_t> values);

} // namespace tandem::accel

#endif // TANDEM_DIALECT_ACCEL_IR_SHAPEUTILS_H
