//===- MixedPrecisionTest.cpp - Budgets, action wall, ILP, determinism ----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/MixedPrecision.h"
#include "tandem/Quantization/MixedPrecisionDriver.h"
#include "tandem/Quantization/Sensitivity.h"

#include "gtest/gtest.h"

#include <map>
#include <random>

using namespace tandem;
using namespace tandem::quant;

namespace {

/// Three layers, widths {4, 8}; cycles per (w, a) and the noise of each
/// layer's weights or activations at 4 bits (none at 8).
struct HandProblem {
  CostTable table;
  Sensitivity sensitivity;

  HandProblem() {
    const double cycles[3][4] = {
        // W8A8, W8A4, W4A8, W4A4
        {100, 80, 70, 50},
        {200, 150, 120, 60},
        {100, 90, 60, 40},
    };
    const double weightNoise[3] = {0.010, 0.002, 0.005};
    const double activationNoise[3] = {0.020, 0.030, 0.001};
    table.target = "hand";
    table.clockMHz = 1;
    table.bits = {4, 8};
    table.rest = {0, 0};
    sensitivity.bits = {4, 8};
    sensitivity.reference = {0.9, 1, 0};
    for (int l = 0; l < 3; ++l) {
      LayerInfo info;
      info.name = "layer" + std::to_string(l);
      info.params = 100 * (l + 1);
      info.macs = 1000;
      table.layers.push_back(info);
      BitsGrid grid;
      grid[7][7] = {cycles[l][0], 2 * cycles[l][0]};
      grid[7][3] = {cycles[l][1], 2 * cycles[l][1]};
      grid[3][7] = {cycles[l][2], 2 * cycles[l][2]};
      grid[3][3] = {cycles[l][3], 2 * cycles[l][3]};
      table.entries.push_back(grid);
      sensitivity.layers.push_back(info.name);
      std::array<Quality, kMaxTableBits> w, a;
      w[7] = a[7] = {0.9, 1, 0};
      w[3] = {0.9 - weightNoise[l], 0.99, weightNoise[l]};
      a[3] = {0.9 - activationNoise[l], 0.99, activationNoise[l]};
      sensitivity.weight.push_back(w);
      sensitivity.activation.push_back(a);
    }
  }

  SearchProblem make(llvm::ArrayRef<Budget> budgets, bool pinFirst = false) {
    auto p = makeSearchProblem(table, &sensitivity, budgets, pinFirst, false,
                               /*layersOnly=*/false, Policy());
    EXPECT_TRUE(bool(p)) << llvm::toString(p.takeError());
    return std::move(*p);
  }
};

/// Deterministic stand-in for measuring a policy on data: the additive
/// estimate from the hand table, so searches can be compared exactly.
class TableOracle : public AccuracyOracle {
public:
  TableOracle(const SearchProblem &p) : problem(p) {}
  llvm::Expected<Quality> measure(const Policy &policy) override {
    BitsVector bits;
    for (const LayerInfo &l : problem.table->layers)
      bits.push_back(policy.getBits(l.name));
    Quality q;
    q.noise = problem.sensitivity->estimateNoise(bits);
    q.accuracy = 0.9 - q.noise;
    q.agreement = 1 - q.noise;
    std::string key = printPolicy(policy);
    if (seen.insert({key, seen.size()}).second)
      order.push_back(key);
    return q;
  }
  unsigned getNumMeasured() const override { return seen.size(); }
  bool hasLabels() const override { return true; }

