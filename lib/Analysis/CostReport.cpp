//===- CostReport.cpp - --accel-cost-report
//--------------------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Analysis/CostModel.h"
#include "tandem/Analysis/Passes.h"
#include "tandem/Dialect/Accel/IR/AccelInterfaces.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"

namespace tandem {
#define GEN_PASS_DEF_COSTREPORTPASS
#include "tandem/Analysis/Passes.h.inc"
} // namespace tandem

using namespace mlir;
using namespace tandem;
using namespace tandem::cost;

namespace {

struct OpRow {
  std::string name, kind, mapping, binding;
  int64_t macs = 0;
  int64_t bits[kNumTensorKinds] = {0, 0, 0};
  Cost cost;
};

struct FallbackRow {
  std::string name, kind, reason;
};

struct Report {
  std::vector<OpRow> ops;
  std::vector<FallbackRow> fallback;
  int64_t dataMovement = 0;
  double cycles = 0, energyPJ = 0;
  int64_t macs = 0;
};

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
    if (format != "text" && format != "json") {
      emitError(module.getLoc(),
                "--accel-cost-report format must be 'text' or 'json', "
                "not '")
          << format << "'";
      return signalPassFailure();
    }
    auto loaded = hw::loadTarget(target);
    if (!loaded) {
      emitError(module.getLoc(), llvm::toString(loaded.takeError()));
      return signalPassFailure();
    }
    const hw::Target &hwTarget = *loaded;
    Report report;
    bool failed = false;
    module.walk([&](Operation *op) {
      if (!isa<accel::AccelDialect>(op->getDialect()))
        return;
      if (failed || costOp(op, hwTarget, report).failed())
        failed = true;
    });
    if (failed)
      return signalPassFailure();

