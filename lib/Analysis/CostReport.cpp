//===- CostReport.cpp - --accel-cost-report -------------------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Prints what the workload model computes: one row per array group,
// post-processing op and host op, then the totals and their parts. Text in
// uJ and ms for people; JSON in pJ and ms, schema tandem-cost-report/3
// (docs/cost-model.md).
//
//===----------------------------------------------------------------------===//

#include "tandem/Analysis/CostReport.h"
#include "tandem/Analysis/MappingAttrConversion.h"
#include "tandem/Analysis/Passes.h"
#include "tandem/Analysis/ScaleSimCounts.h"
#include "tandem/Analysis/WorkloadModel.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Mapping/DefaultMapping.h"
#include "tandem/Support/FileIO.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

namespace tandem {
#define GEN_PASS_DEF_COSTREPORTPASS
#include "tandem/Analysis/Passes.h.inc"
} // namespace tandem

using namespace mlir;
using namespace tandem;
using namespace tandem::workload;
using cost::kNumTensorKinds;

namespace {

constexpr const char *kPartNames[WorkloadCost::kNumParts] = {
    "array", "output_stage", "post_processing", "host"};

double toMs(double cycles, const hw::Target &t) {
  return cycles / (t.clockMHz * 1e3);
}

/// Energy of a row by component (pJ), keyed as the reports print it.
SmallVector<std::pair<std::string, double>> getBreakdown(const Row &row,
                                                         const hw::Target &t) {
  SmallVector<std::pair<std::string, double>> parts;
  if (row.unit == Unit::Host) {
    parts.push_back({"host", row.energyPJ});
    return parts;
  }
  for (auto [l, level] : llvm::enumerate(t.levels))
    parts.push_back({level.name, row.array.levelEnergyPJ[l] +
                                     (l == 0 ? row.dramEnergyPJ : 0.0)});
  parts.push_back({"network", row.array.networkEnergyPJ});
  parts.push_back({"compute", row.array.computeEnergyPJ});
  parts.push_back(
      {"post_processing", row.vectorEnergyPJ + row.accumulatorInitEnergyPJ});
  return parts;
}

/// The whole model's energy by what spends it (pJ); sums to the total.
struct EnergyComponents {
  double multiply = 0, shift = 0, add = 0, memory = 0, network = 0,
         postProcessing = 0, host = 0;
};
EnergyComponents getEnergyComponents(const WorkloadCost &result,
                                     const hw::Target &t) {
  EnergyComponents c;
  for (const Row &r : result.rows) {
    if (r.unit == Unit::Host) {
      c.host += r.energyPJ;
      continue;
    }
    c.memory += r.dramEnergyPJ;
    c.postProcessing += r.vectorEnergyPJ + r.accumulatorInitEnergyPJ;
    if (r.unit != Unit::Array)
      continue;
    for (unsigned lv = 0; lv < t.levels.size(); ++lv)
      c.memory += r.array.levelEnergyPJ[lv];
    c.network += r.array.networkEnergyPJ;
    c.multiply += r.array.multiplyEnergyPJ;
    c.shift += r.array.shiftEnergyPJ;
    c.add += r.array.addEnergyPJ;
  }
  return c;
}

struct CostReportPass
    : public tandem::impl::CostReportPassBase<CostReportPass> {
  using CostReportPassBase::CostReportPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (target.empty()) {
      emitError(module.getLoc(), "--accel-cost-report needs a target: "
                                 "target=NAME (a preset) or target=FILE.yaml");
      return signalPassFailure();
    }
    if (floatBits < 0 || floatBits > 64) {
      emitError(module.getLoc(), "--accel-cost-report float-bits must be "
                                 "between 0 and 64, not ")
          << floatBits;
      return signalPassFailure();
    }
    auto loaded = hw::loadTarget(target);
    if (!loaded) {
      emitError(module.getLoc(), llvm::toString(loaded.takeError()));
      return signalPassFailure();
    }
    const hw::Target &hwTarget = *loaded;
    if (scalesimCounts && !hwTarget.array.systolic) {
      emitError(module.getLoc(),
                "--accel-cost-report scalesim-counts=true needs a systolic "
                "target (SCALE-Sim models systolic arrays only); target '")
          << hwTarget.name << "' is not (array.systolic: false)";
      return signalPassFailure();
    }
    const WorkloadModel &model = getAnalysis<WorkloadModel>();
    CostOptions options;
    options.floatBits = floatBits;
    options.fuse = fuse;
    WorkloadCost result = costForReport(model, hwTarget, options);
    if (result.failed()) {
      Operation *at = result.errorOp ? result.errorOp : module;
      at->emitError(result.error);
      return signalPassFailure();
    }
    if (annotate)
      annotateOps(model, hwTarget, result);

    if (llvm::Error err = writeOutputFile(output, [&](raw_ostream &os) {
          if (format == ReportFormat::JSON)
            os << llvm::formatv(
                      "{0:2}",
                      getCostReportJSON(&getContext(), model, hwTarget, result,
                                        {floatBits, fuse, scalesimCounts}))
               << "\n";
          else
            printText(os, model, hwTarget, result);
          return llvm::Error::success();
        })) {
      emitError(module.getLoc(), "cannot write the cost report: ")
          << llvm::toString(std::move(err));
      return signalPassFailure();
    }
    markAllAnalysesPreserved();
  }

