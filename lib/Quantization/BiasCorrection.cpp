//===- BiasCorrection.cpp - Weights' mean rounding error into biases ------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/BiasCorrection.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

using namespace mlir;
using namespace tandem;
using namespace tandem::quant;
using namespace tandem::accel;

namespace {

/// For each of a window's `taps` offsets along one spatial axis: the share
/// of the `out` output positions at which it reads one of the `in` input
/// positions (not padding).
SmallVector<double> getTapShares(int64_t taps, int64_t in, int64_t out,
                                 int64_t stride, int64_t padBefore,
                                 int64_t dilation) {
  SmallVector<double> shares(taps, 0);
  for (int64_t t = 0; t < taps; ++t) {
    int64_t inside = 0;
    for (int64_t o = 0; o < out; ++o) {
      int64_t i = o * stride - padBefore + t * dilation;
      inside += i >= 0 && i < in;
    }
    shares[t] = out > 0 ? static_cast<double>(inside) / out : 0;
  }
  return shares;
}

std::optional<SmallVector<double>> correctConv(Conv2DOp conv,
                                               ArrayRef<float> weights,
                                               ArrayRef<double> rounded,
                                               const TensorStatistics &input) {
  auto inType = cast<RankedTensorType>(conv.getInput().getType());
  auto wType = cast<RankedTensorType>(conv.getWeight().getType());
  auto outType = cast<RankedTensorType>(conv.getType());
  int64_t k = wType.getDimSize(0), cg = wType.getDimSize(1),
          r = wType.getDimSize(2), s = wType.getDimSize(3);
  int64_t groups = conv.getGroups();
  if (input.channelAxis != 1 ||
      static_cast<int64_t>(input.channelMeans.size()) != inType.getDimSize(1) ||
      groups <= 0 || k % groups != 0 || cg * groups != inType.getDimSize(1))
    return std::nullopt;
  ArrayRef<int64_t> strides = conv.getStrides(), pads = conv.getPads(),
                    dilations = conv.getDilations();
  SmallVector<double> rows =
      getTapShares(r, inType.getDimSize(2), outType.getDimSize(2), strides[0],
                   pads[0], dilations[0]);
  SmallVector<double> cols =
      getTapShares(s, inType.getDimSize(3), outType.getDimSize(3), strides[1],
                   pads[1], dilations[1]);
  SmallVector<double> correction(k, 0);
  int64_t perGroup = k / groups;
  for (int64_t o = 0; o < k; ++o) {
    int64_t firstChannel = (o / perGroup) * cg;
    double error = 0;
    for (int64_t c = 0; c < cg; ++c) {
      double mean = input.channelMeans[firstChannel + c];
      for (int64_t i = 0; i < r; ++i)
        for (int64_t j = 0; j < s; ++j) {
          int64_t e = ((o * cg + c) * r + i) * s + j;
          error += (rounded[e] - weights[e]) * mean * rows[i] * cols[j];
        }
    }
    correction[o] = -error;
  }
  return correction;
}

std::optional<SmallVector<double>>
correctMatmul(MatmulOp mm, ArrayRef<float> weights, ArrayRef<double> rounded,
              const TensorStatistics &input) {
  auto lhsType = cast<RankedTensorType>(mm.getLhs().getType());
  auto wType = cast<RankedTensorType>(mm.getRhs().getType());
  // A batch of weight matrices would need one bias per matrix.
  if (wType.getRank() != 2)
    return std::nullopt;
  int64_t k = wType.getDimSize(0), n = wType.getDimSize(1);
  if (input.channelAxis != lhsType.getRank() - 1 ||
      static_cast<int64_t>(input.channelMeans.size()) != k)
    return std::nullopt;
  SmallVector<double> correction(n, 0);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j)
      correction[j] -=
          (rounded[i * n + j] - weights[i * n + j]) * input.channelMeans[i];
  return correction;
}

} // namespace

std::optional<SmallVector<double>>
tandem::quant::getBiasCorrection(Operation *layer, ArrayRef<float> weights,
                                 ArrayRef<double> rounded,
                                 const TensorStatistics &input) {
  if (weights.size() != rounded.size() || input.channelMeans.empty())
    return std::nullopt;
  std::optional<SmallVector<double>> correction;
  if (auto conv = dyn_cast<Conv2DOp>(layer))
    correction = correctConv(conv, weights, rounded, input);
  else if (auto mm = dyn_cast<MatmulOp>(layer))
    correction = correctMatmul(mm, weights, rounded, input);
  // Means are within the calibrated range (parseStatisticsAttr checks), so
  // a correction is small unless the weights are absurd; never pass on one
  // a float bias cannot hold.
  if (correction && llvm::any_of(*correction, [](double c) {
        return !std::isfinite(c) || std::fabs(c) > 1e30;
      }))
    return std::nullopt;
  return correction;
}
