//===- Report.cpp - pareto.json, candidates.csv and report.html -----------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/CoDesign/Report.h"
#include "tandem/Support/Plot.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace llvm;
using namespace tandem;
using namespace tandem::codesign;

static StringRef getStatus(const Metrics &m) {
  return !m.invalid.empty() ? "invalid"
         : m.violation > 0  ? "over-budget"
                            : "feasible";
}

SmallVector<Metric, kNumMetrics>
codesign::getReportedMetrics(const DesignSpace &space) {
  SmallVector<Metric, kNumMetrics> metrics(std::begin(kHardwareMetrics),
                                           std::end(kHardwareMetrics));
  if (space.hasNetwork())
    metrics.push_back(Metric::AccuracyLoss);
  return metrics;
}

static json::Object getMetricsJSON(const DesignSpace &space, const Metrics &m) {
  json::Object o;
  for (Metric metric : getReportedMetrics(space))
    o[getMetricKey(metric)] = m.get(metric);
  return o;
}

static json::Object getQualityJSON(const quant::Quality &q) {
  json::Object o{{"agreement", q.agreement}};
  if (!std::isnan(q.accuracy))
    o["accuracy"] = q.accuracy;
  // Without labels and at high agreement, the finer measure (none for fp32).
  if (std::isfinite(q.getSQNR()))
    o["sqnr_db"] = q.getSQNR();
  return o;
}

StringRef codesign::getToolVersion() { return TANDEM_VERSION; }

std::string codesign::formatMetric(Metric metric, double value) {
  return formatv("{0} {1}", format("%.4g", value * getMetricTextScale(metric)),
                 getMetricTextUnit(metric))
      .str();
}

static json::Object getParametersJSON(const DesignSpace &space, uint64_t id) {
  json::Object o;
  Point point = space.getPoint(id);
  for (auto [p, v] : llvm::zip(space.parameters, point))
    o[p.name] = p.getValue(v);
  return o;
}

