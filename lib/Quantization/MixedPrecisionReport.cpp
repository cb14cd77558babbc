//===- MixedPrecisionReport.cpp - JSON and HTML reports, output files -----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/MixedPrecisionDriver.h"
#include "tandem/Support/FileIO.h"
#include "tandem/Support/Plot.h"
#include "tandem/Target/ONNX/ExportQDQ.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

using namespace tandem;
using namespace tandem::quant;
namespace json = llvm::json;

namespace {

json::Value number(double v) {
  return std::isfinite(v) ? json::Value(v) : json::Value(nullptr);
}

json::Object qualityJSON(const Quality &q) {
  return json::Object{{"accuracy", number(q.accuracy)},
                      {"agreement", number(q.agreement)},
                      {"sqnr_db", number(q.getSQNR())}};
}

json::Array bitsJSON(const CostTable &table, const BitsVector &bits) {
  json::Array out;
  for (auto [info, b] : llvm::zip(table.layers, bits))
    out.push_back(json::Object{
        {"name", info.name},
        {"weight_bits", b.weightBits},
        {"activation_bits", b.activationBits},
        {"encoding", printEncodingChoice(b.encoding, b.maxDigits)}});
  return out;
}

const MeasuredPolicy *findW8A8(const MixedPrecisionResult &r) {
  for (const MeasuredPolicy &m : r.baselines)
    if (m.name == "W8A8")
      return &m;
  return nullptr;
}

json::Object measuredJSON(const MixedPrecisionResult &r,
                          const MeasuredPolicy &m) {
  const CostTable &t = r.table;
  json::Object o{
      {"name", m.name},
      {"layers", bitsJSON(t, m.bits)},
      {"validation", qualityJSON(m.validation)},
      {"latency_ms", t.toMs(m.cost.cycles)},
      {"energy_uj", m.cost.energyPJ * 1e-6},
      {"layers_latency_ms", t.toMs(m.layersCost.cycles)},
      {"layers_energy_uj", m.layersCost.energyPJ * 1e-6},
      {"arithmetic_uj", m.cost.arithmeticPJ * 1e-6},
      {"estimated_latency_ms", t.toMs(m.estimate.cycles)},
      {"estimated_energy_uj", m.estimate.energyPJ * 1e-6},
      {"size_bytes", m.sizeBytes},
      {"bitops", m.bitOps},
      {"meets_budgets", r.problem.meetsBudgets(m.bits)},
      {"meets_budgets_measured", meetsBudgetsMeasured(r.problem, m)}};
  if (r.hasTest)
    o["test"] = qualityJSON(m.test);
  if (const MeasuredPolicy *base = findW8A8(r)) {
    const Quality &q = r.hasTest ? m.test : m.validation;
    const Quality &q8 = r.hasTest ? base->test : base->validation;
    o["vs_w8a8"] = json::Object{
        {"latency_reduction", base->cost.cycles / m.cost.cycles},
        {"energy_reduction", base->cost.energyPJ / m.cost.energyPJ},
        {"layers_latency_reduction",
         base->layersCost.cycles / m.layersCost.cycles},
        {"layers_energy_reduction",
         base->layersCost.energyPJ / m.layersCost.energyPJ},
        {"score_change", number(q.score() - q8.score())}};
  }
  return o;
}

} // namespace