  void annotateOps(const WorkloadModel &model, const hw::Target &t,
                   const WorkloadCost &result) {
    MLIRContext *ctx = &getContext();
    for (const Row &row : result.rows) {
      const Layer &l = model.getLayers()[row.layer];
      accel::MappingAttr mapping;
      if (row.unit == Unit::Array)
        mapping = cost::toMappingAttr(ctx, row.mapping, *row.problem, t);
      l.op->setAttr(
          "accel.cost",
          accel::CostAttr::get(ctx, t.name, stringifyUnit(row.unit), row.macs,
                               int64_t(row.cycles), llvm::APFloat(row.energyPJ),
                               llvm::APFloat(row.array.utilization), mapping));
      for (unsigned f : row.fused)
        model.getLayers()[f].op->setAttr("accel.fused_into",
                                         StringAttr::get(ctx, l.name));
    }
  }

  static std::string describeTarget(const hw::Target &t) {
    std::string pp = "none";
    if (t.postProcessing.lanes > 0) {
      std::string ops;
      for (unsigned op = 0; op < hw::kNumVectorOps; ++op)
        if (t.postProcessing.has(hw::VectorOp(op)))
          ops += (ops.empty() ? "" : ", ") +
                 hw::stringifyVectorOp(hw::VectorOp(op)).str();
      pp = llvm::formatv("{0} lanes at {1} bits ({2})", t.postProcessing.lanes,
                         t.getPostProcessingBits(), ops);
    }
    return llvm::formatv(
        "target {0}: {1}x{2} {3}-{4} array, {5} dataflow{6}, {7} MHz, "
        "{8:F3} mm^2; post-processing: {9}; host: {10} GB/s, {11} GOP/s",
        t.name, t.array.rows, t.array.cols, hw::stringifyMacKind(t.array.mac),
        t.array.bits, hw::stringifyDataflow(t.array.dataflow),
        t.array.systolic ? " (systolic)" : "", t.clockMHz, t.getAreaMM2(), pp,
        t.host.bandwidthGBps, t.host.gops);
  }

