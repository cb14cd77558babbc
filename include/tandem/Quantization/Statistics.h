//===- Statistics.h - Ranges, histograms and quantization parameters -*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// What calibration records about a tensor (its range and a histogram over
// it), how a clipping method turns that into a range for a given width, and
// how a range becomes a scale and zero point. Pure arithmetic, shared by the
// calibration and quantization passes and the unit tests.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_STATISTICS_H
#define TANDEM_QUANTIZATION_STATISTICS_H

#include "tandem/Quantization/Policy.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace tandem::quant {

/// Bins of a calibration histogram.
constexpr int64_t kHistogramBins = 1024;
/// Bins of one channel's histogram (the inputs of depthwise layers): fewer,
/// since such a tensor may have hundreds of channels and the IR holds them.
constexpr int64_t kChannelHistogramBins = 128;

/// A tensor's observed values: their range, and a histogram of
/// kHistogramBins equal bins over [min, max].
struct TensorStatistics {
  double min = 0, max = 0;
  std::vector<int64_t> histogram;
  /// The mean of each channel along `channelAxis` (axis 1 of a 4-D NCHW
  /// tensor, else the last axis; empty below rank 2): the E[x] of bias
  /// correction.
  std::vector<double> channelMeans;
  int64_t channelAxis = -1;
  /// Each channel's range and histogram along `channelAxis` (of
  /// kChannelHistogramBins bins), recorded for the inputs of depthwise
  /// layers only, which may be quantized per channel; empty otherwise.
  std::vector<TensorStatistics> channels;

  int64_t getCount() const;
  /// The value at the centre of bin `i`.
  double getBinCentre(int64_t i) const;
};

/// Accumulates statistics in two passes over the same data: ranges first,
/// then histograms over those ranges.
class StatisticsBuilder {
public:
  void observeRange(llvm::ArrayRef<float> values);
  /// Switches to histogram counting (call after every observeRange).
  void startHistogram();
  void observeHistogram(llvm::ArrayRef<float> values);
  /// Adds `values`, of `shape`, to the channel means (call in one of the
  /// two passes only).
  void observeChannels(llvm::ArrayRef<float> values,
                       llvm::ArrayRef<int64_t> shape);
  /// Records each channel's range and histogram too (call before
  /// observing): observeEachChannel then adds to them.
  void recordChannelHistograms() { perChannel = true; }
  /// Adds `values`, of `shape`, to each channel's range (before
  /// startHistogram) or histogram (after); call in both passes.
  void observeEachChannel(llvm::ArrayRef<float> values,
                          llvm::ArrayRef<int64_t> shape);
  TensorStatistics take();

private:
  TensorStatistics stats;
  bool seen = false;
  bool perChannel = false;
  std::vector<StatisticsBuilder> channelBuilders;
  std::vector<double> channelSums;
  std::vector<int64_t> channelCounts;
};

/// The axis whose channel means calibration records for a tensor of `rank`
/// (-1: none).
int64_t getChannelAxis(int64_t rank);

/// The integer grid of a quantized tensor and where real 0 lies on it.
struct QuantParams {
  double scale = 1;
  int64_t zeroPoint = 0;
  int64_t qmin = -128, qmax = 127;

  /// The real value `x` rounded to the grid (round half to even, clamped),
  /// as an integer.
  int64_t quantize(double x) const;
  double dequantize(int64_t q) const { return (q - zeroPoint) * scale; }
};

/// The grid of `bits` for the range [lo, hi]. Symmetric grids are narrow
/// (-(2^(b-1)-1) .. 2^(b-1)-1, zero point 0) and cover max(|lo|, |hi|);
/// asymmetric grids use the full range -2^(b-1) .. 2^(b-1)-1 and widen
/// [lo, hi] to include 0 (so zero is exact, which padding needs). Scales
/// are rounded to float precision, so float and integer execution use the
/// same scale. A range of zero width gets scale 1.
QuantParams chooseParams(double lo, double hi, int64_t bits, bool symmetric);

/// The clipping range of `stats` for `bits` by `clipping`: min-max; the
/// values below and above which (100 - percentile)/2 % of the observed
/// values lie (percentile); the range, [min, max] scaled towards 0,
/// minimizing the expected squared quantization error over the histogram
/// (mse); or the range minimizing the KL divergence between the histogram
/// and its quantized form (kl, TensorRT's entropy calibration; among
/// ranges spanning at least one histogram bin per grid level).
std::pair<double, double> clipRange(const TensorStatistics &stats,
                                    Clipping clipping, int64_t bits,
                                    bool symmetric, double percentile);

/// Parameters for a weight tensor's channel (or the whole tensor):
/// min-max, or the clipping ratio of the range that minimizes the squared
/// error of the values themselves (mse).
QuantParams chooseWeightParams(llvm::ArrayRef<float> values, int64_t bits,
                               bool symmetric, Clipping clipping);

/// A real multiplier M > 0 as m * 2^-shift with m in [2^30, 2^31): the
/// fixed-point form requantization multiplies by. M >= 2^31 is not
/// representable (returns false); tiny M gives shift > 62, which rounds
/// every accumulator to 0.
struct FixedPointMultiplier {
  int64_t multiplier = 0;
  int64_t shift = 0;
};
bool getFixedPointMultiplier(double real, FixedPointMultiplier &out);

/// `value * m * 2^-shift` rounded half to even, as the integer lowering
/// computes it (`value * m` must fit in 63 bits).
int64_t applyFixedPointMultiplier(int64_t value, FixedPointMultiplier m);

} // namespace tandem::quant

#endif // TANDEM_QUANTIZATION_STATISTICS_H