  const SearchProblem &problem;
  std::map<std::string, size_t> seen;
  std::vector<std::string> order;
};

Budget latency(double fraction) {
  return {BudgetKind::Latency, fraction, true};
}

TEST(MixedPrecisionTest, ParsesBudgets) {
  auto b = parseBudget("latency=0.6");
  ASSERT_TRUE(bool(b));
  EXPECT_EQ(b->kind, BudgetKind::Latency);
  EXPECT_TRUE(b->fraction);
  EXPECT_DOUBLE_EQ(b->value, 0.6);
  b = parseBudget("energy:60%");
  ASSERT_TRUE(bool(b));
  EXPECT_DOUBLE_EQ(b->value, 0.6);
  b = parseBudget("latency=1.5ms");
  ASSERT_TRUE(bool(b));
  EXPECT_FALSE(b->fraction);
  EXPECT_DOUBLE_EQ(b->value, 1.5);
  b = parseBudget("size=40kB");
  ASSERT_TRUE(bool(b));
  EXPECT_DOUBLE_EQ(b->value, 40000);
  b = parseBudget("bitops=2.5G");
  ASSERT_TRUE(bool(b));
  EXPECT_DOUBLE_EQ(b->value, 2.5e9);
  EXPECT_EQ(stringifyBudget(*parseBudget("energy=20uJ")), "energy=20uJ");
  b = parseBudget("arithmetic=0.33");
  ASSERT_TRUE(bool(b));
  EXPECT_EQ(b->kind, BudgetKind::Arithmetic);
  EXPECT_EQ(stringifyBudget(*parseBudget("arithmetic=50uJ")),
            "arithmetic=50uJ");
  for (const char *bad : {"latency", "speed=0.5", "latency=-1", "latency=0",
                          "latency=abc", "energy=3ms", "size=2G"}) {
    auto e = parseBudget(bad);
    EXPECT_FALSE(bool(e)) << bad;
    if (!e)
      EXPECT_NE(llvm::toString(e.takeError()).find(bad), std::string::npos);
  }
}

// Budget 0.75 of W8A8 (400 cycles): at most 300, so at least 100 cycles
// must be saved. Savings (noise) per choice against W8A8:
//   layer0: W8A4 20 (.020)  W4A8 30 (.010)  W4A4 50 (.030)
//   layer1: W8A4 50 (.030)  W4A8 80 (.002)  W4A4 140 (.032)
//   layer2: W8A4 10 (.001)  W4A8 40 (.005)  W4A4 60 (.006)
// Without layer1 at W4 the best 100 cycles cost at least .046 of noise.
// With layer1 W4A8 (80, .002) 20 more are needed: layer2 W4A8 (.005) beats
// layer0 W8A4 (.020), layer0 W4A8 (.010) and layer2 W4A4 (.006). Optimum:
// W8A8, W4A8, W4A8 at 280 cycles and noise .007.
TEST(MixedPrecisionTest, ILPFindsTheHandWorkedOptimum) {
  HandProblem hand;
  SearchProblem p = hand.make({latency(0.75)});
  EXPECT_DOUBLE_EQ(p.limits[0], 300);
  TableOracle oracle(p);
  // Accuracy drops equal the noise here (score 0.9 - noise): both
  // objectives have the same optimum.
  for (ILPObjective objective : {ILPObjective::Noise, ILPObjective::Accuracy}) {
    MixedPrecisionOptions options;
    options.ilpObjective = objective;
    auto r = createILPSearch()->run(p, oracle, options);
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    EXPECT_TRUE(r->optimal);
    EXPECT_NEAR(r->objective, 0.007, 1e-12);
    BitsVector expected = {{8, 8}, {4, 8}, {4, 8}};
    EXPECT_EQ(r->best, expected);
  }
  auto r = createILPSearch()->run(p, oracle, {});
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  EXPECT_DOUBLE_EQ(p.getTotalCost(0, r->best), 280);
  // The integer program measures nothing.
  EXPECT_EQ(oracle.getNumMeasured(), 0u);

  // Pinning layer0 changes nothing here; a budget of 0.5 (200 cycles)
  // needs layer1 W4A4 and more.
  SearchProblem tight = hand.make({latency(0.5)}, /*pinFirst=*/true);
  r = createILPSearch()->run(tight, oracle, {});
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  EXPECT_EQ(r->best[0], (LayerBits{8, 8}));
  EXPECT_LE(tight.getTotalCost(0, r->best), 200);
}

// Layers 0 and 1 take one choice together, at 0.75 (300 cycles): pairs
// (cycles, noise) W8A8 (300, 0), W8A4 (230, .050), W4A8 (190, .012),
// W4A4 (110, .062). W8A8 leaves nothing for layer2 (at least 40); W8A4
// needs layer2 at W4 (.005 at best): .055; W4A8 leaves 110, layer2 W8A8
// fits: .012, the optimum (untied it was .007 with layer0 at W8A8).
TEST(MixedPrecisionTest, ILPGivesLayersThatShareOneChoice) {
  HandProblem hand;
  SearchProblem p = hand.make({latency(0.75)});
  p.sameAs = {-1, 0, -1};
  TableOracle oracle(p);
  MixedPrecisionOptions options;
  options.ilpObjective = ILPObjective::Noise;
  auto r = createILPSearch()->run(p, oracle, options);
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  EXPECT_TRUE(r->optimal);
  BitsVector expected = {{4, 8}, {4, 8}, {8, 8}};
  EXPECT_EQ(r->best, expected);
  EXPECT_NEAR(r->objective, 0.012, 1e-12);
  EXPECT_DOUBLE_EQ(p.getTotalCost(0, r->best), 290);
  // A choice only one of them offers is not taken.
  p = hand.make({latency(0.75)}, /*pinFirst=*/true);
  p.sameAs = {-1, 0, -1};
  auto pinned = createILPSearch()->run(p, oracle, options);
  ASSERT_FALSE(bool(pinned));
  EXPECT_NE(llvm::toString(pinned.takeError()).find("no solution"),
            std::string::npos);
}

TEST(MixedPrecisionTest, ILPMatchesBruteForceUnderTwoBudgets) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 40; ++trial) {
    HandProblem hand;
    for (int l = 0; l < 3; ++l) {
      for (int w : {4, 8})
        for (int a : {4, 8}) {
          double c = 10 + 100 * u(rng) * (w / 8.0) * (a / 8.0);
          hand.table.entries[l][w - 1][a - 1] = {c, 2 * c};
        }
      hand.sensitivity.weight[l][3].noise = u(rng) * 0.05;
      hand.sensitivity.activation[l][3].noise = u(rng) * 0.05;
    }
    std::vector<Budget> budgets = {
        latency(0.5 + 0.5 * u(rng)),
        {BudgetKind::Size, 0.6 + 0.4 * u(rng), true}};
    auto made = makeSearchProblem(hand.table, &hand.sensitivity, budgets, false,
                                  false, false, Policy());
    if (!made) {
      llvm::consumeError(made.takeError());
      continue;
    }
    TableOracle oracle(*made);
    MixedPrecisionOptions options;
    options.ilpObjective = ILPObjective::Noise;
    auto r = createILPSearch()->run(*made, oracle, options);
    ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
    // Every one of the 4^3 policies.
    double best = INFINITY;
    for (int i = 0; i < 64; ++i) {
      BitsVector bits;
      for (int l = 0; l < 3; ++l) {
        int k = (i >> (2 * l)) & 3;
        bits.push_back({k & 2 ? 4 : 8, k & 1 ? 4 : 8});
      }
      if (made->meetsBudgets(bits))
        best = std::min(best, hand.sensitivity.estimateNoise(bits));
    }
    EXPECT_TRUE(made->meetsBudgets(r->best));
    EXPECT_NEAR(hand.sensitivity.estimateNoise(r->best), best, 1e-12);
  }
}

