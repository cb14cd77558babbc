//===- ConstantUtils.h - Reading and writing weight constants ---*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Weights arrive as `dense` attributes (small or splat) or `dense_resource`
// blobs (large). Passes that rewrite weights read and write both through
// these helpers.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_DIALECT_ACCEL_IR_CONSTANTUTILS_H
#define TANDEM_DIALECT_ACCEL_IR_CONSTANTUTILS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace tandem::accel {

/// The f32 values of `value` if it is defined by a constant op holding f32
/// elements (dense or dense_resource, splats expanded), else nullopt.
std::optional<llvm::SmallVector<float>> getConstantF32Values(mlir::Value value);

/// Whether `value` is a constant: a constant op, or quantized weights (a
/// quant.scast of one).
bool isConstantTensor(mlir::Value value);

/// An f32 elements attribute of `type` holding `values`: a splat or a small
/// tensor as a DenseElementsAttr, a larger one as a dense_resource blob
/// named `blobName` (uniqued if taken).
mlir::ElementsAttr createF32Elements(mlir::RankedTensorType type,
                                     llvm::ArrayRef<float> values,
                                     llvm::StringRef blobName,
                                     int64_t maxInlineElements = 64);

} // namespace tandem::accel

#endif // TANDEM_DIALECT_ACCEL_IR_CONSTANTUTILS_H
