//===- ShiftAdd.h - Shift-add encoded weights in quantized IR ---*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Encodes a layer's weights as powers of two (PoT), additive powers of two
// (APoT) or canonical-signed-digit integers (CSD) — docs/shift-add.md. Both
// routes use it: `--accel-quantize` with a policy that names an encoding
// (from the fp32 weights), and `--accel-shift-add` on a quantized module
// (from the quantized weights' real values; biases re-gridded).
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_SHIFTADD_H
#define TANDEM_QUANTIZATION_SHIFTADD_H

#include "tandem/Quantization/Quantize.h"
#include "tandem/Support/WeightEncoding.h"

namespace tandem::quant {

/// Encodes real weights, one scale per channel along `axis` (or one for the
/// tensor): the scale is the largest magnitude over the encoding's top
/// integer or, with Clipping::MSE, that magnitude times the ratio among 1,
/// 0.95, ..., 0.5 whose encoded weights have the least squared error.
/// Grids are symmetric (zero point 0) over +-getLargestMagnitude.
QuantizedWeight encodeWeights(llvm::ArrayRef<float> values,
                              llvm::ArrayRef<int64_t> shape, int32_t axis,
                              const WeightEncoding &encoding, bool perChannel,
                              Clipping clipping);

/// Sets `accel.weight_encoding` on `layer`: its weights hold `terms`
/// non-zero terms (accel::countWeightTerms).
void setWeightEncoding(mlir::Operation *layer, const WeightEncoding &encoding,
                       int64_t terms);

} // namespace tandem::quant

#endif // TANDEM_QUANTIZATION_SHIFTADD_H
