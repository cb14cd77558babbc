//===- EncodedWeights.h - Reading a layer's encoded weights -----*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// A convolution or matrix product whose weights are shift-add encoded
// carries `accel.weight_encoding` (#accel.weight_encoding); these helpers
// find the weights it applies to and measure them, for the verifier, the
// loop nests, the cost model and the passes that write the attribute.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_DIALECT_ACCEL_IR_ENCODEDWEIGHTS_H
#define TANDEM_DIALECT_ACCEL_IR_ENCODEDWEIGHTS_H

#include "tandem/Support/WeightEncoding.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace tandem::accel {

constexpr llvm::StringLiteral kWeightEncodingAttr = "accel.weight_encoding";

/// The operand index of `op`'s weights, if it is a contraction that
/// multiplies by a constant (a Weight-role data space); otherwise `why`
/// says what it is instead.
std::optional<unsigned> getWeightOperand(mlir::Operation *op, std::string &why);

/// The storage integers of a quantized constant: a quant.scast of an integer
/// arith.constant (inline or as a resource).
std::optional<llvm::SmallVector<int64_t>>
getConstantStorageValues(mlir::Value value);

/// What an encoding costs on some weights, or the first it cannot hold.
struct WeightTerms {
  int64_t weights = 0;
  /// Non-zero power-of-two terms over all weights, and the most of one.
  int64_t terms = 0, maxTerms = 0;
  /// The first weight the encoding cannot hold (index, value).
  std::optional<std::pair<int64_t, int64_t>> unrepresentable;
};
WeightTerms countWeightTerms(llvm::ArrayRef<int64_t> values,
                             const WeightEncoding &encoding);

/// Checks `accel.weight_encoding` on `op` (the dialect's attribute
/// verifier): a contraction by quantized symmetric constant weights, every
/// integer one the encoding holds, `terms` as the weights have it.
mlir::LogicalResult verifyWeightEncoding(mlir::Operation *op,
                                         mlir::Attribute value);

} // namespace tandem::accel

#endif // TANDEM_DIALECT_ACCEL_IR_ENCODEDWEIGHTS_H