  void printText(llvm::raw_ostream &os, const WorkloadModel &model,
                 const hw::Target &t, const WorkloadCost &result) {
    os << describeTarget(t) << "\n";
    ArrayRef<Layer> layers = model.getLayers();
    int width = 4;
    for (const Row &r : result.rows)
      width = std::max(width, int(layers[r.layer].name.size()));
    os << llvm::format("%-*s %-10s %-5s %12s %11s %6s %10s", width, "op",
                       "kind", "unit", "MACs", "cycles", "util", "energy uJ");
    for (const hw::MemoryLevel &l : t.levels)
      os << llvm::format(" %9s", l.name.c_str());
    os << "       NoC       MAC      post  bound by         mapping\n";
    unsigned hostRows = 0;
    for (const Row &r : result.rows) {
      if (r.unit == Unit::Host) {
        ++hostRows;
        continue;
      }
      const Layer &l = layers[r.layer];
      os << llvm::format("%-*s %-10s %-5s %12lld %11lld %6.3f %10.3f", width,
                         l.name.c_str(), l.kind.c_str(),
                         r.unit == Unit::Array ? "array" : "post",
                         (long long)r.macs, (long long)r.cycles,
                         r.array.utilization, r.energyPJ * 1e-6);
      for (auto &[name, pj] : getBreakdown(r, t))
        os << llvm::format(" %9.3f", pj * 1e-6);
      os << llvm::format("  %-15s ", r.boundBy.c_str());
      if (r.unit == Unit::Array)
        os << cost::toMappingAttr(&getContext(), r.mapping, *r.problem, t)
                  .getBody();
      os << "\n";
      if (scalesimCounts && r.unit == Unit::Array) {
        cost::ScaleSimCounts c = cost::getScaleSimCounts(*r.problem, t);
        os << llvm::formatv(
            "    SCALE-Sim counts: SRAM ifmap reads {0}, filter reads {1}, "
            "ofmap writes {2}; DRAM ifmap reads {3}, filter reads {4}, "
            "ofmap writes {5}\n",
            int64_t(c.sramIfmapReads), int64_t(c.sramFilterReads),
            int64_t(c.sramOfmapWrites), int64_t(c.dramIfmapReads),
            int64_t(c.dramFilterReads), int64_t(c.dramOfmapWrites));
      }
      if (r.unit == Unit::Array && layers[r.layer].nest->shiftAdd) {
        const auto &sa = *layers[r.layer].nest->shiftAdd;
        os << llvm::formatv("    weights: {0}, {1:F2} non-zero terms per "
                            "weight; arithmetic: shift {2:F3} uJ, add {3:F3} "
                            "uJ\n",
                            getEncodingLabel(sa.encoding), sa.termsPerIteration,
                            r.array.shiftEnergyPJ * 1e-6,
                            r.array.addEnergyPJ * 1e-6);
      }
      if (!r.fused.empty()) {
        os << "    fused:";
        for (auto [i, f] : llvm::enumerate(r.fused))
          os << (i ? ", " : " ") << layers[f].name << " (" << layers[f].kind
             << (r.folded[i] ? ", folded" : "") << ")";
        os << "\n";
      }
    }
    if (hostRows) {
      const double hostCycles = result.partCycles[WorkloadCost::HostPart];
      os << llvm::formatv("host: {0} op(s), {1} cycles, {2:F3} uJ\n", hostRows,
                          int64_t(hostCycles),
                          result.partEnergyPJ[WorkloadCost::HostPart] * 1e-6);
      for (const Row &r : result.rows) {
        if (r.unit != Unit::Host)
          continue;
        os << "  " << layers[r.layer].name << " (" << layers[r.layer].kind;
        for (unsigned f : r.fused)
          os << ", with " << layers[f].name << " (" << layers[f].kind << ")";
        os << "): " << r.hostReason
           << llvm::formatv("; {0} cycles, {1:F3} uJ\n", int64_t(r.cycles),
                            r.energyPJ * 1e-6);
      }
    }
    if (result.dataMovement)
      os << "data movement: " << result.dataMovement
         << " op(s) (reshape, transpose, ...; not costed)\n";
    double ms = toMs(result.cycles, t);
    os << llvm::formatv("total: {0} rows, {1} MACs, {2} cycles, {3:F3} ms, "
                        "{4:F3} uJ, EDP {5:E3} uJ*ms, area {6:F3} mm^2\n",
                        result.rows.size(), result.macs, int64_t(result.cycles),
                        ms, result.energyPJ * 1e-6, result.energyPJ * 1e-6 * ms,
                        t.getAreaMM2());
    os << "by part:";
    for (unsigned p = 0; p < WorkloadCost::kNumParts; ++p)
      os << llvm::formatv(
          "{0} {1} {2} cycles ({3:F1}%), {4:F3} uJ ({5:F1}%)", p ? ";" : "",
          StringRef(kPartNames[p]).str(), int64_t(result.partCycles[p]),
          result.cycles > 0 ? 100 * result.partCycles[p] / result.cycles : 0.0,
          result.partEnergyPJ[p] * 1e-6,
          result.energyPJ > 0 ? 100 * result.partEnergyPJ[p] / result.energyPJ
                              : 0.0);
    os << "\n";
    EnergyComponents e = getEnergyComponents(result, t);
    os << llvm::formatv("energy by component: multiply {0:F3} uJ, shift {1:F3} "
                        "uJ, add {2:F3} uJ, memory {3:F3} uJ, network {4:F3} "
                        "uJ, post-processing {5:F3} uJ, host {6:F3} uJ\n",
                        e.multiply * 1e-6, e.shift * 1e-6, e.add * 1e-6,
                        e.memory * 1e-6, e.network * 1e-6,
                        e.postProcessing * 1e-6, e.host * 1e-6);
  }
};

} // namespace