// From W8A8 at limit 300: layer2 A4 (390), layer2 W4 (340), layer1 A4
// (290): within the budget.
TEST(MixedPrecisionTest, ActionWallLowersLastLayersFirst) {
  HandProblem hand;
  SearchProblem p = hand.make({latency(0.75)});
  BitsVector bits(3, {8, 8});
  ASSERT_TRUE(p.enforceBudgets(bits));
  BitsVector expected = {{8, 8}, {8, 4}, {4, 4}};
  EXPECT_EQ(bits, expected);
}

TEST(MixedPrecisionTest, ActionWallAlwaysMeetsTheBudget) {
  HandProblem hand;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 500; ++trial) {
    // Any budget the narrowest widths meet: W4A4 everywhere is 150 of 400
    // cycles, 200 with layer0 pinned at W8A8.
    bool pin = trial % 2;
    double least = pin ? 200.0 / 400 : 150.0 / 400;
    double fraction = least + u(rng) * (1 - least);
    SearchProblem p = hand.make({latency(fraction)}, pin);
    BitsVector bits;
    for (int l = 0; l < 3; ++l)
      bits.push_back({u(rng) < 0.5 ? 4 : 8, u(rng) < 0.5 ? 4 : 8});
    if (p.pinned[0])
      bits[0] = {8, 8};
    EXPECT_TRUE(p.enforceBudgets(bits)) << "fraction " << fraction;
    EXPECT_TRUE(p.meetsBudgets(bits)) << "fraction " << fraction;
    if (p.pinned[0])
      EXPECT_EQ(bits[0], (LayerBits{8, 8}));
  }
}

