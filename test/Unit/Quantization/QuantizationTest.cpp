//===- QuantizationTest.cpp - Policies, clipping, fixed-point rescales ----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/Policy.h"
#include "tandem/Quantization/Statistics.h"

#include "llvm/Support/Error.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace tandem::quant;

namespace {

TEST(FixedPoint, RepresentsTheMultiplierInThirtyOneBits) {
  FixedPointMultiplier m;
  ASSERT_TRUE(getFixedPointMultiplier(0.75, m));
  EXPECT_EQ(m.multiplier, int64_t(3) << 29); // 0.75 * 2^31
  EXPECT_EQ(m.shift, 31);
  ASSERT_TRUE(getFixedPointMultiplier(1.0, m));
  EXPECT_EQ(m.multiplier, int64_t(1) << 30);
  EXPECT_EQ(m.shift, 30);
  EXPECT_FALSE(getFixedPointMultiplier(0.0, m));
  EXPECT_FALSE(getFixedPointMultiplier(-1.0, m));
  EXPECT_FALSE(getFixedPointMultiplier(std::ldexp(1.0, 40), m));
}

TEST(FixedPoint, RoundsHalfToEven) {
  FixedPointMultiplier half;
  ASSERT_TRUE(getFixedPointMultiplier(0.5, half));
  // x * 0.5: ties go to the even neighbour, both signs.
  EXPECT_EQ(applyFixedPointMultiplier(5, half), 2);   // 2.5 -> 2
  EXPECT_EQ(applyFixedPointMultiplier(7, half), 4);   // 3.5 -> 4
  EXPECT_EQ(applyFixedPointMultiplier(-5, half), -2); // -2.5 -> -2
  EXPECT_EQ(applyFixedPointMultiplier(-7, half), -4); // -3.5 -> -4
  EXPECT_EQ(applyFixedPointMultiplier(6, half), 3);
  FixedPointMultiplier third;
  ASSERT_TRUE(getFixedPointMultiplier(1.0 / 3.0, third));
  EXPECT_EQ(applyFixedPointMultiplier(100, third), 33);
  EXPECT_EQ(applyFixedPointMultiplier(-100, third), -33);
}

TEST(Params, AsymmetricGridsIncludeZero) {
  QuantParams p = chooseParams(0.0, 2.55, 8, /*symmetric=*/false);
  EXPECT_EQ(p.qmin, -128);
  EXPECT_EQ(p.qmax, 127);
  EXPECT_FLOAT_EQ(p.scale, 0.01f);
  EXPECT_EQ(p.zeroPoint, -128);
  EXPECT_EQ(p.quantize(0.0), -128);
  EXPECT_EQ(p.quantize(100.0), 127); // saturates
  // A positive-only range still represents 0 exactly.
  QuantParams q = chooseParams(1.0, 2.0, 4, false);
  EXPECT_EQ(q.dequantize(q.quantize(0.0)), 0.0);
}

TEST(Params, SymmetricGridsAreNarrow) {
  QuantParams p = chooseParams(-0.3, 0.7, 4, /*symmetric=*/true);
  EXPECT_EQ(p.qmin, -7);
  EXPECT_EQ(p.qmax, 7);
  EXPECT_EQ(p.zeroPoint, 0);
  EXPECT_FLOAT_EQ(p.scale, 0.1f);
  QuantParams t = chooseParams(-1, 1, 2, true); // ternary
  EXPECT_EQ(t.qmin, -1);
  EXPECT_EQ(t.qmax, 1);
  QuantParams zero = chooseParams(0, 0, 8, false);
  EXPECT_EQ(zero.scale, 1.0);
}

TEST(Clipping, PercentileAndErrorMinimizationIgnoreOutliers) {
  // 10000 values spread over [0, 1) and a tail of 5 at 3.
  StatisticsBuilder b;
  std::vector<float> values;
  for (int i = 0; i < 10000; ++i)
    values.push_back(i / 10000.0f);
  for (int i = 0; i < 5; ++i)
    values.push_back(3.0f);
  b.observeRange(values);
  b.startHistogram();
  b.observeHistogram(values);
  TensorStatistics stats = b.take();
  EXPECT_EQ(stats.min, 0.0);
  EXPECT_EQ(stats.max, 3.0);
  EXPECT_EQ(stats.getCount(), 10005);
  auto minmax = clipRange(stats, Clipping::MinMax, 4, false, 99.99);
  EXPECT_EQ(minmax.second, 3.0);
  // 99.9% of the values lie below ~1.
  auto pct = clipRange(stats, Clipping::Percentile, 4, false, 99.9);
  EXPECT_LT(pct.second, 1.01);
  // At 4 bits the 10000 values' rounding error outweighs clipping the 5:
  // squared error 10000 (3/15)^2/12 = 33 for the full range; clipping near 1
  // costs 5 (3 - 1)^2 = 20 plus under 4 of rounding.
  auto mse = clipRange(stats, Clipping::MSE, 4, false, 99.99);
  EXPECT_LT(mse.second, 2.0);
  EXPECT_GT(mse.second, 0.9);
  // At 8 bits rounding is cheap: the full range is best.
  EXPECT_GT(clipRange(stats, Clipping::MSE, 8, false, 99.99).second, 2.5);
  // KL compares shapes, not rounding error: inside [0, 3] every 4-bit level
  // is evenly filled or holds one non-empty bin, so nothing beats the full
  // range; above all it never clips the bulk of the values (it once
  // clipped to a sliver: a level covering one bin costs nothing when the
  // clipped mass is counted in Q).
  auto kl = clipRange(stats, Clipping::KL, 4, false, 99.99);
  EXPECT_LE(kl.second, 3.0);
  EXPECT_GT(kl.second, 0.99);
}

TEST(Statistics, ChannelMeansAlongTheChannelAxis) {
  // NCHW: axis 1. Two batches of 1x2x1x2: channel 0 holds 1, 3 then 5, 7;
  // channel 1 holds -2, -2 then 0, 0.
  StatisticsBuilder nchw;
  nchw.observeChannels({1, 3, -2, -2}, {1, 2, 1, 2});
  nchw.observeChannels({5, 7, 0, 0}, {1, 2, 1, 2});
  TensorStatistics s = nchw.take();
  EXPECT_EQ(s.channelAxis, 1);
  EXPECT_EQ(s.channelMeans, (std::vector<double>{4, -1}));
  // Other ranks: the last axis; vectors have none.
  StatisticsBuilder rows;
  rows.observeChannels({1, 2, 3, 4, 5, 6}, {2, 3});
  s = rows.take();
  EXPECT_EQ(s.channelAxis, 1);
  EXPECT_EQ(s.channelMeans, (std::vector<double>{2.5, 3.5, 4.5}));
  StatisticsBuilder vector;
  vector.observeChannels({1, 2}, {2});
  EXPECT_TRUE(vector.take().channelMeans.empty());
}

TEST(Statistics, EachChannelOfADepthwiseInput) {
  // N=2, C=2, H*W=2: channel 0 holds {1, 3, 5, 7}, channel 1 {-2, 0, 2, 2}.
  std::vector<float> x = {1, 3, -2, 0, 5, 7, 2, 2};
  std::vector<int64_t> shape = {2, 2, 1, 2};
  StatisticsBuilder b;
  b.recordChannelHistograms();
  b.observeRange(x);
  b.observeEachChannel(x, shape);
  b.startHistogram();
  b.observeHistogram(x);
  b.observeEachChannel(x, shape);
  TensorStatistics s = b.take();
  ASSERT_EQ(s.channels.size(), 2u);
  EXPECT_EQ(s.channels[0].min, 1.0);
  EXPECT_EQ(s.channels[0].max, 7.0);
  EXPECT_EQ(s.channels[1].min, -2.0);
  EXPECT_EQ(s.channels[1].max, 2.0);
  for (const TensorStatistics &c : s.channels) {
    EXPECT_EQ(c.histogram.size(), size_t(kChannelHistogramBins));
    EXPECT_EQ(c.getCount(), 4);
  }
  // Channel 1's two 2s land in its last bin, 0 in the middle one.
  EXPECT_EQ(s.channels[1].histogram.back(), 2);
  EXPECT_EQ(s.channels[1].histogram[kChannelHistogramBins / 2], 1);
  // Without recordChannelHistograms, nothing per channel.
  StatisticsBuilder plain;
  plain.observeRange(x);
  plain.observeEachChannel(x, shape);
  EXPECT_TRUE(plain.take().channels.empty());
}

TEST(Clipping, KLSpansAtLeastOneBinPerLevel) {
  // A ReLU output in 128 bins: a spike at 0 and a thin tail to 6. A range
  // of about one bin looks lossless to KL; it must keep at least 16 bins
  // (one per 4-bit level), 32 at 5 bits.
  TensorStatistics s;
  s.min = 0;
  s.max = 6;
  s.histogram.assign(128, 1);
  s.histogram[0] = 100000;
  auto range4 = clipRange(s, Clipping::KL, 4, false, 99.99);
  EXPECT_GE(range4.second, 6.0 * 16 / 128 - 1e-9);
  auto range5 = clipRange(s, Clipping::KL, 5, false, 99.99);
  EXPECT_GE(range5.second, 6.0 * 32 / 128 - 1e-9);
}

TEST(Clipping, WeightsByMSE) {
  // One large weight among small ones: MSE clips it at 4 bits.
  std::vector<float> w(63, 0.01f);
  w.push_back(1.0f);
  QuantParams minmax = chooseWeightParams(w, 4, true, Clipping::MinMax);
  QuantParams mse = chooseWeightParams(w, 4, true, Clipping::MSE);
  EXPECT_FLOAT_EQ(minmax.scale, 1.0f / 7);
  EXPECT_LE(mse.scale, minmax.scale);
}

TEST(Policy, ParsesAndPrintsCanonically) {
  auto policy = parsePolicy(R"({"default": {"weight_bits": 4},
      "layers": {"conv": {"activation_bits": 2}},
      "activations": {"clipping": "percentile", "percentile": 99.9},
      "weights": {"bias_correction": true, "rounding": "gptq"}})",
                            "p.json");
  ASSERT_TRUE(bool(policy)) << llvm::toString(policy.takeError());
  EXPECT_TRUE(policy->biasCorrection);
  EXPECT_EQ(policy->weightRounding, WeightRounding::GPTQ);
  EXPECT_EQ(policy->getBits("other"), (LayerBits{4, 8}));
  // A layer entry starts from the defaults.
  EXPECT_EQ(policy->getBits("conv"), (LayerBits{4, 2}));
  EXPECT_EQ(policy->activationClipping, Clipping::Percentile);
  std::string text = printPolicy(*policy);
  auto again = parsePolicy(text, "printed");
  ASSERT_TRUE(bool(again)) << llvm::toString(again.takeError());
  EXPECT_EQ(printPolicy(*again), text);
  EXPECT_TRUE(again->biasCorrection);
  EXPECT_EQ(again->weightRounding, WeightRounding::GPTQ);
  // Depthwise inputs are per tensor unless asked, and printed either way.
  EXPECT_FALSE(again->depthwiseInputsPerChannel);
  EXPECT_NE(text.find("\"depthwise_inputs\": \"per-tensor\""),
            std::string::npos);
  auto perChannel = parsePolicy(
      R"({"activations": {"depthwise_inputs": "per-channel"}})", "p.json");
  ASSERT_TRUE(bool(perChannel)) << llvm::toString(perChannel.takeError());
  EXPECT_TRUE(perChannel->depthwiseInputsPerChannel);
  auto wrong =
      parsePolicy(R"({"activations": {"depthwise_inputs": "yes"}})", "p.json");
  ASSERT_FALSE(bool(wrong));
  EXPECT_NE(llvm::toString(wrong.takeError())
                .find("field 'activations.depthwise_inputs'"),
            std::string::npos);
}

