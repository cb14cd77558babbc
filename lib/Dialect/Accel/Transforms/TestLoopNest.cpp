//===- TestLoopNest.cpp - Attach loop-nest views for FileCheck ------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Dialect/Accel/Transforms/Passes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatAdapters.h"
#include "llvm/Support/raw_ostream.h"

namespace tandem::accel {
#define GEN_PASS_DEF_TESTLOOPNESTPASS
#include "tandem/Dialect/Accel/Transforms/Passes.h.inc"
} // namespace tandem::accel

using namespace mlir;
using namespace tandem::accel;

namespace {

/// Parses the `tile` option ("P=2", "Q=4", ...) against a loop nest; loops
/// not named get a tile extent of 1.
FailureOr<SmallVector<int64_t>> parseTile(Operation *op, const LoopNest &nest,
                                          ArrayRef<std::string> entries) {
  SmallVector<int64_t> tile(nest.dims.size(), 1);
  for (StringRef entry : entries) {
    auto [name, value] = entry.split('=');
    int64_t extent;
    if (value.getAsInteger(10, extent) || extent < 1) {
      op->emitError("invalid tile entry '")
          << entry << "': expected DIM=N with N >= 1";
      return failure();
    }
    // A tile may name loops this op does not have (one option serves a whole
    // module of different ops).
    if (auto d = nest.lookupDim(name))
      tile[*d] = extent;
  }
  return tile;
}

/// One row of the `summary` table.
struct SummaryRow {
  std::string name, kind, loops;
  int64_t macs, ops;
};

/// One line per op (its name padded to the longest), then the totals.
void printSummary(ArrayRef<SummaryRow> rows) {
  size_t width = 5;
  for (const SummaryRow &r : rows)
    width = std::max(width, r.name.size());
  int64_t macs = 0, ops = 0;
  llvm::raw_ostream &os = llvm::outs();
  auto line = [&](StringRef name, StringRef kind, StringRef loops, StringRef m,
                  StringRef o) {
    os << llvm::left_justify(name, width) << "  "
       << llvm::left_justify(kind, 18) << " " << llvm::left_justify(loops, 44)
       << " " << llvm::right_justify(m, 14) << " " << llvm::right_justify(o, 14)
       << "\n";
  };
  line("op", "kind", "loops", "MACs", "ops");
  for (const SummaryRow &r : rows) {
    line(r.name, r.kind, r.loops, std::to_string(r.macs),
         std::to_string(r.ops));
    macs += r.macs;
    ops += r.ops;
  }
  line("total", std::to_string(rows.size()) + " ops", "", std::to_string(macs),
       std::to_string(ops));
}

struct TestLoopNestPass
    : public tandem::accel::impl::TestLoopNestPassBase<TestLoopNestPass> {
  using Base::Base;

  void runOnOperation() override {
    Builder b(&getContext());
    SmallVector<SummaryRow> rows;
    WalkResult result = getOperation()->walk([&](LoopNestOpInterface op) {
      LoopNest nest = op.getLoopNest();
      SmallVector<std::string> dims, reductions;
      for (const LoopDim &d : nest.dims) {
        dims.push_back(d.name + "=" + std::to_string(d.extent));
        if (d.isReduction)
          reductions.push_back(d.name);
      }
      OpCounts total = nest.getTotalCounts();
      SmallVector<NamedAttribute> maps, roles;
      for (const TensorAccess &t : nest.tensors) {
        maps.push_back(b.getNamedAttr(t.name, AffineMapAttr::get(t.map)));
        roles.push_back(b.getNamedAttr(
            t.name, b.getStringAttr(stringifyOperandRole(t.role))));
      }

      SmallVector<NamedAttribute> fields = {
          b.getNamedAttr("dims", b.getStringAttr(llvm::join(dims, " "))),
          b.getNamedAttr("reductions",
                         b.getStringAttr(llvm::join(reductions, " "))),
          b.getNamedAttr("iterations",
                         b.getI64IntegerAttr(nest.getNumIterations())),
          b.getNamedAttr("macs", b.getI64IntegerAttr(total.macs)),
          b.getNamedAttr("ops", b.getI64IntegerAttr(total.getTotalOps())),
          b.getNamedAttr("maps", b.getDictionaryAttr(maps)),
          b.getNamedAttr("roles", b.getDictionaryAttr(roles)),
      };
      if (!tile.empty()) {
        auto tileExtents = parseTile(op, nest, tile);
        if (failed(tileExtents))
          return WalkResult::interrupt();
        SmallVector<NamedAttribute> footprints;
        for (auto [i, t] : llvm::enumerate(nest.tensors)) {
          std::optional<int64_t> elements =
              nest.getTileFootprint(i, *tileExtents);
          if (!elements) {
            op->emitError("tensor '")
                << t.name << "' has more than " << kMaxRank
                << " dimensions or its op more than " << kMaxLoops
                << " loops; its footprint is not modelled";
            return WalkResult::interrupt();
          }
          footprints.push_back(
              b.getNamedAttr(t.name, b.getI64IntegerAttr(*elements)));
        }
        fields.push_back(
            b.getNamedAttr("footprints", b.getDictionaryAttr(footprints)));
      }
      op->setAttr("accel.loop_nest", b.getDictionaryAttr(fields));
      if (summary)
        rows.push_back(
            SummaryRow{getDisplayName(op), op->getName().getStringRef().str(),
                       llvm::join(dims, " "), total.macs, total.getTotalOps()});
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();
    if (summary)
      printSummary(rows);
  }
};

} // namespace