std::string
tandem::quant::printMixedPrecisionJSON(const MixedPrecisionResult &r,
                                       const MixedPrecisionConfig &config) {
  const CostTable &t = r.table;
  const SearchProblem &p = r.problem;
  json::Array budgets;
  BitsVector eight(t.layers.size(), {8, 8});
  for (auto [b, budget] : llvm::enumerate(p.budgets))
    budgets.push_back(json::Object{
        {"kind", stringifyBudgetKind(budget.kind)},
        {"value", budget.value},
        {"fraction_of_w8a8", budget.fraction},
        {"limit", p.limits[b]},
        {"w8a8", p.getTotalCost(b, eight)},
        {"chosen_estimate", p.getTotalCost(b, r.chosen.bits)},
        {"unit", budget.kind == BudgetKind::Latency ? "cycles"
                 : budget.kind == BudgetKind::Energy ||
                         budget.kind == BudgetKind::Arithmetic
                     ? "pJ"
                 : budget.kind == BudgetKind::Size ? "bits"
                                                   : "bit-operations"}});
  json::Array pinned, clippings;
  for (const ActivationClipping &c : r.sensitivity.activationClippings)
    clippings.push_back(c.str());
  for (auto [info, pin] : llvm::zip(t.layers, p.pinned))
    if (pin)
      pinned.push_back(info.name);
  json::Array baselines;
  for (const MeasuredPolicy &m : r.baselines)
    baselines.push_back(measuredJSON(r, m));
  json::Array evaluated;
  for (const EvaluatedPolicy &e : r.evaluated) {
    json::Array bits;
    // [w, a], and the encoding when the weights are shift-add encoded.
    for (const LayerBits &b : e.bits)
      bits.push_back(
          b.encoding == EncodingKind::Multiply
              ? json::Array{b.weightBits, b.activationBits}
              : json::Array{b.weightBits, b.activationBits,
                            printEncodingChoice(b.encoding, b.maxDigits)});
    json::Object o = qualityJSON(e.quality);
    o["bits"] = std::move(bits);
    o["estimated_latency_ms"] = t.toMs(e.estimatedCycles);
    o["estimated_energy_uj"] = e.estimatedEnergyPJ * 1e-6;
    o["meets_budgets"] = e.meetsBudgets;
    evaluated.push_back(std::move(o));
  }
  json::Object fp32{{"validation", qualityJSON(r.fp32Validation)}};
  if (r.hasTest)
    fp32["test"] = qualityJSON(r.fp32Test);
  json::Object search{{"kind", config.givenPolicy
                                   ? llvm::StringRef("given")
                                   : stringifySearchKind(config.search)},
                      {"seed", int64_t(config.searchOptions.seed)},
                      {"seconds", r.searchSeconds},
                      {"policies_measured", int64_t(r.evaluated.size())},
                      {"interrupted", r.search.interrupted}};
  if (config.givenPolicy) {
  } else if (config.search == SearchKind::ILP) {
    search["solver"] = "GLPK branch and cut";
    search["objective"] =
        config.searchOptions.ilpObjective == ILPObjective::Noise ? "noise"
                                                                 : "accuracy";
    search["objective_value"] = r.search.objective;
    search["optimal"] = r.search.optimal;
  } else {
    search["episodes"] = int64_t(config.searchOptions.episodes);
  }
  json::Object root{
      {"format", "tandem-mixed-precision-report/1"},
      {"target", t.target},
      {"bits", json::Array(t.bits)},
      {"budgets", std::move(budgets)},
      {"pinned", std::move(pinned)},
      {"budget_scope", p.layersOnly ? "layers" : "model"},
      {"search", std::move(search)},
      {"samples", json::Object{{"validation", r.validationSamples},
                               {"test", r.testSamples}}},
      {"sensitivity",
       json::Object{{"models_measured", int64_t(r.sensitivity.getNumModels())},
                    {"activation_clippings", std::move(clippings)},
                    {"reused", r.sensitivityReused},
                    {"seconds", r.sensitivitySeconds}}},
      {"seconds", json::Object{{"calibration", r.calibrationSeconds},
                               {"cost_tables", r.tableSeconds},
                               {"sensitivity", r.sensitivitySeconds},
                               {"search", r.searchSeconds},
                               {"measurement", r.measureSeconds}}},
      {"fp32", std::move(fp32)},
      {"chosen", measuredJSON(r, r.chosen)},
      {"baselines", std::move(baselines)},
      {"evaluated", std::move(evaluated)}};
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::formatv("{0:2}", json::Value(std::move(root))) << "\n";
  return out;
}

namespace {

/// Grouped bars: each layer's weight and activation widths.
std::string getBitsSVG(const CostTable &t, const BitsVector &bits) {
  const double barW = 10, gap = 14, left = 40, top = 10, plotH = 160;
  double width = left + bits.size() * (2 * barW + gap) + 20;
  double height = top + plotH + 110;
  std::string svg;
  llvm::raw_string_ostream os(svg);
  os << llvm::formatv("<svg width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} "
                      "{1}\" role=\"img\">\n",
                      width, height);
  for (int b = 0; b <= 8; b += 2) {
    double y = top + plotH * (1 - b / 8.0);
    os << llvm::formatv("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" "
                        "stroke=\"#eee\"/><text x=\"{3}\" y=\"{4}\" "
                        "text-anchor=\"end\" class=\"tick\">{5}</text>\n",
                        left, y, width - 20, left - 6, y + 4, b);
  }
  for (auto [i, b] : llvm::enumerate(bits)) {
    double x = left + i * (2 * barW + gap) + gap / 2;
    double hw = plotH * b.weightBits / 8.0, ha = plotH * b.activationBits / 8.0;
    os << llvm::formatv(
        "<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" "
        "class=\"wbar\"><title>{4}: {5}</title></rect>\n",
        x, top + plotH - hw, barW, hw, escapeHTML(t.layers[i].name),
        getEncodingLabel(b.getWeightEncoding()));
    os << llvm::formatv(
        "<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" "
        "class=\"abar\"><title>{4}: A{5}</title></rect>\n",
        x + barW, top + plotH - ha, barW, ha, escapeHTML(t.layers[i].name),
        b.activationBits);
    double lx = x + barW, ly = top + plotH + 8;
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" class=\"tick\" "
                        "transform=\"rotate(60 {0} {1})\">{2}</text>\n",
                        lx, ly, escapeHTML(t.layers[i].name.substr(0, 24)));
  }
  os << "</svg>\n";
  return svg;
}

