//===- Statistics.cpp - Ranges, histograms and quantization parameters ----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/Statistics.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace tandem;
using namespace tandem::quant;

int64_t TensorStatistics::getCount() const {
  int64_t n = 0;
  for (int64_t c : histogram)
    n += c;
  return n;
}

double TensorStatistics::getBinCentre(int64_t i) const {
  int64_t bins = histogram.empty() ? 1 : histogram.size();
  return min + (max - min) * (i + 0.5) / bins;
}

void StatisticsBuilder::observeRange(llvm::ArrayRef<float> values) {
  for (float v : values) {
    if (!std::isfinite(v))
      continue;
    if (!seen) {
      stats.min = stats.max = v;
      seen = true;
    }
    stats.min = std::min<double>(stats.min, v);
    stats.max = std::max<double>(stats.max, v);
  }
}

void StatisticsBuilder::startHistogram() {
  stats.histogram.assign(kHistogramBins, 0);
  for (StatisticsBuilder &channel : channelBuilders)
    channel.stats.histogram.assign(kChannelHistogramBins, 0);
}

void StatisticsBuilder::observeHistogram(llvm::ArrayRef<float> values) {
  double width = stats.max - stats.min;
  int64_t bins = stats.histogram.size();
  for (float v : values) {
    if (!std::isfinite(v))
      continue;
    int64_t bin =
        width > 0 ? static_cast<int64_t>((v - stats.min) / width * bins) : 0;
    stats.histogram[std::clamp<int64_t>(bin, 0, bins - 1)] += 1;
  }
}

int64_t quant::getChannelAxis(int64_t rank) {
  if (rank < 2)
    return -1;
  return rank == 4 ? 1 : rank - 1;
}

void StatisticsBuilder::observeChannels(llvm::ArrayRef<float> values,
                                        llvm::ArrayRef<int64_t> shape) {
  int64_t axis = getChannelAxis(shape.size());
  if (axis < 0)
    return;
  int64_t channels = shape[axis], inner = 1;
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  if (channels <= 0 || inner <= 0)
    return;
  stats.channelAxis = axis;
  channelSums.resize(channels, 0);
  channelCounts.resize(channels, 0);
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i]))
      continue;
    int64_t c = (i / inner) % channels;
    channelSums[c] += values[i];
    channelCounts[c] += 1;
  }
}

void StatisticsBuilder::observeEachChannel(llvm::ArrayRef<float> values,
                                           llvm::ArrayRef<int64_t> shape) {
  int64_t axis = getChannelAxis(shape.size());
  if (!perChannel || axis < 0)
    return;
  int64_t channels = shape[axis], inner = 1, outer = 1;
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  bool histogram = !stats.histogram.empty();
  if (channelBuilders.empty())
    channelBuilders.resize(channels);
  if (static_cast<int64_t>(channelBuilders.size()) != channels ||
      static_cast<int64_t>(values.size()) != outer * channels * inner)
    return;
  // Channel c's values are `outer` runs of `inner` consecutive elements.
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < channels; ++c) {
      llvm::ArrayRef<float> run =
          values.slice((o * channels + c) * inner, inner);
      if (histogram)
        channelBuilders[c].observeHistogram(run);
      else
        channelBuilders[c].observeRange(run);
    }
}

TensorStatistics StatisticsBuilder::take() {
  for (StatisticsBuilder &channel : channelBuilders) {
    if (!channel.seen || channel.stats.histogram.empty()) {
      stats.channels.clear(); // a channel without a finite value
      break;
    }
    stats.channels.push_back(std::move(channel.stats));
  }
  // A channel with no finite value has no mean, and then neither has the
  // tensor.
  if (!channelCounts.empty() &&
      llvm::all_of(channelCounts, [](int64_t n) { return n > 0; }))
    for (size_t c = 0; c < channelSums.size(); ++c)
      stats.channelMeans.push_back(channelSums[c] / channelCounts[c]);
  return std::move(stats);
}

int64_t QuantParams::quantize(double x) const {
  double q = std::nearbyint(x / scale) + zeroPoint;
  return static_cast<int64_t>(
      std::clamp(q, static_cast<double>(qmin), static_cast<double>(qmax)));
}