// The driver's fallback after lowering its choice's bits: measured
// policies over the budget by the tables, no more accurate than the choice,
// or the choice itself are not candidates; repeats count once.
TEST(MixedPrecisionTest, FallbackRanksMoreAccurateMeasuredPolicies) {
  auto evaluated = [](BitsVector bits, double accuracy, bool meets) {
    EvaluatedPolicy e;
    e.bits = std::move(bits);
    e.quality.accuracy = accuracy;
    e.meetsBudgets = meets;
    return e;
  };
  BitsVector w4a4(2, {4, 4}), w8a4(2, {8, 4}), w8a8(2, {8, 8}),
      mixed = {{4, 4}, {2, 4}}, chosen = {{2, 4}, {2, 2}};
  std::vector<EvaluatedPolicy> all = {
      evaluated(w8a8, 0.93, false), evaluated(w4a4, 0.90, true),
      evaluated(mixed, 0.92, true), evaluated(chosen, 0.95, true),
      evaluated(w8a4, 0.85, true),  evaluated(w4a4, 0.90, true)};
  std::vector<BitsVector> expected = {mixed, w4a4};
  EXPECT_EQ(rankMoreAccurate(all, 0.86, chosen), expected);
  EXPECT_TRUE(rankMoreAccurate(all, 0.95, chosen).empty());
}

TEST(MixedPrecisionTest, InfeasibleBudgetSaysHowFarOff) {
  HandProblem hand;
  auto p = makeSearchProblem(hand.table, &hand.sensitivity, {latency(0.3)},
                             false, false, false, Policy());
  ASSERT_FALSE(bool(p));
  std::string message = llvm::toString(p.takeError());
  EXPECT_NE(message.find("budget latency=0.3 cannot be met"), std::string::npos)
      << message;
  EXPECT_NE(message.find("37.50%"), std::string::npos) << message;
}

/// The hand problem with PoT-5 weights offered beside W8 and W4: cycles
/// at A8 and A4, and the noise of only that layer's weights so encoded.
void addPowerOfTwo(HandProblem &hand) {
  const double cycles[3][2] = {{60, 45}, {110, 55}, {65, 45}};
  const double noise[3] = {0.004, 0.001, 0.008};
  WeightEncoding pot{EncodingKind::PowerOfTwo, 5, 0};
  hand.table.encodings = {pot};
  hand.sensitivity.encodings = {pot};
  for (int l = 0; l < 3; ++l) {
    std::array<CostEntry, kMaxTableBits> row;
    row[7] = {cycles[l][0], 2 * cycles[l][0]};
    row[3] = {cycles[l][1], 2 * cycles[l][1]};
    hand.table.encoded.push_back({row});
    hand.sensitivity.encodedWeight.push_back(
        {Quality{0.9 - noise[l], 0.99, noise[l]}});
  }
}

