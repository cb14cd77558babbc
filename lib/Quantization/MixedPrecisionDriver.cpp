//===- MixedPrecisionDriver.cpp - Model + target + budget -> policy -------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/MixedPrecisionDriver.h"
#include "tandem/Quantization/Accuracy.h"
#include "tandem/Quantization/Calibration.h"
#include "tandem/Quantization/GPTQ.h"
#include "tandem/Quantization/PolicyScorer.h"
#include "tandem/Quantization/Quantize.h"
#include "tandem/Quantization/ValidationOracle.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/xxhash.h"

#include <chrono>
#include <optional>

using namespace mlir;
using namespace tandem;
using namespace tandem::quant;
using llvm::Expected;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

BitsVector toBits(const Policy &policy, llvm::ArrayRef<LayerInfo> layers) {
  BitsVector bits;
  for (const LayerInfo &l : layers)
    bits.push_back(policy.getBits(l.name));
  return bits;
}

} // namespace

mapping::SearchOptions tandem::quant::getDefaultMapperOptions() {
  mapping::SearchOptions options;
  options.strategy = mapping::Strategy::Local;
  return options;
}

std::vector<ActivationClipping>
tandem::quant::getAutoActivationClippings(double percentile) {
  // Percentile suits the ResNet's activations at 4 bits, MSE the
  // MobileNet's, min-max some single layers. A second percentile (99.9
  // beside 99.99) was measured no better: each layer's best alone does not
  // compose (docs/mixed-precision.md).
  return {
      {Clipping::MinMax}, {Clipping::Percentile, percentile}, {Clipping::MSE}};
}

/// Budget `b`'s quantity for `m` as measured on its own IR (size and
/// bit-operations are exact in the tables).
static double getMeasuredValue(const SearchProblem &problem, unsigned b,
                               const MeasuredPolicy &m) {
  const CostEntry &c = problem.layersOnly ? m.layersCost : m.cost;
  switch (problem.budgets[b].kind) {
  case BudgetKind::Latency:
    return c.cycles;
  case BudgetKind::Energy:
    return c.energyPJ;
  case BudgetKind::Arithmetic:
    return c.arithmeticPJ;
  case BudgetKind::Size:
  case BudgetKind::BitOps:
    break;
  }
  return problem.getTotalCost(b, m.bits);
}

std::vector<BitsVector>
tandem::quant::rankMoreAccurate(llvm::ArrayRef<EvaluatedPolicy> evaluated,
                                double score, const BitsVector &exclude) {
  std::vector<const EvaluatedPolicy *> ranked;
  for (const EvaluatedPolicy &e : evaluated)
    if (e.meetsBudgets && e.bits != exclude && e.quality.score() > score)
      ranked.push_back(&e);
  llvm::stable_sort(ranked,
                    [](const EvaluatedPolicy *a, const EvaluatedPolicy *b) {
                      return a->quality.score() > b->quality.score();
                    });
  std::vector<BitsVector> result;
  for (const EvaluatedPolicy *e : ranked)
    if (!llvm::is_contained(result, e->bits))
      result.push_back(e->bits);
  return result;
}

bool tandem::quant::meetsBudgetsMeasured(const SearchProblem &problem,
                                         const MeasuredPolicy &m) {
  for (unsigned b = 0; b < problem.budgets.size(); ++b)
    if (getMeasuredValue(problem, b, m) > problem.limits[b] * (1 + 1e-12))
      return false;
  return true;
}