TEST(Policy, LayersMayClipTheirActivationsTheirOwnWay) {
  auto policy = parsePolicy(
      R"({"activations": {"clipping": "mse", "percentile": 99.5},
          "layers": {"a": {"activation_bits": 4, "activation_clipping": "minmax"},
                     "b": {"weight_bits": 4},
                     "d": {"activation_clipping": "percentile",
                           "activation_percentile": 99.9},
                     "e": {"activation_clipping": "percentile"}}})",
      "p.json");
  ASSERT_TRUE(bool(policy)) << llvm::toString(policy.takeError());
  using AC = ActivationClipping;
  EXPECT_EQ(policy->getActivationClipping("a"), AC{Clipping::MinMax});
  // Unnamed, or named without one: the policy's.
  EXPECT_EQ(policy->getActivationClipping("b"), AC{Clipping::MSE});
  EXPECT_EQ(policy->getActivationClipping("c"), AC{Clipping::MSE});
  // A layer's own percentile, else the policy's.
  EXPECT_EQ(policy->getActivationClipping("d"),
            (AC{Clipping::Percentile, 99.9}));
  EXPECT_EQ(policy->getActivationClipping("e"),
            (AC{Clipping::Percentile, 99.5}));
  EXPECT_EQ(policy->getActivationClipping("d").str(), "percentile:99.9");
  // A percentile alone, where the policy clips by percentile, is the layer's.
  auto alone = parsePolicy(
      R"({"activations": {"clipping": "percentile"},
          "layers": {"a": {"activation_percentile": 99.5}}})",
      "p.json");
  ASSERT_TRUE(bool(alone)) << llvm::toString(alone.takeError());
  EXPECT_EQ(alone->getActivationClipping("a"),
            (AC{Clipping::Percentile, 99.5}));
  std::string text = printPolicy(*policy);
  auto again = parsePolicy(text, "printed");
  ASSERT_TRUE(bool(again)) << llvm::toString(again.takeError());
  EXPECT_EQ(again->layerActivationClipping, policy->layerActivationClipping);
  EXPECT_EQ(printPolicy(*again), text);
  // A clipping set in code for a layer with default widths prints them.
  Policy p;
  p.layerActivationClipping["c"] = {Clipping::Percentile, 99.0};
  auto printed = parsePolicy(printPolicy(p), "printed");
  ASSERT_TRUE(bool(printed)) << llvm::toString(printed.takeError());
  EXPECT_EQ(printed->getActivationClipping("c"),
            (AC{Clipping::Percentile, 99.0}));
  EXPECT_EQ(printed->getBits("c"), (LayerBits{8, 8}));
}