// With PoT-5 offered, at 300 of 400 cycles: the least noise is 0.002, only
// from W8A8 (100), PoT-5 A8 (110, noise 0.001) and W8A4 (90, 0.001); no
// policy with 0.001 or less fits (the cheapest, layer1 PoT-5, needs 310).
TEST(MixedPrecisionTest, ILPChoosesAnEncodingWhenItIsCheaper) {
  HandProblem hand;
  addPowerOfTwo(hand);
  SearchProblem p = hand.make({latency(0.75)});
  TableOracle oracle(p);
  auto r = createILPSearch()->run(p, oracle, {});
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  LayerBits pot8{5, 8, EncodingKind::PowerOfTwo, 0};
  BitsVector expected = {{8, 8}, pot8, {8, 4}};
  EXPECT_EQ(r->best, expected);
  EXPECT_NEAR(r->objective, 0.002, 1e-12);
  // The policy says so.
  Policy policy = p.toPolicy(r->best);
  EXPECT_EQ(policy.getBits("layer1"), pot8);
}

// Weight options by cost at A8 (stable): layer0 W8 100, W4 70, PoT 60;
// layer2 W8 100, PoT 65, W4 60. From W8A8 at 300: layer2 A4 (390), layer2
// to the next option, PoT-5 A4 (345), layer1 A4 (295).
TEST(MixedPrecisionTest, ActionWallStepsThroughEncodingsByCost) {
  HandProblem hand;
  addPowerOfTwo(hand);
  SearchProblem p = hand.make({latency(0.75)});
  LayerBits pot8{5, 8, EncodingKind::PowerOfTwo, 0};
  EXPECT_EQ(p.getWeightOptions(0).back(), pot8);
  EXPECT_EQ(p.getWeightOptions(2)[1], pot8);
  BitsVector bits(3, {8, 8});
  ASSERT_TRUE(p.enforceBudgets(bits));
  BitsVector expected = {{8, 8}, {8, 4}, {5, 4, EncodingKind::PowerOfTwo, 0}};
  EXPECT_EQ(bits, expected);
}

template <typename Create>
void expectDeterministic(Create create, unsigned episodes,
                         bool encodings = false) {
  HandProblem hand;
  if (encodings)
    addPowerOfTwo(hand);
  SearchProblem p = hand.make({latency(0.75)});
  MixedPrecisionOptions options;
  options.episodes = episodes;
  options.warmupEpisodes = 5;
  options.population = 6;
  auto runOnce = [&](uint64_t seed) {
    options.seed = seed;
    TableOracle oracle(p);
    auto search = create();
    auto r = search->run(p, oracle, options);
    EXPECT_TRUE(bool(r));
    EXPECT_TRUE(p.meetsBudgets(r->best));
    return std::make_pair(r->best, oracle.order);
  };
  auto a = runOnce(1), b = runOnce(1);
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.second, b.second);
  EXPECT_FALSE(a.second.empty());
}

TEST(MixedPrecisionTest, EvolutionIsDeterministicPerSeed) {
  expectDeterministic([] { return createEvolutionSearch(); }, 20);
  expectDeterministic([] { return createEvolutionSearch(); }, 20,
                      /*encodings=*/true);
}

TEST(MixedPrecisionTest, DDPGIsDeterministicPerSeed) {
  auto search = createDDPGSearch();
  ASSERT_TRUE(bool(search)) << llvm::toString(search.takeError());
  expectDeterministic([] { return std::move(*createDDPGSearch()); }, 25);
  expectDeterministic([] { return std::move(*createDDPGSearch()); }, 25,
                      /*encodings=*/true);
}

/// Scores a policy by how layer0 clips its 4-bit activations: percentile
/// at 99.9 best, then MSE, percentile at 99.99 and min-max; at 8 bits every
/// clipping scores alike.
class ClippingOracle : public AccuracyOracle {
public:
  llvm::Expected<Quality> measure(const Policy &policy) override {
    ++measured;
    Quality q{0.9, 1, 0.001};
    if (policy.getBits("layer0").activationBits == 4) {
      ActivationClipping c = policy.getActivationClipping("layer0");
      q.accuracy = c.method == Clipping::MSE          ? 0.86
                   : c.method != Clipping::Percentile ? 0.80
                   : c.percentile == 99.9             ? 0.88
                                                      : 0.85;
      q.noise = 0.9 - q.accuracy;
    }
    return q;
  }
  unsigned getNumMeasured() const override { return measured; }
  bool hasLabels() const override { return true; }
  unsigned measured = 0;
};