std::string getTradeOffSVG(const MixedPrecisionResult &r, bool energy) {
  const CostTable &t = r.table;
  auto x = [&](double cycles, double pj) {
    return energy ? pj * 1e-6 : t.toMs(cycles);
  };
  std::vector<double> xs, ys;
  for (const EvaluatedPolicy &e : r.evaluated) {
    xs.push_back(x(e.estimatedCycles, e.estimatedEnergyPJ));
    ys.push_back(100 * e.quality.score());
  }
  std::vector<const MeasuredPolicy *> marked;
  for (const MeasuredPolicy &m : r.baselines)
    marked.push_back(&m);
  marked.push_back(&r.chosen);
  for (const MeasuredPolicy *m : marked) {
    xs.push_back(x(m->cost.cycles, m->cost.energyPJ));
    ys.push_back(100 * m->validation.score());
  }
  std::string yTitle = r.fp32Validation.accuracy == r.fp32Validation.accuracy
                           ? "validation top-1 (%)"
                           : "agreement with fp32 (%)";
  ScatterSVG plot(xs, ys,
                  energy ? "energy (uJ, estimated from the tables)"
                         : "latency (ms, estimated from the tables)",
                  yTitle);
  for (const EvaluatedPolicy &e : r.evaluated)
    plot.point(x(e.estimatedCycles, e.estimatedEnergyPJ),
               100 * e.quality.score(), 2.5, e.meetsBudgets ? "cand" : "over");
  for (const MeasuredPolicy *m : marked) {
    double px = x(m->cost.cycles, m->cost.energyPJ);
    double py = 100 * m->validation.score();
    bool chosen = m == &r.chosen;
    plot.point(px, py, chosen ? 7 : 5, chosen ? "best" : "base",
               m->name + (chosen ? " (chosen, measured)" : " (measured)"));
    plot.label(px, py, chosen ? "chosen" : m->name);
  }
  return plot.finish();
}

} // namespace

