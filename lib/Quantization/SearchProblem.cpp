//===- SearchProblem.cpp - Budgets, costs and HAQ's action wall -----------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/MixedPrecision.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

using namespace tandem;
using namespace tandem::quant;
using llvm::Expected;
using llvm::StringRef;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

const int64_t kEight[] = {8};

} // namespace

StringRef tandem::quant::stringifyBudgetKind(BudgetKind kind) {
  switch (kind) {
  case BudgetKind::Latency:
    return "latency";
  case BudgetKind::Energy:
    return "energy";
  case BudgetKind::Size:
    return "size";
  case BudgetKind::BitOps:
    return "bitops";
  case BudgetKind::Arithmetic:
    return "arithmetic";
  }
  return "?";
}

Expected<Budget> tandem::quant::parseBudget(StringRef text) {
  size_t split = text.find_first_of("=:");
  auto usage = [&](const llvm::Twine &why) {
    return fail("budget '" + text + "': " + why +
                " (expected KIND=VALUE with KIND latency, energy, size, "
                "bitops or arithmetic and VALUE a fraction of W8A8 such as "
                "0.6 or 60%, or an absolute value: 1.5ms, 20uJ, 40kB, 2.5G)");
  };
  if (split == StringRef::npos)
    return usage("no '='");
  StringRef name = text.take_front(split).trim();
  StringRef value = text.drop_front(split + 1).trim();
  auto kind = llvm::StringSwitch<std::optional<BudgetKind>>(name)
                  .Case("latency", BudgetKind::Latency)
                  .Case("energy", BudgetKind::Energy)
                  .Case("size", BudgetKind::Size)
                  .Case("bitops", BudgetKind::BitOps)
                  .Case("arithmetic", BudgetKind::Arithmetic)
                  .Default(std::nullopt);
  if (!kind)
    return usage("unknown quantity '" + name + "'");
  // The longest numeric prefix, then a unit.
  size_t end = 0;
  while (end < value.size() &&
         (isdigit(value[end]) || value[end] == '.' || value[end] == 'e' ||
          ((value[end] == '-' || value[end] == '+') && end > 0 &&
           value[end - 1] == 'e')))
    ++end;
  double number;
  if (end == 0 || value.take_front(end).getAsDouble(number) || number <= 0 ||
      !std::isfinite(number))
    return usage("'" + value + "' is not a positive number");
  StringRef unit = value.drop_front(end).trim();
  Budget budget;
  budget.kind = *kind;
  if (unit.empty() || unit == "x") {
    budget.value = number;
    return budget;
  }
  if (unit == "%") {
    budget.value = number / 100;
    return budget;
  }
  budget.fraction = false;
  double scale = 0;
  switch (*kind) {
  case BudgetKind::Latency:
    scale = llvm::StringSwitch<double>(unit)
                .Case("ms", 1)
                .Case("us", 1e-3)
                .Case("s", 1e3)
                .Default(0);
    break;
  case BudgetKind::Energy:
  case BudgetKind::Arithmetic:
    scale = llvm::StringSwitch<double>(unit)
                .Case("uJ", 1)
                .Case("nJ", 1e-3)
                .Case("mJ", 1e3)
                .Case("pJ", 1e-6)
                .Default(0);
    break;
  case BudgetKind::Size:
    scale = llvm::StringSwitch<double>(unit)
                .Case("B", 1)
                .Case("kB", 1e3)
                .Case("KB", 1e3)
                .Case("MB", 1e6)
                .Case("KiB", 1024)
                .Case("MiB", 1024 * 1024)
                .Default(0);
    break;
  case BudgetKind::BitOps:
    scale = llvm::StringSwitch<double>(unit)
                .Case("K", 1e3)
                .Case("M", 1e6)
                .Case("G", 1e9)
                .Case("T", 1e12)
                .Default(0);
    break;
  }
  if (scale == 0)
    return usage("unit '" + unit + "' does not measure " + name);
  budget.value = number * scale;
  return budget;
}

std::string tandem::quant::stringifyBudget(const Budget &budget) {
  static const char *units[] = {"ms", "uJ", "B", "", "uJ"};
  return (stringifyBudgetKind(budget.kind) + "=" +
          llvm::formatv("{0}", llvm::format("%g", budget.value)) +
          (budget.fraction ? "" : units[unsigned(budget.kind)]))
      .str();
}