json::Value codesign::getParetoJSON(const DesignSpace &space,
                                    const RunSummary &run,
                                    ArrayRef<FrontDesign> front) {
  json::Array models, objectives, designs, shapes;
  for (const RunSummary::Model &m : run.models)
    models.push_back(
        json::Object{{"name", m.name}, {"file", m.file}, {"weight", m.weight}});
  for (Metric m : space.objectives)
    objectives.push_back(stringifyMetric(m));
  for (const std::string &shape : run.inputShapes)
    shapes.push_back(shape);
  json::Object constraints;
  if (space.maxAreaMM2)
    constraints["max_area_mm2"] = *space.maxAreaMM2;
  if (space.maxPowerMW)
    constraints["max_power_mw"] = *space.maxPowerMW;
  if (space.maxLatencyMs)
    constraints["max_latency_ms"] = *space.maxLatencyMs;

  for (const FrontDesign &d : front) {
    json::Array modelCosts;
    for (const ModelCost &mc : d.models) {
      json::Array layers, host;
      for (const LayerCost &l : mc.layers) {
        json::Array fused;
        for (const std::string &f : l.fused)
          fused.push_back(f);
        json::Object layer{{"name", l.name},
                           {"kind", l.kind},
                           {"unit", l.unit},
                           {"fused", std::move(fused)},
                           {"count", int64_t(l.count)},
                           {"macs", l.macs},
                           {"cycles", l.cycles},
                           {"energy_pj", l.energyPJ},
                           {"utilization", l.utilization}};
        if (!l.mapping.empty())
          layer["mapping"] = l.mapping;
        layers.push_back(std::move(layer));
      }
      for (const auto &[name, reason] : mc.hostOps)
        host.push_back(json::Object{{"name", name}, {"reason", reason}});
      modelCosts.push_back(json::Object{{"name", mc.model},
                                        {"cycles", mc.cycles},
                                        {"latency_ms", mc.latencyMs},
                                        {"energy_pj", mc.energyPJ},
                                        {"layers", std::move(layers)},
                                        {"host_ops", std::move(host)}});
    }
    json::Object design{
        {"id", int64_t(d.candidate->id)},
        {"preferred", d.preferred},
        {"parameters", getParametersJSON(space, d.candidate->id)},
        {"metrics", getMetricsJSON(space, d.metrics)},
        {"models", std::move(modelCosts)}};
    if (d.network) {
      json::Object policy;
      for (auto [l, b] : llvm::zip(space.layers, d.network->bits))
        policy[l.name] = getChoiceLabel(b);
      design["network"] = json::Object{
          {"policy", std::move(policy)},
          {"validation", getQualityJSON(d.network->quality)},
          {"size_bytes", d.network->sizeBytes},
          {"estimated_metrics", getMetricsJSON(space, d.candidate->metrics)}};
    }
    designs.push_back(std::move(design));
  }
  if (space.maxAccuracyLoss)
    constraints["max_accuracy_loss"] = *space.maxAccuracyLoss;
  if (space.maxModelSizeBytes)
    constraints["max_model_size_bytes"] = *space.maxModelSizeBytes;
  json::Object result{
      {"tool", "tandem-codesign"},
      {"version", getToolVersion()},
      {"schema_version", 2},
      {"space", run.spaceFile},
      {"base_target", space.baseName},
      {"models", std::move(models)},
      {"search",
       json::Object{{"kind", stringifySearchKind(run.search)},
                    {"seed", int64_t(run.seed)},
                    {"budget", int64_t(run.budget)},
                    {"population", int64_t(run.population)},
                    {"exhaustive_limit", int64_t(run.exhaustiveLimit)},
                    {"evaluations", int64_t(run.evaluations)},
                    {"space_size", int64_t(run.spaceSize)}}},
      {"mapper",
       json::Object{{"search", mapping::stringifyStrategy(run.mapper)},
                    {"objective", stringifyMetric(run.mapperObjective)},
                    {"seed", int64_t(run.seed)}}},
      {"cost", json::Object{{"float_bits", run.costOptions.floatBits},
                            {"fuse", run.costOptions.fuse}}},
      {"import", json::Object{{"input_shapes", std::move(shapes)},
                              {"allow_unsupported", run.allowUnsupported}}},
      {"objectives", std::move(objectives)},
      {"constraints", std::move(constraints)},
      {"prefer", stringifyMetric(space.prefer)},
      {"designs", std::move(designs)}};
  if (run.surrogate) {
    const SurrogateFit &fit = *run.surrogate;
    auto perOutput = [](const std::array<double, kNumOutputs> &v) {
      return json::Object{{"latency", v[kLogLatency]},
                          {"energy", v[kLogEnergy]},
                          {"area", v[kLogArea]}};
    };
    result["surrogate"] =
        json::Object{{"trained", int64_t(fit.trained)},
                     {"held_out", int64_t(fit.heldOut)},
                     {"relative_error", perOutput(fit.relativeError)},
                     {"rank_correlation", perOutput(fit.rankCorrelation)}};
  }
  if (run.network) {
    json::Array estimated;
    for (uint64_t id : run.network->estimatedFront)
      estimated.push_back(int64_t(id));
    result["network"] =
        json::Object{{"data", run.network->data},
                     {"labels", run.network->labels},
                     {"samples", run.network->samples},
                     {"fp32", getQualityJSON(run.network->fp32)},
                     {"estimated_front", std::move(estimated)}};
    if (run.network->maxMeasuredDesigns)
      result["network"].getAsObject()->insert(
          {"max_measured_designs", int64_t(run.network->maxMeasuredDesigns)});
  }
  return result;
}