std::string
tandem::quant::printMixedPrecisionHTML(const MixedPrecisionResult &r,
                                       const MixedPrecisionConfig &config) {
  const CostTable &t = r.table;
  std::string html;
  llvm::raw_string_ostream os(html);
  os << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
        "<title>tandem-quantize report</title>\n<style>\n"
        "body{font-family:sans-serif;margin:2em;max-width:1100px}\n"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;"
        "padding:3px 8px;text-align:right}td.l{text-align:left}\n"
        ".tick{font-size:11px;fill:#555}.cand{fill:#9ab}.over{fill:#e9b}"
        ".base{fill:#26c}.best{fill:#d22}.wbar{fill:#26c}.abar{fill:#e80}\n"
        "</style></head><body>\n";
  os << "<h1>Mixed precision on " << escapeHTML(t.target) << "</h1>\n<p>"
     << "Search <b>"
     << (config.givenPolicy ? llvm::StringRef("given policy")
                            : stringifySearchKind(config.search))
     << "</b> (seed " << config.searchOptions.seed << "), budgets ";
  for (auto [i, b] : llvm::enumerate(r.problem.budgets))
    os << (i ? ", " : "") << "<b>" << escapeHTML(stringifyBudget(b)) << "</b>";
  os << llvm::formatv(". {0} policies measured on {1} validation samples in "
                      "{2:f1} s; sensitivity: {3} models{4}.</p>\n",
                      r.evaluated.size(), r.validationSamples, r.searchSeconds,
                      r.sensitivity.getNumModels(),
                      r.sensitivityReused ? " (reused)" : "");
  os << "<h2>Results (measured)</h2>\n<table><tr><th>policy</th>"
        "<th>validation</th>"
     << (r.hasTest ? "<th>test</th>" : "")
     << "<th>latency (ms)</th><th>energy (uJ)</th><th>size (kB)</th>"
        "<th>meets budgets</th></tr>\n";
  auto row = [&](llvm::StringRef name, const Quality &v, const Quality &te,
                 const CostEntry *c, double size, bool meets) {
    os << "<tr><td class=\"l\">" << escapeHTML(name) << "</td>"
       << llvm::format("<td>%.2f%%</td>", 100 * v.score());
    if (r.hasTest)
      os << llvm::format("<td>%.2f%%</td>", 100 * te.score());
    if (c)
      os << llvm::format("<td>%.4g</td><td>%.4g</td><td>%.4g</td><td>%s</td>",
                         t.toMs(c->cycles), c->energyPJ * 1e-6, size / 1e3,
                         meets ? "yes" : "no");
    else
      os << "<td></td><td></td><td></td><td></td>";
    os << "</tr>\n";
  };
  row("fp32", r.fp32Validation, r.fp32Test, nullptr, 0, true);
  for (const MeasuredPolicy &m : r.baselines)
    row(m.name, m.validation, m.test, &m.cost, m.sizeBytes,
        r.problem.meetsBudgets(m.bits));
  row("chosen (" + r.chosen.name + ")", r.chosen.validation, r.chosen.test,
      &r.chosen.cost, r.chosen.sizeBytes,
      r.problem.meetsBudgets(r.chosen.bits));
  os << "</table>\n<h2>Chosen widths per layer</h2>\n<p>Blue: weights, "
        "orange: activations.</p>\n"
     << getBitsSVG(t, r.chosen.bits);
  os << "<h2>Accuracy against latency</h2>\n<p>Every policy the search "
        "measured (grey: within the budgets, pink: over); blue: uniform "
        "baselines, red: the chosen policy (measured cost).</p>\n"
     << getTradeOffSVG(r, false) << "<h2>Accuracy against energy</h2>\n"
     << getTradeOffSVG(r, true);
  os << "<h2>Layers</h2>\n<table><tr><th>layer</th><th>kind</th><th>MACs</th>"
        "<th>params</th><th>W</th><th>A</th><th>latency at W8A8 (ms)</th>"
        "<th>latency chosen (ms)</th></tr>\n";
  for (auto [i, info] : llvm::enumerate(t.layers)) {
    LayerBits b = r.chosen.bits[i];
    os << "<tr><td class=\"l\">" << escapeHTML(info.name) << "</td><td "
       << "class=\"l\">" << info.kind << (info.depthwise ? " (depthwise)" : "")
       << "</td>"
       << llvm::format("<td>%lld</td><td>%lld</td><td>%s</td><td>%lld</td>"
                       "<td>%.4g</td><td>%.4g</td></tr>\n",
                       (long long)info.macs, (long long)info.params,
                       getEncodingLabel(b.getWeightEncoding()).c_str(),
                       (long long)b.activationBits,
                       t.toMs(t.at(i, {8, 8}).cycles),
                       t.toMs(t.at(i, b).cycles));
  }
  os << "</table>\n</body></html>\n";
  return html;
}

llvm::Error
tandem::quant::writeMixedPrecisionOutputs(const MixedPrecisionResult &r,
                                          const MixedPrecisionConfig &config,
                                          llvm::StringRef dir) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return llvm::createStringError(ec, "cannot create '%s': %s",
                                   dir.str().c_str(), ec.message().c_str());
  auto path = [&](llvm::StringRef name) {
    llvm::SmallString<256> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  };
  auto write = [&](llvm::StringRef name, const std::string &text) {
    return writeOutputFile(path(name), [&](llvm::raw_ostream &os) {
      os << text;
      return llvm::Error::success();
    });
  };
  mlir::ModuleOp quantized = r.quantized.get();
  std::string qdq;
  if (mlir::failed(exportQDQ(quantized, qdq)))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the chosen policy's model cannot be exported as ONNX QDQ (see the "
        "errors above)");
  std::string ir;
  {
    llvm::raw_string_ostream os(ir);
    quantized.print(os);
  }
  std::pair<const char *, std::string> files[] = {
      {"policy.json", printPolicy(r.policy)},
      {"quantized.mlir", ir},
      {"quantized.onnx", qdq},
      {"cost-table.json", printCostTableJSON(r.table)},
      {"cost-table.csv", printCostTableCSV(r.table)},
      {"cost-table-latency.npy", printCostTableNpy(r.table, false)},
      {"cost-table-energy.npy", printCostTableNpy(r.table, true)},
      {"report.json", printMixedPrecisionJSON(r, config)},
      {"report.html", printMixedPrecisionHTML(r, config)}};
  for (auto &[name, text] : files)
    if (llvm::Error err = write(name, text))
      return err;
  return llvm::Error::success();
}