QuantParams quant::chooseParams(double lo, double hi, int64_t bits,
                                bool symmetric) {
  QuantParams p;
  int64_t half = int64_t(1) << (bits - 1);
  if (symmetric) {
    p.qmin = -(half - 1);
    p.qmax = half - 1;
    double a = std::max(std::fabs(lo), std::fabs(hi));
    p.scale = a / p.qmax;
    p.zeroPoint = 0;
  } else {
    p.qmin = -half;
    p.qmax = half - 1;
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
    p.scale = (hi - lo) / (p.qmax - p.qmin);
    if (p.scale > 0)
      p.zeroPoint = std::clamp<int64_t>(
          static_cast<int64_t>(std::nearbyint(p.qmin - lo / p.scale)), p.qmin,
          p.qmax);
  }
  // Float execution multiplies by the same scale the integer lowering uses.
  p.scale = static_cast<float>(p.scale);
  if (!(p.scale > 0) || !std::isfinite(p.scale) ||
      p.scale < std::numeric_limits<float>::min()) {
    p.scale = 1;
    p.zeroPoint = symmetric ? 0 : std::clamp<int64_t>(0, p.qmin, p.qmax);
  }
  return p;
}

namespace {

/// Candidate ranges [r * lo, r * hi] for r = 1, 0.99, ..., 0.01.
constexpr int kCandidates = 100;

double squaredError(const TensorStatistics &stats, const QuantParams &p) {
  double err = 0;
  for (size_t i = 0; i < stats.histogram.size(); ++i) {
    if (!stats.histogram[i])
      continue;
    double v = stats.getBinCentre(i);
    double d = v - p.dequantize(p.quantize(v));
    err += stats.histogram[i] * d * d;
  }
  return err;
}

/// KL(P || Q) as TensorRT's entropy calibration measures it: P is the
/// histogram with the mass outside the grid's range moved to the outermost
/// bins inside it; Q is the histogram inside the range alone, each grid
/// level's mass spread evenly over that level's non-empty bins. Q leaves
/// out the clipped mass, so clipping costs: built from P instead, Q equals
/// P as soon as a level covers at most one bin, and a narrow grid (16
/// levels at 4 bits) would clip every tensor to a sliver of its range.
double klDivergence(const TensorStatistics &stats, const QuantParams &p) {
  int64_t bins = stats.histogram.size();
  double lo = p.dequantize(p.qmin), hi = p.dequantize(p.qmax);
  int64_t first = bins, last = -1;
  for (int64_t i = 0; i < bins; ++i) {
    double v = stats.getBinCentre(i);
    if (v >= lo && v <= hi) {
      first = std::min(first, i);
      last = std::max(last, i);
    }
  }
  if (last < 0)
    return std::numeric_limits<double>::infinity();
  std::vector<double> mass(bins, 0);
  for (int64_t i = 0; i < bins; ++i)
    mass[std::clamp(i, first, last)] += stats.histogram[i];
  double total = 0, inside = 0;
  for (int64_t i = first; i <= last; ++i) {
    total += mass[i];
    inside += stats.histogram[i];
  }
  if (inside == 0)
    return std::numeric_limits<double>::infinity();
  // A bin P has and Q lacks (clipped mass landing on an empty edge bin)
  // costs as if Q held `floor` there, never less than nothing.
  const double floor = 1e-4 / bins;
  double kl = 0;
  // Levels are non-decreasing in the bin index: a level's bins are
  // consecutive, so each group is summed and then scored.
  for (int64_t start = first; start <= last;) {
    int64_t level = p.quantize(stats.getBinCentre(start)), end = start;
    double levelMass = 0;
    int64_t levelBins = 0;
    for (; end <= last && p.quantize(stats.getBinCentre(end)) == level; ++end) {
      levelMass += stats.histogram[end];
      levelBins += stats.histogram[end] != 0;
    }
    for (int64_t i = start; i < end; ++i) {
      if (mass[i] == 0)
        continue;
      double pi = mass[i] / total;
      if (stats.histogram[i] != 0)
        kl += pi * std::log(pi / (levelMass / levelBins / inside));
      else
        kl += pi * std::max(0.0, std::log(pi / floor));
    }
    start = end;
  }
  return kl;
}

/// The value below which `share` of the histogram's mass lies.
double quantile(const TensorStatistics &stats, double share) {
  int64_t total = stats.getCount();
  double target = share * total, seen = 0;
  double width = (stats.max - stats.min) / stats.histogram.size();
  for (size_t i = 0; i < stats.histogram.size(); ++i) {
    double next = seen + stats.histogram[i];
    if (next >= target && stats.histogram[i] > 0) {
      double within = (target - seen) / stats.histogram[i];
      return stats.min + width * (i + within);
    }
    seen = next;
  }
  return stats.max;
}

} // namespace

