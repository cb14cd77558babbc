//===- GPTQTest.cpp - GPTQ weight rounding --------------------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/GPTQ.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace tandem::quant;

namespace {

/// The output error power sum_r (w_q - w)_r H (w_q - w)_r^T.
double outputError(const std::vector<double> &w, const std::vector<int64_t> &q,
                   const std::vector<double> &h, int64_t rows, int64_t size,
                   const QuantParams &p) {
  double total = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < size; ++i)
      for (int64_t j = 0; j < size; ++j)
        total += (p.dequantize(q[r * size + i]) - w[r * size + i]) *
                 h[i * size + j] *
                 (p.dequantize(q[r * size + j]) - w[r * size + j]);
  return total;
}

QuantParams unitGrid(int64_t qmin, int64_t qmax) {
  QuantParams p;
  p.scale = 1;
  p.qmin = qmin;
  p.qmax = qmax;
  return p;
}

// Worked by hand: H = [[2, 1], [1, 2]], damped by 1% of its mean diagonal
// to [[2.02, 1], [1, 2.02]]; H^-1 = [[0.6558, -0.3246], [-0.3246, 0.6558]],
// whose upper Cholesky factor has U00 = 0.8098, U01 = -0.4009. Weights
// (0.4, 0.4) on the integer grid: the first rounds to 0, its error 0.4 /
// 0.8098 = 0.4940 moves the second to 0.4 + 0.4940 x 0.4009 = 0.598, which
// rounds to 1. Output error (0, 1): 0.56 against nearest (0, 0): 0.96.
TEST(GPTQ, HandWorkedTwoCorrelatedInputs) {
  std::vector<double> w = {0.4, 0.4}, h = {2, 1, 1, 2};
  QuantParams p = unitGrid(-7, 7);
  std::vector<int64_t> q = roundGPTQ(w, 1, 2, factorMoment(h, 2), {p});
  EXPECT_EQ(q, (std::vector<int64_t>{0, 1}));
  EXPECT_NEAR(outputError(w, q, h, 1, 2, p), 0.56, 1e-12);
  EXPECT_NEAR(outputError(w, {0, 0}, h, 1, 2, p), 0.96, 1e-12);
}

// Uncorrelated inputs: no error has anywhere to go; GPTQ is nearest
// rounding.
TEST(GPTQ, UncorrelatedInputsRoundToNearest) {
  std::mt19937 rng(3);
  std::normal_distribution<double> normal(0, 2);
  int64_t rows = 5, size = 7;
  std::vector<double> w(rows * size), h(size * size, 0);
  for (double &x : w)
    x = normal(rng);
  for (int64_t i = 0; i < size; ++i)
    h[i * size + i] = 1 + i;
  QuantParams p = unitGrid(-7, 7);
  std::vector<int64_t> q = roundGPTQ(w, rows, size, factorMoment(h, size), {p});
  for (int64_t i = 0; i < rows * size; ++i)
    EXPECT_EQ(q[i], p.quantize(w[i])) << i;
}

// Correlated inputs (x = A z): GPTQ's output error is well below nearest
// rounding's, the integers stay on the grid, and the result is the same
// with several threads.
TEST(GPTQ, LowersTheOutputErrorOfCorrelatedInputs) {
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(0, 1);
  int64_t rows = 48, size = 24, samples = 400;
  std::vector<double> a(size * 6);
  for (double &x : a)
    x = normal(rng);
  std::vector<double> h(size * size, 0);
  for (int64_t s = 0; s < samples; ++s) {
    std::vector<double> z(6), x(size, 0);
    for (double &v : z)
      v = normal(rng);
    for (int64_t i = 0; i < size; ++i) {
      for (int k = 0; k < 6; ++k)
        x[i] += a[i * 6 + k] * z[k];
      x[i] += 0.05 * normal(rng);
    }
    for (int64_t i = 0; i < size; ++i)
      for (int64_t j = 0; j < size; ++j)
        h[i * size + j] += x[i] * x[j] / samples;
  }
  std::vector<double> w(rows * size);
  for (double &x : w)
    x = 3 * normal(rng);
  QuantParams p = unitGrid(-7, 7);
  std::vector<int64_t> q = roundGPTQ(w, rows, size, factorMoment(h, size), {p});
  std::vector<int64_t> nearest(rows * size);
  for (int64_t i = 0; i < rows * size; ++i) {
    nearest[i] = p.quantize(w[i]);
    EXPECT_GE(q[i], p.qmin);
    EXPECT_LE(q[i], p.qmax);
  }
  double gptq = outputError(w, q, h, rows, size, p);
  double near = outputError(w, nearest, h, rows, size, p);
  EXPECT_LT(gptq, 0.5 * near) << gptq << " vs " << near;
  EXPECT_EQ(roundGPTQ(w, rows, size, factorMoment(h, size), {p},
                      /*threads=*/2),
            q);
}

// In the IR layout: a matrix product's K x N weights are rounded by
// columns (one output channel each), a grouped convolution's rows by their
// group's moment; a moment of another shape does not fit.
TEST(GPTQ, LayerLayouts) {
  std::vector<float> kn = {0.4f, 0.4f, 0.4f, 0.4f}; // K = 2, N = 2
  InputMoment moment;
  moment.size = 2;
  moment.factors = {factorMoment({2, 1, 1, 2}, 2)};
  QuantParams p = unitGrid(-7, 7);
  auto q = roundLayerGPTQ(kn, {2, 2}, 1, {p}, moment);
  ASSERT_TRUE(q.has_value());
  // Column n = (k0, k1) = (0, 1) for both channels.
  EXPECT_EQ(*q, (std::vector<int64_t>{0, 0, 1, 1}));
  // Two groups of one output channel, 2 x 1 x 1 inputs each; the second
  // group's inputs are uncorrelated.
  InputMoment grouped;
  grouped.groups = 2;
  grouped.size = 2;
  grouped.factors = {factorMoment({2, 1, 1, 2}, 2),
                     factorMoment({1, 0, 0, 1}, 2)};
  auto g = roundLayerGPTQ(kn, {2, 2, 1, 1}, 0, {p, p}, grouped);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(*g, (std::vector<int64_t>{0, 1, 0, 0}));
  EXPECT_FALSE(roundLayerGPTQ(kn, {4, 1}, 1, {p}, moment).has_value());
}

} // namespace
