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

namespace tandem::accel {
class Pool2DOp;
} // namespace tandem::accel

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

/// For average pooling: the divisor of every output position, i.e. the
/// number of window taps that fall inside the input (or inside the padded
/// input with count_include_pad), never counting the extra region ceil
/// mode adds.
llvm::SmallVector<double> windowCounts(int64_t in, int64_t out, int64_t kernel,
                                       int64_t stride, int64_t dilation,
                                       int64_t padBegin, int64_t padEnd,
                                       bool includePad);

/// A pooling op's pads [top, left, bottom, right], the bottom and right
/// ones extended so that ceil mode's last window fits.
llvm::SmallVector<int64_t> getPoolPads(tandem::accel::Pool2DOp op);

/// The average-pooling divisor of each output position, row-major P x Q.
llvm::SmallVector<double> getPoolCounts(tandem::accel::Pool2DOp op);

void populateStructuredOpPatterns(mlir::RewritePatternSet &patterns);
void populateElementwisePatterns(mlir::RewritePatternSet &patterns);
void populateDataMovementPatterns(mlir::RewritePatternSet &patterns);

} // namespace tandem::accel_to_linalg

#endif // TANDEM_LIB_CONVERSION_ACCELTOLINALG_LOWERING_H