llvm::ArrayRef<int64_t> SearchProblem::getBits(unsigned layer) const {
  if (pinned[layer])
    return kEight;
  return table->bits;
}

std::optional<unsigned> SearchProblem::findWeightOption(unsigned layer,
                                                        LayerBits bits) const {
  for (auto [i, o] : llvm::enumerate(weightOptions[layer]))
    if (o.getWeightEncoding() == bits.getWeightEncoding())
      return i;
  return std::nullopt;
}

std::vector<LayerBits> SearchProblem::getChoices(unsigned layer) const {
  std::vector<LayerBits> out;
  for (LayerBits w : getWeightOptions(layer))
    for (int64_t a : llvm::reverse(getBits(layer))) {
      LayerBits pair = LayerBits::get(w.getWeightEncoding(), a);
      if (table->at(layer, pair).isValid())
        out.push_back(pair);
    }
  return out;
}

double SearchProblem::getLayerCost(unsigned b, unsigned layer,
                                   LayerBits bits) const {
  const LayerInfo &info = table->layers[layer];
  switch (budgets[b].kind) {
  case BudgetKind::Latency:
    return table->at(layer, bits).cycles;
  case BudgetKind::Energy:
    return table->at(layer, bits).energyPJ;
  case BudgetKind::Size:
    return double(info.params) * bits.weightBits;
  case BudgetKind::BitOps:
    return double(info.macs) * bits.weightBits * bits.activationBits;
  case BudgetKind::Arithmetic:
    return table->at(layer, bits).arithmeticPJ;
  }
  return 0;
}

double SearchProblem::getRestCost(unsigned b) const {
  if (layersOnly)
    return 0;
  switch (budgets[b].kind) {
  case BudgetKind::Latency:
    return table->rest.cycles;
  case BudgetKind::Energy:
    return table->rest.energyPJ;
  default:
    return 0;
  }
}

double SearchProblem::getTotalCost(unsigned b,
                                   llvm::ArrayRef<LayerBits> bits) const {
  double total = getRestCost(b);
  for (auto [i, lb] : llvm::enumerate(bits))
    total += getLayerCost(b, i, lb);
  return total;
}

bool SearchProblem::meetsBudgets(llvm::ArrayRef<LayerBits> bits) const {
  for (unsigned b = 0; b < budgets.size(); ++b)
    // A relative tolerance: the sums are of doubles.
    if (getTotalCost(b, bits) > limits[b] * (1 + 1e-12))
      return false;
  return true;
}

bool SearchProblem::enforceBudgets(BitsVector &bits) const {
  // One step down: the next narrower activation width, or the next weight
  // option (narrower, or cheaper when encodings are offered).
  auto lowerActivation = [&](unsigned layer, LayerBits &bits) {
    for (int64_t a : llvm::reverse(getBits(layer))) {
      LayerBits candidate = bits;
      candidate.activationBits = a;
      if (a >= bits.activationBits || !table->at(layer, candidate).isValid())
        continue;
      bits = candidate;
      return true;
    }
    return false;
  };
  auto lowerWeights = [&](unsigned layer, LayerBits &bits) {
    llvm::ArrayRef<LayerBits> options = getWeightOptions(layer);
    std::optional<unsigned> at = findWeightOption(layer, bits);
    for (unsigned i = at ? *at + 1 : 0; i < options.size(); ++i) {
      LayerBits candidate =
          LayerBits::get(options[i].getWeightEncoding(), bits.activationBits);
      if (!table->at(layer, candidate).isValid())
        continue;
      bits = candidate;
      return true;
    }
    return false;
  };
  while (!meetsBudgets(bits)) {
    bool changed = false;
    for (unsigned l = bits.size(); l-- > 0;) {
      if (pinned[l])
        continue;
      if (lowerActivation(l, bits[l])) {
        changed = true;
        if (meetsBudgets(bits))
          return true;
      }
      if (lowerWeights(l, bits[l])) {
        changed = true;
        if (meetsBudgets(bits))
          return true;
      }
    }
    if (!changed)
      return false;
  }
  return true;
}