Expected<std::unique_ptr<MixedPrecisionResult>>
tandem::quant::runMixedPrecision(ModuleOp module,
                                 const MixedPrecisionConfig &config) {
  auto log = [&](const llvm::Twine &line) {
    if (config.log)
      config.log(line.str());
  };
  auto result = std::make_unique<MixedPrecisionResult>();
  if (config.budgets.empty())
    return fail("no budget given (e.g. latency=0.6)");
  auto perSample = getSampleElements(module);
  if (!perSample)
    return perSample.takeError();
  auto data = Dataset::open(config.dataPath, config.labelsPath, *perSample,
                            config.validationSamples);
  if (!data)
    return data.takeError();
  result->validationSamples = (*data)->size();
  std::unique_ptr<Dataset> test;
  if (!config.testDataPath.empty()) {
    auto t = Dataset::open(config.testDataPath, config.testLabelsPath,
                           *perSample, config.testSamples);
    if (!t)
      return t.takeError();
    test = std::move(*t);
    result->hasTest = true;
    result->testSamples = test->size();
  }

  exec::CompileOptions compile;
  compile.threads = 1;
  auto reference = exec::Executable::compile(module, compile);
  if (!reference)
    return reference.takeError();

  // Calibration, and the layers' input moments when weights are rounded by
  // GPTQ.
  auto start = Clock::now();
  // Sequential GPTQ reruns the model once per step, too slow for every
  // policy a search scores: those are rounded by GPTQ (an estimate), the
  // chosen policy, the baselines and the result sequentially, and measured
  // so.
  auto estimating = [](Policy policy) {
    if (policy.weightRounding == WeightRounding::GPTQSequential)
      policy.weightRounding = WeightRounding::GPTQ;
    return policy;
  };
  const Policy &given = config.givenPolicy ? *config.givenPolicy : config.base;
  bool sequential = given.weightRounding == WeightRounding::GPTQSequential;
  Policy base = estimating(given), sensitivityBase = estimating(config.base);
  auto moments =
      prepareForQuantization(module, config.dataPath, config.calibrationSamples,
                             base.weightRounding, config.threads, log);
  if (!moments)
    return moments.takeError();
  result->calibrationSeconds = secondsSince(start);

  // Cost tables.
  start = Clock::now();
  MappingCache cache(config.target, config.mapper);
  // A given policy's encodings are tabled too, so that it can be costed.
  std::vector<WeightEncoding> encodings = config.encodings;
  if (config.givenPolicy) {
    std::vector<LayerBits> used = {config.givenPolicy->defaults};
    for (const auto &[name, bits] : config.givenPolicy->layers)
      used.push_back(bits);
    for (const LayerBits &b : used)
      if (b.encoding != EncodingKind::Multiply &&
          !llvm::is_contained(encodings, b.getWeightEncoding()))
        encodings.push_back(b.getWeightEncoding());
  }
  auto table = buildCostTable(module, config.target, cache, config.threads,
                              config.widths, encodings);
  if (!table)
    return fail("cost tables on '" + config.target.name +
                "': " + toString(table.takeError()));
  result->table = std::move(*table);
  const CostTable &t = result->table;
  result->tableSeconds = secondsSince(start);
  log(llvm::formatv(
      "cost tables: {0} layers x {1} width pairs{2} on '{3}', "
      "{4} mapper searches, {5:f2} s",
      t.layers.size(), t.bits.size() * t.bits.size(),
      t.encodings.empty()
          ? std::string()
          : llvm::formatv(" and {0} encodings", t.encodings.size()).str(),
      t.target, t.mapperSearches, result->tableSeconds));

  // Budgets no policy can meet fail here, before anything is measured.
  auto problem = makeSearchProblem(t, &result->sensitivity, config.budgets,
                                   config.pinFirst, config.pinLast,
                                   config.layersOnly, base);
  if (!problem)
    return problem.takeError();
  result->problem = std::move(*problem);

  // The compiled scorer, the fp32 reference on the validation data.
  auto scorer = PolicyScorer::create(module, uniformPolicy(8, 8), compile);
  if (!scorer)
    return scorer.takeError();
  // The measured policies' weights, each quantized once per width, for
  // scoring, costing and the result.
  WeightCache &weights = (*scorer)->getWeightCache();
  weights.setInputMoments(*moments);
  auto fp32 = evaluate(**reference, **data, nullptr, {}, config.threads);
  if (!fp32)
    return fp32.takeError();
  result->fp32Validation = toQuality(*fp32, (*data)->hasLabels());
  result->fp32Validation.agreement = 1;
  result->fp32Validation.noise = 0;
  if (test) {
    auto r = evaluate(**reference, *test, nullptr, {}, config.threads);
    if (!r)
      return r.takeError();
    result->fp32Test = toQuality(*r, test->hasLabels());
    result->fp32Test.agreement = 1;
    result->fp32Test.noise = 0;
  }
  ValidationOracle oracle(**scorer, **data, **reference, config.threads);

  // Sensitivity: reused when stored for the same model, data and options.
  start = Clock::now();
  std::string clippings;
  for (const ActivationClipping &c : config.activationClippings)
    clippings += c.str() + ",";
  std::string key = getSensitivityKey(
      t.layers, t.bits, t.encodings,
      llvm::formatv("{0}|{1}|{2}|{3}|{4}", config.dataPath, config.labelsPath,
                    config.calibrationSamples, config.validationSamples,
                    clippings)
          .str(),
      sensitivityBase, *fp32);
  // A given policy is measured, not searched: no sensitivity needed.
  if (!config.givenPolicy) {
    auto s = loadOrMeasureSensitivity(
        oracle, t.layers, t.bits, t.encodings, config.activationClippings,
        sensitivityBase, result->validationSamples, result->fp32Validation,
        config.sensitivityPath, key, log, config.searchOptions.interrupted,
        result->sensitivityReused);
    if (!s)
      return s.takeError();
    result->sensitivity = std::move(*s);
  }
  result->sensitivitySeconds = secondsSince(start);

  // The search.
  const SearchProblem &p = result->problem;
  auto estimate = [&](const BitsVector &bits) {
    BitsVector all = bits;
    CostEntry e;
    e.cycles = t.rest.cycles;
    e.energyPJ = t.rest.energyPJ;
    for (auto [i, b] : llvm::enumerate(all)) {
      e.cycles += t.at(i, b).cycles;
      e.energyPJ += t.at(i, b).energyPJ;
    }
    return e;
  };
  oracle.onMeasured = [&](const Policy &policy, const Quality &q) {
    EvaluatedPolicy e;
    e.bits = toBits(policy, t.layers);
    e.quality = q;
    CostEntry c = estimate(e.bits);
    e.estimatedCycles = c.cycles;
    e.estimatedEnergyPJ = c.energyPJ;
    e.meetsBudgets = p.meetsBudgets(e.bits);
    result->evaluated.push_back(std::move(e));
  };
  std::string name = config.givenPolicy
                         ? std::string("given")
                         : stringifySearchKind(config.search).str();
  if (config.givenPolicy) {
    result->search.best = toBits(*config.givenPolicy, t.layers);
    for (auto [i, b] : llvm::enumerate(result->search.best))
      if (b.weightBits > kMaxTableBits || b.activationBits > kMaxTableBits ||
          !t.at(i, b).isValid())
        return fail(llvm::formatv("the given policy's {0}A{1} for layer "
                                  "'{2}' is not a pair '{3}' supports from "
                                  "2 to 8 bits",
                                  getEncodingLabel(b.getWeightEncoding()),
                                  b.activationBits, t.layers[i].name, t.target)
                        .str());
  } else {
    start = Clock::now();
    MixedPrecisionOptions searchOptions = config.searchOptions;
    if (!searchOptions.progress)
      searchOptions.progress = [&](unsigned done, unsigned total, double best) {
        if (done % 10 == 0 || done == total)
          log(llvm::formatv("{0}: {1}/{2}, best {3:P}", name, done, total,
                            best));
      };
    auto search = createSearch(config.search);
    if (!search)
      return search.takeError();
    auto searched = (*search)->run(p, oracle, searchOptions);
    if (!searched)
      return fail(name + ": " + toString(searched.takeError()));
    result->search = std::move(*searched);
    result->searchSeconds = secondsSince(start);
    oracle.onMeasured = nullptr;
    log(llvm::formatv("{0}: done in {1:f2} s, {2} policies measured{3}", name,
                      result->searchSeconds, result->evaluated.size(),
                      result->search.interrupted ? " (interrupted)" : ""));
  }

  // Measure the chosen policy and the uniform baselines in full.
  start = Clock::now();
  // The cost of `bits` on its own IR (no data run).
  auto costOne = [&](const BitsVector &bits) -> Expected<MeasuredPolicy> {
    MeasuredPolicy m;
    m.bits = bits;
    auto c = costPolicy(module, p.toPolicy(bits), t.layers, cache, &weights);
    if (!c)
      return c.takeError();
    m.cost = c->total;
    m.layersCost = {0, 0};
    for (const CostEntry &e : c->perLayer) {
      m.layersCost.cycles += e.cycles;
      m.layersCost.energyPJ += e.energyPJ;
      m.layersCost.arithmeticPJ += e.arithmeticPJ;
    }
    m.estimate = estimate(bits);
    for (auto [i, b] : llvm::enumerate(bits)) {
      m.sizeBytes += t.layers[i].params * b.weightBits / 8.0;
      m.bitOps += double(t.layers[i].macs) * b.weightBits * b.activationBits;
    }
    return m;
  };
  std::optional<SequentialOracle> rounding;
  if (sequential)
    rounding.emplace(module, config.dataPath, config.calibrationSamples, **data,
                     **reference, config.threads);
  // Its accuracy on the validation and test data.
  auto scoreOne = [&](MeasuredPolicy &m, llvm::StringRef label) -> llvm::Error {
    m.name = label.str();
    Policy policy = p.toPolicy(m.bits);
    if (rounding) {
      log(llvm::formatv("{0}: rounding by sequential GPTQ", label));
      auto v = rounding->measure(policy);
      if (!v)
        return v.takeError();
      m.validation = *v;
      if (test) {
        auto r = rounding->measureOn(policy, *test);
        if (!r)
          return r.takeError();
        m.test = *r;
      }
      return llvm::Error::success();
    }
    auto q = oracle.measure(policy);
    if (!q)
      return q.takeError();
    m.validation = *q;
    if (test) {
      auto r =
          (*scorer)->score(policy, *test, reference->get(), config.threads);
      if (!r)
        return r.takeError();
      m.test = toQuality(r->result, test->hasLabels());
    }
    return llvm::Error::success();
  };
  auto measureOne = [&](llvm::StringRef label,
                        const BitsVector &bits) -> Expected<MeasuredPolicy> {
    auto m = costOne(bits);
    if (!m)
      return m.takeError();
    if (llvm::Error e = scoreOne(*m, label))
      return std::move(e);
    return m;
  };
  auto chosen = measureOne(name, result->search.best);
  if (!chosen)
    return chosen.takeError();
  result->chosen = std::move(*chosen);
  // The tables estimate: in a mixed policy a layer's output is stored at
  // its reader's width. When the measured cost overshoots a latency or
  // energy budget, tighten that limit to the policy's estimate scaled by
  // the overshoot, compounding, and choose again (the integer program
  // re-solves, other searches apply the action wall to their policy), at
  // most three times. Scaling the limit alone brought back the same
  // policy when the tables underestimate it by more than its overshoot.
  SearchProblem tightened = p;
  for (int round = 0; round < 3 && !config.givenPolicy &&
                      !meetsBudgetsMeasured(p, result->chosen);
       ++round) {
    const MeasuredPolicy &m = result->chosen;
    for (unsigned b = 0; b < p.budgets.size(); ++b) {
      double value = getMeasuredValue(p, b, m);
      if (value > p.limits[b])
        tightened.limits[b] =
            std::min(tightened.limits[b],
                     p.getTotalCost(b, m.bits) / value * p.limits[b]);
    }
    BitsVector bits = m.bits;
    if (config.search == SearchKind::ILP) {
      auto again =
          createILPSearch()->run(tightened, oracle, config.searchOptions);
      if (!again) {
        consumeError(again.takeError());
        break;
      }
      bits = again->best;
    } else if (!tightened.enforceBudgets(bits)) {
      break;
    }
    log(llvm::formatv("the measured cost exceeds a budget; choosing again "
                      "under limits tightened by the overshoot (round {0})",
                      round + 1));
    auto repaired = measureOne(name, bits);
    if (!repaired)
      return repaired.takeError();
    result->chosen = std::move(*repaired);
    result->search.best = bits;
  }
  // Lowering bits may cost more accuracy than another policy the search
  // measured that meets the budgets as measured: take the most accurate
  // such one (costing at most kMaxFallbackCostings of them).
  if (!config.givenPolicy) {
    constexpr size_t kMaxFallbackCostings = 16;
    std::vector<BitsVector> ranked =
        rankMoreAccurate(result->evaluated, result->chosen.validation.score(),
                         result->search.best);
    if (ranked.size() > kMaxFallbackCostings)
      ranked.resize(kMaxFallbackCostings);
    for (const BitsVector &bits : ranked) {
      auto m = costOne(bits);
      if (!m)
        return m.takeError();
      if (!meetsBudgetsMeasured(p, *m))
        continue;
      if (llvm::Error e = scoreOne(*m, name))
        return std::move(e);
      log(llvm::formatv("a measured policy more accurate than the chosen one "
                        "({0:P} vs {1:P} on validation) meets the budgets as "
                        "measured: chosen instead",
                        m->validation.score(),
                        result->chosen.validation.score()));
      result->chosen = std::move(*m);
      result->search.best = bits;
      break;
    }
  }
  if (!meetsBudgetsMeasured(p, result->chosen))
    log("warning: the chosen policy meets the budgets by the cost tables "
        "but not as measured on its own IR (its layers' outputs are "
        "requantized to their readers' widths); see report.json");
  result->policy = p.toPolicy(result->search.best);
  if (rounding) {
    // Taken now, while the oracle keeps the chosen policy's rounded model.
    auto q = rounding->round(result->policy);
    if (!q)
      return q.takeError();
    result->quantized = std::move(*q);
    result->policy.weightRounding = WeightRounding::GPTQSequential;
  }
  for (LayerBits u : {LayerBits{8, 8}, LayerBits{4, 8}, LayerBits{4, 4}}) {
    if (!t.supports(u))
      continue;
    auto m = measureOne(
        llvm::formatv("W{0}A{1}", u.weightBits, u.activationBits).str(),
        BitsVector(t.layers.size(), u));
    if (!m)
      return m.takeError();
    result->baselines.push_back(std::move(*m));
  }
  result->measureSeconds = secondsSince(start);
  if (rounding)
    return result;
  result->quantized = OwningOpRef<ModuleOp>(cast<ModuleOp>(module->clone()));
  if (failed(quantizeModule(*result->quantized, result->policy, "policy",
                            &weights)))
    return fail("the chosen policy cannot be applied (see the errors above)");
  return result;
}