std::pair<double, double> quant::clipRange(const TensorStatistics &stats,
                                           Clipping clipping, int64_t bits,
                                           bool symmetric, double percentile) {
  if (stats.histogram.empty() || stats.getCount() == 0 ||
      clipping == Clipping::MinMax || stats.max <= stats.min)
    return {stats.min, stats.max};
  if (clipping == Clipping::Percentile) {
    double tail = (100.0 - percentile) / 200.0;
    double lo = stats.min < 0 ? quantile(stats, tail) : stats.min;
    double hi = stats.max > 0 ? quantile(stats, 1.0 - tail) : stats.max;
    return {std::min(lo, hi), std::max(lo, hi)};
  }
  std::pair<double, double> best = {stats.min, stats.max};
  double bestError = std::numeric_limits<double>::infinity();
  // KL compares the histogram with its quantized form bin by bin: a range
  // spanning fewer bins than the grid has levels looks lossless to it
  // (TensorRT's entropy calibration likewise starts at as many bins as
  // levels). A channel's 128-bin histogram at 4 bits would otherwise be
  // clipped to the smallest candidate.
  double minRatio =
      clipping == Clipping::KL
          ? double(int64_t(1) << bits) / double(stats.histogram.size())
          : 0.0;
  for (int c = 0; c < kCandidates; ++c) {
    double r = 1.0 - c / double(kCandidates);
    if (r < minRatio)
      break;
    QuantParams p = chooseParams(r * stats.min, r * stats.max, bits, symmetric);
    double err = clipping == Clipping::MSE ? squaredError(stats, p)
                                           : klDivergence(stats, p);
    // Strictly better only: ties keep the wider range.
    if (err < bestError) {
      bestError = err;
      best = {r * stats.min, r * stats.max};
    }
  }
  return best;
}

QuantParams quant::chooseWeightParams(llvm::ArrayRef<float> values,
                                      int64_t bits, bool symmetric,
                                      Clipping clipping) {
  double lo = 0, hi = 0;
  for (float v : values) {
    lo = std::min<double>(lo, v);
    hi = std::max<double>(hi, v);
  }
  QuantParams best = chooseParams(lo, hi, bits, symmetric);
  if (clipping != Clipping::MSE)
    return best;
  double bestError = std::numeric_limits<double>::infinity();
  for (int c = 0; c < kCandidates / 2; ++c) {
    double r = 1.0 - c / double(kCandidates);
    QuantParams p = chooseParams(r * lo, r * hi, bits, symmetric);
    double err = 0;
    for (float v : values) {
      double d = v - p.dequantize(p.quantize(v));
      err += d * d;
    }
    if (err < bestError) {
      bestError = err;
      best = p;
    }
  }
  return best;
}

bool quant::getFixedPointMultiplier(double real, FixedPointMultiplier &out) {
  if (!(real > 0) || !std::isfinite(real))
    return false;
  int exponent = 0;
  double fraction = std::frexp(real, &exponent); // real = f * 2^e, f in [.5,1)
  int64_t m = static_cast<int64_t>(std::nearbyint(std::ldexp(fraction, 31)));
  if (m == (int64_t(1) << 31)) {
    m >>= 1;
    ++exponent;
  }
  int64_t shift = 31 - exponent;
  if (shift < 0)
    return false;
  out = {m, shift};
  return true;
}

int64_t quant::applyFixedPointMultiplier(int64_t value,
                                         FixedPointMultiplier m) {
  int64_t product = value * m.multiplier;
  if (m.shift == 0)
    return product;
  if (m.shift > 62)
    return 0;
  int64_t floor = product >> m.shift; // arithmetic shift: floor division
  int64_t rem = product - (floor << m.shift);
  int64_t half = int64_t(1) << (m.shift - 1);
  if (rem > half || (rem == half && (floor & 1)))
    ++floor;
  return floor;
}