Policy SearchProblem::toPolicy(llvm::ArrayRef<LayerBits> bits) const {
  Policy policy = base;
  policy.defaults = {8, 8};
  policy.layers.clear();
  for (auto [i, b] : llvm::enumerate(bits)) {
    policy.layers[table->layers[i].name] = b;
    if (std::optional<ActivationClipping> c =
            sensitivity
                ? sensitivity->getActivationClipping(i, b.activationBits)
                : std::nullopt)
      policy.layerActivationClipping[table->layers[i].name] = *c;
  }
  return policy;
}

Expected<SearchProblem> tandem::quant::makeSearchProblem(
    const CostTable &table, const Sensitivity *sensitivity,
    llvm::ArrayRef<Budget> budgets, bool pinFirst, bool pinLast,
    bool layersOnly, const Policy &base) {
  SearchProblem p;
  p.layersOnly = layersOnly;
  p.table = &table;
  p.sensitivity = sensitivity;
  p.budgets.assign(budgets.begin(), budgets.end());
  p.base = base;
  unsigned n = table.layers.size();
  p.pinned.assign(n, false);
  if (n && pinFirst)
    p.pinned.front() = true;
  if (n && pinLast)
    p.pinned.back() = true;
  // Weight options: widths widest first, then encodings; with encodings,
  // ordered by what they cost under the first budget (stable: equal costs
  // keep that order), so that "one step down" is cheaper.
  p.weightOptions.resize(n);
  for (unsigned l = 0; l < n; ++l) {
    std::vector<LayerBits> &options = p.weightOptions[l];
    for (int64_t w : llvm::reverse(p.getBits(l)))
      options.push_back({w, 8});
    if (p.pinned[l] || table.encodings.empty() || budgets.empty())
      continue;
    for (const WeightEncoding &e : table.encodings)
      options.push_back(LayerBits::get(e, 8));
    auto cost = [&](LayerBits o) {
      for (int64_t a : llvm::reverse(table.bits)) {
        LayerBits pair = LayerBits::get(o.getWeightEncoding(), a);
        if (table.at(l, pair).isValid())
          return p.getLayerCost(0, l, pair);
      }
      return -1.0; // never valid: last
    };
    llvm::stable_sort(
        options, [&](LayerBits x, LayerBits y) { return cost(x) > cost(y); });
  }
  BitsVector eight(n, LayerBits{8, 8});
  for (auto [b, budget] : llvm::enumerate(budgets)) {
    double limit = budget.value;
    if (budget.fraction) {
      limit *= p.getTotalCost(b, eight);
    } else if (budget.kind == BudgetKind::Latency) {
      limit *= table.clockMHz * 1e3; // ms -> cycles
    } else if (budget.kind == BudgetKind::Energy ||
               budget.kind == BudgetKind::Arithmetic) {
      limit *= 1e6; // uJ -> pJ
    } else if (budget.kind == BudgetKind::Size) {
      limit *= 8; // bytes -> bits
    }
    p.limits.push_back(limit);
  }
  // The narrowest allowed policy must fit, or no search can succeed.
  BitsVector narrowest(n);
  for (unsigned l = 0; l < n; ++l) {
    auto choices = p.getChoices(l);
    narrowest[l] = choices.back();
  }
  for (unsigned b = 0; b < budgets.size(); ++b) {
    double least = p.getTotalCost(b, narrowest);
    if (least > p.limits[b] * (1 + 1e-12))
      return fail(
          llvm::formatv("budget {0} cannot be met on '{1}': even the narrowest "
                        "widths ({2} bits{3}) need {4:P} of W8A8{5}",
                        stringifyBudget(budgets[b]), table.target,
                        table.bits.front(),
                        pinFirst || pinLast ? ", pinned layers at 8" : "",
                        least / p.getTotalCost(b, eight),
                        layersOnly ? ""
                                   : " (the rest of the model counts too: "
                                     "--budget-scope=layers leaves it out)")
              .str());
  }
  return p;
}

StringRef tandem::quant::stringifySearchKind(SearchKind kind) {
  switch (kind) {
  case SearchKind::ILP:
    return "ilp";
  case SearchKind::Evolution:
    return "evolution";
  case SearchKind::DDPG:
    return "ddpg";
  }
  return "?";
}

std::optional<SearchKind> tandem::quant::parseSearchKind(StringRef name) {
  return llvm::StringSwitch<std::optional<SearchKind>>(name)
      .Case("ilp", SearchKind::ILP)
      .Case("evolution", SearchKind::Evolution)
      .Case("ddpg", SearchKind::DDPG)
      .Default(std::nullopt);
}