/// RFC 4180 quoting where needed.
static std::string csvField(StringRef text) {
  if (text.find_first_of(",\"\n") == StringRef::npos)
    return text.str();
  std::string out = "\"";
  for (char c : text) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

static std::string formatNumber(double v) {
  return formatv("{0}", format("%.9g", v)).str();
}

std::string codesign::getCandidatesCSV(const DesignSpace &space,
                                       const Archive &archive,
                                       ArrayRef<FrontDesign> front) {
  DenseSet<uint64_t> onFront;
  for (const FrontDesign &d : front)
    onFront.insert(d.candidate->id);
  std::string text;
  raw_string_ostream os(text);
  os << "id";
  for (const Parameter &p : space.parameters)
    os << "," << csvField(p.name);
  os << ",status";
  // Column names carry the unit, in the order of getReportedMetrics.
  SmallVector<Metric, kNumMetrics> metrics = getReportedMetrics(space);
  for (Metric m : metrics)
    os << "," << getMetricKey(m);
  os << ",violation,host_ops,pareto,note\n";
  for (const Candidate &c : archive.getCandidates()) {
    os << c.id;
    Point point = space.getPoint(c.id);
    for (auto [p, v] : llvm::zip(space.parameters, point))
      os << "," << csvField(p.getLabel(v));
    os << "," << getStatus(c.metrics);
    for (Metric m : metrics)
      os << "," << formatNumber(c.metrics.get(m));
    os << "," << formatNumber(c.metrics.violation) << "," << c.metrics.hostOps
       << "," << (onFront.contains(c.id) ? 1 : 0) << ","
       << csvField(c.metrics.invalid) << "\n";
  }
  return text;
}

//===----------------------------------------------------------------------===//
// report.html
//===----------------------------------------------------------------------===//

static std::string getScatterSVG(const Archive &archive,
                                 ArrayRef<FrontDesign> front, Metric mx,
                                 Metric my) {
  // Plotted in the units people read.
  const double sx = getMetricTextScale(mx), sy = getMetricTextScale(my);
  std::vector<double> xs, ys;
  for (const Candidate &c : archive.getCandidates())
    if (c.metrics.invalid.empty()) {
      xs.push_back(c.metrics.get(mx) * sx);
      ys.push_back(c.metrics.get(my) * sy);
    }
  auto title = [](Metric m) {
    return formatv("{0} ({1})", stringifyMetric(m), getMetricTextUnit(m)).str();
  };
  ScatterSVG plot(xs, ys, title(mx), title(my));
  // All candidates first, the front on top of them.
  for (const Candidate &c : archive.getCandidates())
    if (c.metrics.invalid.empty())
      plot.point(c.metrics.get(mx) * sx, c.metrics.get(my) * sy, 2.5,
                 c.metrics.isFeasible() ? "cand" : "over");
  for (const FrontDesign &d : front) {
    const Metrics &m = d.metrics;
    plot.point(m.get(mx) * sx, m.get(my) * sy, d.preferred ? 7 : 4,
               d.preferred ? "best" : "front",
               "design " + std::to_string(d.candidate->id));
  }
  return plot.finish();
}

std::string codesign::getReportHTML(const DesignSpace &space,
                                    const RunSummary &run,
                                    const Archive &archive,
                                    ArrayRef<FrontDesign> front, Metric mx,
                                    Metric my) {
  std::string html;
  raw_string_ostream os(html);
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
        "charset=\"utf-8\">\n<title>tandem-codesign report</title>\n<style>\n"
        "body{font-family:sans-serif;margin:2em;color:#222}\n"
        "table{border-collapse:collapse;margin:1em 0}\n"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}\n"
        "th{background:#f3f3f3}\ntd.l,th.l{text-align:left}\n"
        "tr.best{background:#fff3cd}\n"
        ".cand{fill:#9ecae1;fill-opacity:.6}\n"
        ".over{fill:none;stroke:#bbb}\n"
        ".front{fill:#d62728}\n"
        ".best{fill:#ff7f0e;stroke:#000;stroke-width:1.5}\n"
        ".tick{font-size:11px;fill:#555}\n"
        "code{font-size:90%}\n</style>\n</head>\n<body>\n";
  os << "<h1>Design-space exploration</h1>\n<p>";
  for (auto [i, m] : llvm::enumerate(run.models))
    os << (i ? ", " : "Models: ") << "<b>" << escapeHTML(m.name)
       << "</b> (weight " << format("%g", m.weight) << ")";
  size_t feasible = llvm::count_if(archive.getCandidates(), [](const auto &c) {
    return c.metrics.isFeasible();
  });
  os << ".<br>Base target <b>" << escapeHTML(space.baseName) << "</b>; "
     << stringifySearchKind(run.search) << " search (seed " << run.seed
     << ", mapper " << mapping::stringifyStrategy(run.mapper) << " for "
     << stringifyMetric(run.mapperObjective) << ", "
     << (run.costOptions.fuse ? "element-wise ops fused" : "no fusion")
     << ") evaluated " << run.evaluations << " of " << run.spaceSize
     << " points, " << feasible << " feasible; " << front.size()
     << " Pareto-optimal on ";
  for (auto [i, m] : llvm::enumerate(space.objectives))
    os << (i ? ", " : "") << stringifyMetric(m);
  os << ". Highlighted: the design with the lowest "
     << stringifyMetric(space.prefer) << ".</p>\n";

  os << "<h2>Front</h2>\n"
     << getScatterSVG(archive, front, mx, my)
     << "<p>Filled blue: feasible designs; hollow grey: over a budget; red: "
        "Pareto-optimal; orange: preferred.</p>\n";
  if (run.network) {
    // Accuracy beside the first axis, unless an axis shows it already.
    if (mx != Metric::AccuracyLoss && my != Metric::AccuracyLoss)
      os << getScatterSVG(archive, front, mx, Metric::AccuracyLoss);
    os << "<p>Joint space: every candidate is placed by its estimated cost "
          "and accuracy (per-layer cost tables and sensitivity); the front's "
          "designs by their measured ones (their own quantized IR costed, "
          "the model run on "
       << run.network->samples << " validation samples; fp32: "
       << format("%.2f%%", 100 * run.network->fp32.score()) << ").</p>\n";
  }

  os << "<table>\n<tr><th>id</th>";
  for (const Parameter &p : space.parameters)
    os << "<th>" << escapeHTML(p.name) << "</th>";
  SmallVector<Metric, kNumMetrics> metrics = getReportedMetrics(space);
  for (Metric m : metrics)
    os << "<th>" << stringifyMetric(m) << " ("
       << escapeHTML(getMetricTextUnit(m)) << ")</th>";
  os << "</tr>\n";
  for (const FrontDesign &d : front) {
    os << (d.preferred ? "<tr class=\"best\">" : "<tr>") << "<td><a href=\"#d"
       << d.candidate->id << "\">" << d.candidate->id << "</a></td>";
    Point point = space.getPoint(d.candidate->id);
    for (auto [p, v] : llvm::zip(space.parameters, point))
      os << "<td>" << escapeHTML(p.getLabel(v)) << "</td>";
    for (Metric m : metrics)
      os << "<td>" << format("%.4g", d.metrics.get(m) * getMetricTextScale(m))
         << "</td>";
    os << "</tr>\n";
  }
  os << "</table>\n<h2>Per-layer breakdown</h2>\n";
  for (const FrontDesign &d : front) {
    os << "<details id=\"d" << d.candidate->id << "\""
       << (d.preferred ? " open" : "") << "><summary>design " << d.candidate->id
       << (d.preferred ? " (preferred)" : "") << "</summary>\n";
    if (d.network) {
      os << "<p>Policy (measured accuracy loss "
         << format("%.2f", d.metrics.get(Metric::AccuracyLoss))
         << " points, estimated "
         << format("%.2f", d.candidate->metrics.get(Metric::AccuracyLoss))
         << "; weights " << format("%.0f", d.network->sizeBytes)
         << " bytes):</p>\n<table>\n<tr><th class=\"l\">layer</th>"
            "<th class=\"l\">weights / activations</th></tr>\n";
      for (auto [l, b] : llvm::zip(space.layers, d.network->bits))
        os << "<tr><td class=\"l\">" << escapeHTML(l.name)
           << "</td><td class=\"l\">" << escapeHTML(getChoiceLabel(b))
           << "</td></tr>\n";
      os << "</table>\n";
    }
    for (const ModelCost &mc : d.models) {
      os << "<p><b>" << escapeHTML(mc.model)
         << "</b>: " << format("%.0f", mc.cycles) << " cycles, "
         << format("%.4g", mc.latencyMs) << " ms, "
         << format("%.4g", mc.energyPJ * 1e-6) << " uJ</p>\n";
      os << "<table>\n<tr><th class=\"l\">layer</th><th class=\"l\">kind</th>"
            "<th class=\"l\">unit</th><th class=\"l\">fused</th>"
            "<th>count</th><th>MACs</th><th>cycles</th><th>energy (uJ)</th>"
            "<th>share of energy</th><th>utilization</th>"
            "<th class=\"l\">mapping</th></tr>\n";
      for (const LayerCost &l : mc.layers)
        os << "<tr><td class=\"l\">" << escapeHTML(l.name)
           << "</td><td class=\"l\">" << escapeHTML(l.kind)
           << "</td><td class=\"l\">" << escapeHTML(l.unit)
           << "</td><td class=\"l\">" << escapeHTML(join(l.fused, ", "))
           << "</td><td>" << l.count << "</td><td>" << format("%.0f", l.macs)
           << "</td><td>" << format("%.0f", l.cycles) << "</td><td>"
           << format("%.4g", l.energyPJ * 1e-6) << "</td><td>"
           << format("%.1f%%", mc.energyPJ > 0
                                   ? 100 * l.count * l.energyPJ / mc.energyPJ
                                   : 0.0)
           << "</td><td>" << format("%.3f", l.utilization)
           << "</td><td class=\"l\"><code>" << escapeHTML(l.mapping)
           << "</code></td></tr>\n";
      os << "</table>\n";
      for (const auto &[name, reason] : mc.hostOps)
        os << "<p>On the host: " << escapeHTML(name) << ": "
           << escapeHTML(reason) << "</p>\n";
    }
    os << "</details>\n";
  }
  os << "</body>\n</html>\n";
  return html;
}