WorkloadCost tandem::costForReport(const WorkloadModel &model,
                                   const hw::Target &target,
                                   const CostOptions &options) {
  auto provider = [&](const cost::Problem &p) -> llvm::Expected<cost::Mapping> {
    return mapping::defaultMapping(p, target);
  };
  return model.evaluate(target, options, provider);
}

llvm::json::Value tandem::getCostReportJSON(MLIRContext *context,
                                            const WorkloadModel &model,
                                            const hw::Target &t,
                                            const WorkloadCost &result,
                                            const CostReportOptions &options) {
  using llvm::json::Array;
  using llvm::json::Object;
  ArrayRef<Layer> layers = model.getLayers();
  Array ops, hostOps;
  unsigned costedOps = 0;
  for (const Row &r : result.rows) {
    const Layer &l = layers[r.layer];
    costedOps += 1 + r.fused.size();
    Array fused;
    for (auto [f, folded] : llvm::zip(r.fused, r.folded))
      fused.push_back(Object{{"name", layers[f].name},
                             {"kind", layers[f].kind},
                             {"folded", folded}});
    if (r.unit == Unit::Host) {
      hostOps.push_back(Object{{"name", l.name},
                               {"kind", l.kind},
                               {"fused", std::move(fused)},
                               {"reason", r.hostReason},
                               {"macs", r.macs},
                               {"bytes", r.hostBytes},
                               {"operations", r.hostOps},
                               {"cycles", int64_t(r.cycles)},
                               {"energy_pj", r.energyPJ}});
      continue;
    }
    Object breakdown, accesses;
    for (auto &[name, pj] : getBreakdown(r, t))
      breakdown[name] = pj;
    for (auto [lv, level] : llvm::enumerate(t.levels)) {
      Object perTensor;
      for (unsigned k = 0; k < kNumTensorKinds; ++k) {
        const cost::Cost &a = r.array;
        if (a.reads[lv][k] || a.fills[lv][k] || a.updates[lv][k] ||
            a.drains[lv][k])
          perTensor[hw::stringifyTensorKind(hw::TensorKind(k))] =
              Object{{"reads", a.reads[lv][k]},
                     {"fills", a.fills[lv][k]},
                     {"updates", a.updates[lv][k]},
                     {"drains", a.drains[lv][k]}};
      }
      if (lv == 0 && (r.dramReadElements || r.dramWriteElements))
        perTensor["post_processing"] = Object{{"reads", r.dramReadElements},
                                              {"writes", r.dramWriteElements}};
      if (!perTensor.empty())
        accesses[level.name] = std::move(perTensor);
    }
    Object row{
        {"name", l.name},
        {"kind", l.kind},
        {"unit", stringifyUnit(r.unit)},
        {"fused", std::move(fused)},
        {"macs", r.macs},
        {"post_processing_ops", r.vectorOps.getLaneOps()},
        {"cycles", int64_t(r.cycles)},
        {"compute_cycles", int64_t(r.array.computeCycles)},
        {"post_processing_cycles", int64_t(r.vectorCycles)},
        {"bound_by", r.boundBy},
        {"energy_pj", r.energyPJ},
        {"energy_breakdown_pj", std::move(breakdown)},
        {"accesses", std::move(accesses)},
        {"utilization", r.array.utilization},
        {"active_pes", r.array.activePEs},
    };
    if (r.unit == Unit::Array) {
      const cost::Problem &p = *r.problem;
      row["arithmetic_pj"] = Object{{"multiply", r.array.multiplyEnergyPJ},
                                    {"shift", r.array.shiftEnergyPJ},
                                    {"add", r.array.addEnergyPJ}};
      if (l.nest->shiftAdd) {
        const WeightEncoding &e = l.nest->shiftAdd->encoding;
        row["weight_encoding"] =
            Object{{"encoding", printEncodingChoice(e.kind, e.maxDigits)},
                   {"bits", e.bits},
                   {"label", getEncodingLabel(e)},
                   {"average_terms", l.nest->shiftAdd->termsPerIteration}};
      }
      row["bits"] = Object{{"input", p.tensors[hw::Input].bits},
                           {"weight", p.tensors[hw::Weight].bits},
                           {"output", p.tensors[hw::Output].bits}};
      row["mapping"] = cost::toMappingAttr(context, r.mapping, p, t).getBody();
      if (options.scalesimCounts) {
        cost::ScaleSimCounts c = cost::getScaleSimCounts(p, t);
        row["scalesim_counts"] =
            Object{{"operand_matrix", Object{{"rows", c.sr},
                                             {"cols", c.sc},
                                             {"streamed", c.t},
                                             {"runs", c.runs}}},
                   {"folds", c.rowFolds * c.colFolds * c.runs},
                   {"sram_ifmap_reads", c.sramIfmapReads},
                   {"sram_filter_reads", c.sramFilterReads},
                   {"sram_ofmap_writes", c.sramOfmapWrites},
                   {"dram_ifmap_reads", c.dramIfmapReads},
                   {"dram_filter_reads", c.dramFilterReads},
                   {"dram_ofmap_writes", c.dramOfmapWrites}};
      }
    }
    ops.push_back(std::move(row));
  }
  EnergyComponents e = getEnergyComponents(result, t);
  Object components{
      {"multiply", e.multiply}, {"shift", e.shift},
      {"add", e.add},           {"memory", e.memory},
      {"network", e.network},   {"post_processing", e.postProcessing},
      {"host", e.host}};
  Object parts;
  for (unsigned p = 0; p < WorkloadCost::kNumParts; ++p)
    parts[kPartNames[p]] = Object{{"cycles", int64_t(result.partCycles[p])},
                                  {"energy_pj", result.partEnergyPJ[p]}};
  double ms = toMs(result.cycles, t);
  Object root{
      {"schema", "tandem-cost-report/3"},
      {"target", Object{{"name", t.name},
                        {"source", t.source},
                        {"clock_mhz", t.clockMHz},
                        {"rows", t.array.rows},
                        {"cols", t.array.cols},
                        {"mac", hw::stringifyMacKind(t.array.mac)},
                        {"dataflow", hw::stringifyDataflow(t.array.dataflow)},
                        {"post_processing_lanes", t.postProcessing.lanes}}},
      {"options", Object{{"float_bits", int64_t(options.floatBits)},
                         {"fuse", options.fuse},
                         {"scalesim_counts", options.scalesimCounts}}},
      {"ops", std::move(ops)},
      {"host_fallback",
       Object{{"count", int64_t(hostOps.size())},
              {"cycles", int64_t(result.partCycles[WorkloadCost::HostPart])},
              {"energy_pj", result.partEnergyPJ[WorkloadCost::HostPart]},
              {"ops", std::move(hostOps)}}},
      {"data_movement", Object{{"count", int64_t(result.dataMovement)}}},
      {"total", Object{{"rows", int64_t(result.rows.size())},
                       {"ops", int64_t(costedOps)},
                       {"macs", result.macs},
                       {"cycles", int64_t(result.cycles)},
                       {"latency_ms", ms},
                       {"energy_pj", result.energyPJ},
                       {"edp_pj_ms", result.energyPJ * ms},
                       {"area_mm2", t.getAreaMM2()},
                       {"by_part", std::move(parts)},
                       {"energy_by_component_pj", std::move(components)}}},
  };
  return llvm::json::Value(std::move(root));
}
