//===- Lowering.h - Shared pieces of the accel-to-linalg lowering -*- C++ -*-//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_LIB_CONVERSION_ACCELTOLINALG_LOWERING_H
#define TANDEM_LIB_CONVERSION_ACCELTOLINALG_LOWERING_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

namespace tandem::accel_to_linalg {

/// An arith.constant of element type `type` with value `value` (converted
/// to an integer for integer types).
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type type, double value);

/// The most negative value of `type` (-inf for floats): the identity of max.
mlir::Value lowestValue(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Type type);

/// A tensor of `type` filled with `value`.
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type, mlir::Value value);

/// `input` padded by `low`/`high` per dimension with `value`.
mlir::Value padTensor(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                      llvm::ArrayRef<int64_t> low, llvm::ArrayRef<int64_t> high,
                      mlir::Value value);

/// `value` reshaped to `type` (same number of elements, row-major) with
/// collapse/expand_shape, which bufferize to views.
mlir::Value reshapeTensor(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value value, mlir::RankedTensorType type);

/// A new tensor of `type` whose element at index d is `input`'s element at
/// `inputMap(d)`: a linalg.generic that only copies (slices with negative
/// steps, broadcasts, im2col-style gathers).
mlir::Value copyThroughMap(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value input, mlir::AffineMap inputMap,
                           mlir::RankedTensorType type);

/// `input` broadcast to `type` with numpy rules: dims aligned on the right,
/// size-1 dims repeated, missing leading dims added.
mlir::Value broadcastTensor(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value input, mlir::RankedTensorType type);

bool isUnsignedInteger(mlir::Type type);

void populateStructuredOpPatterns(mlir::RewritePatternSet &patterns);
void populateElementwisePatterns(mlir::RewritePatternSet &patterns);
void populateDataMovementPatterns(mlir::RewritePatternSet &patterns);

} // namespace tandem::accel_to_linalg

#endif // TANDEM_LIB_CONVERSION_ACCELTOLINALG_LOWERING_H
