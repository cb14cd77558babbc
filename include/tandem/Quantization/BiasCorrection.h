//===- BiasCorrection.h - Mean rounding error into biases ---*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Rounding a layer's weights changes the mean of each output channel by
// E[(W_q - W) x] = (W_q - W) E[x]: a bias the layer did not have, which low
// widths and power-of-two grids make large and which a depthwise layer
// (few weights per channel) does not average away. Bias correction (Nagel
// et al., "Data-Free Quantization", ICCV 2019) subtracts it from the bias,
// with E[x] the calibrated per-channel means of the layer's input. For a
// convolution each kernel tap counts by the share of output positions at
// which it reads the input rather than padding, so the correction is the
// exact mean error over the output when the input's channel means are.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_BIASCORRECTION_H
#define TANDEM_QUANTIZATION_BIASCORRECTION_H

#include "tandem/Quantization/Statistics.h"

#include "mlir/IR/Operation.h"

#include <optional>

namespace tandem::quant {

/// What to add to each output channel's bias of `layer` (an accel.conv2d,
/// or an accel.matmul with a rank-2 constant right operand) whose real
/// `weights` became `rounded` (same layout): minus the mean error the
/// rounding adds to the channel. nullopt when `input` (the statistics of
/// the layer's activation operand) has no channel means along the axis the
/// layer reduces.
std::optional<llvm::SmallVector<double>>
getBiasCorrection(mlir::Operation *layer, llvm::ArrayRef<float> weights,
                  llvm::ArrayRef<double> rounded,
                  const TensorStatistics &input);

} // namespace tandem::quant

#endif // TANDEM_QUANTIZATION_BIASCORRECTION_H
