//===- Grid.h - The grid of a !quant.uniform type ----------------*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Scales, zero points and storage range of a signed uniform quantized type,
// per tensor or per channel, as the lowering and the QDQ exporter read them.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_GRID_H
#define TANDEM_QUANTIZATION_GRID_H

#include "mlir/IR/Types.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <optional>

namespace tandem::quant {

struct Grid {
  llvm::SmallVector<double> scales;
  llvm::SmallVector<int64_t> zeroPoints;
  /// The quantized dimension, or -1 per tensor.
  int32_t axis = -1;
  int64_t qmin = 0, qmax = 0;
  unsigned bits = 8;

  bool isPerAxis() const { return axis >= 0; }
  double scale(int64_t c) const { return scales[isPerAxis() ? c : 0]; }
  int64_t zero(int64_t c) const { return zeroPoints[isPerAxis() ? c : 0]; }
  bool hasZeroPoints() const {
    return llvm::any_of(zeroPoints, [](int64_t z) { return z != 0; });
  }
};

/// The grid of `type` (a tensor of, or a) signed !quant.uniform, per tensor
/// or per axis; nullopt for anything else (unsigned storage included).
std::optional<Grid> getGrid(mlir::Type type);

/// Whether a convolution of an NCHW `input` by a KCRS `weight` in `groups`
/// groups reads each input channel alone into one output channel of its
/// own (depthwise, channel multiplier 1, more than one channel): its input
/// may then have a grid per channel (axis 1) at no cost, each output
/// channel's accumulator having the scale of its one input channel.
bool readsChannelsAlone(llvm::ArrayRef<int64_t> input,
                        llvm::ArrayRef<int64_t> weight, int64_t groups);

} // namespace tandem::quant

#endif // TANDEM_QUANTIZATION_GRID_H