    std::string errorMessage;
    auto file = openOutputFile(output, &errorMessage);
    if (!file) {
      emitError(module.getLoc(), "cannot write the cost report: ")
          << errorMessage;
      return signalPassFailure();
    }
    if (format == "json")
      printJson(file->os(), hwTarget, report);
    else
      printText(file->os(), hwTarget, report);
    file->keep();
  }

  LogicalResult costOp(Operation *op, const hw::Target &hwTarget,
                       Report &report) {
    std::string name = accel::getDisplayName(op);
    std::string kind = op->getName().stripDialect().str();
    auto nestOp = dyn_cast<accel::LoopNestOpInterface>(op);
    if (!nestOp) {
      if (auto onnx = dyn_cast<accel::OnnxOp>(op))
        report.fallback.push_back({name, "onnx_op " + onnx.getOpType().str(),
                                   "an ONNX operator Tandem does not model"});
      else
        ++report.dataMovement;
      return success();
    }
    std::string hostReason;
    std::optional<Problem> problem =
        getOpProblem(nestOp, hwTarget, floatBits, hostReason);
    if (!problem) {
      report.fallback.push_back({name, kind, hostReason});
      return success();
    }
    Mapping mapping;
    if (auto attr = op->getAttrOfType<accel::MappingAttr>("accel.mapping")) {
      auto parsed = parseMapping(attr.getText(), *problem, hwTarget);
      if (!parsed)
        return op->emitError("invalid mapping: ")
               << llvm::toString(parsed.takeError());
      mapping = *parsed;
    } else {
      mapping = defaultMapping(*problem, hwTarget);
    }
    if (llvm::Error err = verifyMapping(*problem, mapping, hwTarget))
      return op->emitError("invalid mapping on target '")
             << hwTarget.name << "': " << llvm::toString(std::move(err));

    OpRow row;
    row.name = name;
    row.kind = kind;
    row.macs = problem->getMacs();
    for (unsigned k = 0; k < kNumTensorKinds; ++k)
      row.bits[k] = problem->tensors[k].bits;
    row.cost = evaluate(*problem, mapping, hwTarget);
    row.mapping = printMapping(mapping, *problem, hwTarget);
    row.binding = row.cost.bindingLevel < 0
                      ? "compute"
                      : hwTarget.levels[row.cost.bindingLevel].name;
    report.cycles += row.cost.cycles;
    report.energyPJ += row.cost.energyPJ;
    report.macs += row.macs;
    if (annotate) {
      op->setAttr("accel.cost",
                  accel::CostAttr::get(op->getContext(), hwTarget.name,
                                       row.macs, int64_t(row.cost.cycles),
                                       llvm::APFloat(row.cost.energyPJ),
                                       llvm::APFloat(row.cost.utilization),
                                       row.mapping));
    }
    report.ops.push_back(std::move(row));
    return success();
  }

  static double latencySeconds(double cycles, const hw::Target &t) {
    return cycles / (t.clockMHz * 1e6);
  }

  void printText(llvm::raw_ostream &os, const hw::Target &t,
                 const Report &report) {
    os << llvm::formatv(
        "target {0}: {1}x{2} {3}-{4} array, {5} dataflow{6}, "
        "{7} MHz, {8:F3} mm^2\n",
        t.name, t.array.rows, t.array.cols, hw::stringifyMacKind(t.array.mac),
        t.array.bits, hw::stringifyDataflow(t.array.dataflow),
        t.array.systolic ? " (systolic)" : "", t.clockMHz, t.getAreaMM2());
    int width = 4;
    for (const OpRow &r : report.ops)
      width = std::max(width, int(r.name.size()));
    os << llvm::format("%-*s %-8s %12s %11s %6s %10s", width, "op", "kind",
                       "MACs", "cycles", "util", "energy uJ");
    for (const hw::MemoryLevel &l : t.levels)
      os << llvm::format(" %9s", l.name.c_str());
    os << "       NoC       MAC  bound by  mapping\n";
    for (const OpRow &r : report.ops) {
      os << llvm::format("%-*s %-8s %12lld %11lld %6.3f %10.3f", width,
                         r.name.c_str(), r.kind.c_str(), (long long)r.macs,
                         (long long)r.cost.cycles, r.cost.utilization,
                         r.cost.energyPJ * 1e-6);
      for (unsigned l = 0; l < t.levels.size(); ++l)
        os << llvm::format(" %9.3f", r.cost.levelEnergyPJ[l] * 1e-6);
      os << llvm::format(" %9.3f %9.3f  %-8s  ", r.cost.networkEnergyPJ * 1e-6,
                         r.cost.computeEnergyPJ * 1e-6, r.binding.c_str())
         << r.mapping << "\n";
    }
    if (!report.fallback.empty()) {
      os << "host fallback: " << report.fallback.size() << " op(s)\n";
      for (const FallbackRow &f : report.fallback)
        os << "  " << f.name << " (" << f.kind << "): " << f.reason << "\n";
    }
    if (report.dataMovement)
      os << "data movement: " << report.dataMovement
         << " op(s) (reshape, transpose, ...; not costed)\n";
    double seconds = latencySeconds(report.cycles, t);
    os << llvm::formatv("total: {0} ops, {1} MACs, {2} cycles, {3:F3} ms, "
                        "{4:F3} uJ, EDP {5:E3} J*s, area {6:F3} mm^2\n",
                        report.ops.size(), report.macs, int64_t(report.cycles),
                        seconds * 1e3, report.energyPJ * 1e-6,
                        report.energyPJ * 1e-12 * seconds, t.getAreaMM2());
  }

  void printJson(llvm::raw_ostream &os, const hw::Target &t,
                 const Report &report) {
    using llvm::json::Array;
    using llvm::json::Object;
    Array ops;
    for (const OpRow &r : report.ops) {
      Object breakdown, accesses;
      for (auto [l, level] : llvm::enumerate(t.levels)) {
        breakdown[level.name] = r.cost.levelEnergyPJ[l];
        Object perTensor;
        for (unsigned k = 0; k < kNumTensorKinds; ++k)
          if (r.cost.reads[l][k] || r.cost.writes[l][k])
            perTensor[hw::stringifyTensorKind(hw::TensorKind(k))] = Object{
                {"reads", r.cost.reads[l][k]}, {"writes", r.cost.writes[l][k]}};
        accesses[level.name] = std::move(perTensor);
      }
      breakdown["network"] = r.cost.networkEnergyPJ;
      breakdown["compute"] = r.cost.computeEnergyPJ;
      ops.push_back(Object{
          {"name", r.name},
          {"kind", r.kind},
          {"macs", r.macs},
          {"cycles", int64_t(r.cost.cycles)},
          {"compute_cycles", int64_t(r.cost.computeCycles)},
          {"bound_by", r.binding},
          {"energy_pj", r.cost.energyPJ},
          {"energy_breakdown_pj", std::move(breakdown)},
          {"accesses", std::move(accesses)},
          {"utilization", r.cost.utilization},
          {"active_pes", r.cost.activePEs},
          {"bits", Object{{"input", r.bits[hw::Input]},
                          {"weight", r.bits[hw::Weight]},
                          {"output", r.bits[hw::Output]}}},
          {"mapping", r.mapping},
      });
    }
    Array fallback;
    for (const FallbackRow &f : report.fallback)
      fallback.push_back(
          Object{{"name", f.name}, {"kind", f.kind}, {"reason", f.reason}});
    double seconds = latencySeconds(report.cycles, t);
    Object root{
        {"schema", "tandem-cost-report/1"},
        {"target",
         Object{{"name", t.name},
                {"source", t.source},
                {"clock_mhz", t.clockMHz},
                {"rows", t.array.rows},
                {"cols", t.array.cols},
                {"mac", hw::stringifyMacKind(t.array.mac)},
                {"dataflow", hw::stringifyDataflow(t.array.dataflow)}}},
        {"ops", std::move(ops)},
        {"host_fallback", Object{{"count", int64_t(report.fallback.size())},
                                 {"ops", std::move(fallback)}}},
        {"data_movement", Object{{"count", report.dataMovement}}},
        {"total", Object{{"ops", int64_t(report.ops.size())},
                         {"macs", report.macs},
                         {"cycles", int64_t(report.cycles)},
                         {"latency_ms", seconds * 1e3},
                         {"energy_pj", report.energyPJ},
                         {"edp_j_s", report.energyPJ * 1e-12 * seconds},
                         {"area_mm2", t.getAreaMM2()}}},
    };
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  }
};

} // namespace