TEST(Policy, ErrorsNameTheFileAndField) {
  auto expectError = [](llvm::StringRef json, llvm::StringRef message) {
    auto policy = parsePolicy(json, "p.json");
    ASSERT_FALSE(bool(policy));
    std::string error = llvm::toString(policy.takeError());
    EXPECT_NE(error.find(message.str()), std::string::npos) << error;
  };
  expectError("{", "p.json: malformed JSON");
  expectError("[]", "p.json: expected a JSON object");
  expectError(R"({"default": {"weight_bits": 1}})",
              "field 'default.weight_bits': expected an integer number of "
              "bits, 2..8 or 16, got 1");
  expectError(R"({"layers": {"a": {"wbits": 4}}})",
              "field 'layers.a.wbits': unknown field");
  expectError(R"({"weights": {"clipping": "kl"}})",
              "field 'weights.clipping': weights are clipped by");
  expectError(R"({"activations": {"percentile": 20}})",
              "field 'activations.percentile': expected a percentage");
  expectError(R"({"format": "v2"})", "field 'format'");
  expectError(R"({"layers": {"a": {"activation_clipping": "max"}}})",
              "field 'layers.a.activation_clipping': expected \"minmax\", "
              "\"percentile\", \"mse\" or \"kl\", got \"max\"");
  expectError(R"({"default": {"activation_clipping": "mse"}})",
              "field 'default.activation_clipping': unknown field");
  expectError(R"({"layers": {"a": {"activation_clipping": "mse",
                                    "activation_percentile": 99.9}}})",
              "field 'layers.a.activation_percentile': only with "
              "\"activation_clipping\": \"percentile\"");
  expectError(R"({"layers": {"a": {"activation_clipping": "percentile",
                                    "activation_percentile": 40}}})",
              "field 'layers.a.activation_percentile': expected a percentage "
              "in (50, 100], got 40");
  expectError(R"({"weights": {"rounding": "up"}})",
              "field 'weights.rounding': expected \"nearest\", \"gptq\" or "
              "\"gptq-sequential\", "
              "got \"up\"");
}

} // namespace