TEST(MixedPrecisionTest, SensitivityKeepsTheMostAccurateClipping) {
  using AC = ActivationClipping;
  const AC minmax{Clipping::MinMax}, best{Clipping::Percentile, 99.9};
  HandProblem hand;
  ClippingOracle oracle;
  // The run's percentile is the one compared.
  std::vector<AC> candidates = getAutoActivationClippings(99.9);
  ASSERT_EQ(candidates.size(), 3u);
  EXPECT_EQ(candidates[1], best);
  auto s = measureSensitivity(oracle, hand.table.layers, {4, 8}, {}, candidates,
                              Policy(), 100,
                              [](unsigned, unsigned) { return true; });
  ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
  // 3 layers x 2 widths x (weights + 3 clippings) + the reference.
  EXPECT_EQ(oracle.measured, 25u);
  EXPECT_EQ(s->getNumModels(), 25u);
  EXPECT_EQ(s->getActivationClipping(0, 4), best);
  EXPECT_DOUBLE_EQ(s->activation[0][3].accuracy, 0.88);
  // Ties keep the first candidate.
  EXPECT_EQ(s->getActivationClipping(0, 8), minmax);
  EXPECT_EQ(s->getActivationClipping(1, 4), minmax);
  // Not measured: none.
  EXPECT_EQ(s->getActivationClipping(0, 2), std::nullopt);

  // The policies a search writes clip each layer by its best at its width.
  hand.sensitivity = std::move(*s);
  SearchProblem p = hand.make({latency(0.9)});
  Policy policy = p.toPolicy({{8, 4}, {8, 8}, {4, 4}});
  EXPECT_EQ(policy.getActivationClipping("layer0"), best);
  EXPECT_EQ(policy.getActivationClipping("layer2"), minmax);

  // The choices (the percentile with them) survive the JSON round trip; a
  // file measured without them, or with other candidates, is refused.
  std::string text = printSensitivity(hand.sensitivity, "k");
  auto again = parseSensitivity(text, "s.json", "k", {}, candidates);
  ASSERT_TRUE(bool(again)) << llvm::toString(again.takeError());
  EXPECT_EQ(again->getActivationClipping(0, 4), best);
  std::vector<AC> others = getAutoActivationClippings(99.99);
  auto otherCandidates = parseSensitivity(text, "s.json", "k", {}, others);
  ASSERT_FALSE(bool(otherCandidates));
  llvm::consumeError(otherCandidates.takeError());
  HandProblem plain;
  auto refused = parseSensitivity(printSensitivity(plain.sensitivity, "k"),
                                  "s.json", "k", {}, candidates);
  ASSERT_FALSE(bool(refused));
  EXPECT_NE(llvm::toString(refused.takeError()).find("activation clipping"),
            std::string::npos);
}

TEST(MixedPrecisionTest, HAQTableLayout) {
  HandProblem hand;
  std::string npy = printCostTableNpy(hand.table, /*energy=*/false);
  ASSERT_EQ(npy.substr(0, 6), "\x93NUMPY");
  size_t header = uint8_t(npy[8]) | (uint8_t(npy[9]) << 8);
  EXPECT_EQ((10 + header) % 64, 0u);
  EXPECT_NE(npy.find("'shape': (3, 8, 8)"), std::string::npos);
  ASSERT_EQ(npy.size(), 10 + header + 3 * 64 * sizeof(double));
  auto at = [&](int l, int w, int a) {
    double v;
    memcpy(&v, npy.data() + 10 + header + 8 * ((l * 8 + w - 1) * 8 + a - 1), 8);
    return v;
  };
  // [layer, w - 1, a - 1] in ms at 1 MHz (cycles / 1000); 0 where absent.
  EXPECT_DOUBLE_EQ(at(1, 4, 8), 0.120);
  EXPECT_DOUBLE_EQ(at(1, 8, 4), 0.150);
  EXPECT_DOUBLE_EQ(at(2, 8, 8), 0.100);
  EXPECT_DOUBLE_EQ(at(0, 2, 2), 0);
}

} // namespace
