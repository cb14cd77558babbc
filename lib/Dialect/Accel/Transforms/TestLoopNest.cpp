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

/// The name a user knows an op by: its NameLoc (the ONNX node name) when it
/// has one, else "line:col" in the input file.
std::string getDisplayName(Operation *op) {
  std::string name;
  op->getLoc()->walk([&](Location loc) {
    if (auto named = dyn_cast<NameLoc>(loc)) {
      name = named.getName().str();
      return WalkResult::interrupt();
    }
    if (auto file = dyn_cast<FileLineColLoc>(loc); file && name.empty())
      name = std::to_string(file.getLine()) + ":" +
             std::to_string(file.getColumn());
    return WalkResult::advance();
  });
  return name.empty() ? "?" : name;
}

struct TestLoopNestPass
    : public tandem::accel::impl::TestLoopNestPassBase<TestLoopNestPass> {
  using Base::Base;

  void runOnOperation() override {
    Builder b(&getContext());
    llvm::raw_ostream &os = llvm::outs();
    int64_t totalMacs = 0, totalOps = 0, numOps = 0;
    if (summary)
      os << llvm::format("%-12s %-18s %-44s %14s %14s\n", "op", "kind", "loops",
                         "MACs", "ops");
    WalkResult result = getOperation()->walk([&](LoopNestOpInterface op) {
      LoopNest nest = op.getLoopNest();
      SmallVector<std::string> dims, reductions;
      for (const LoopDim &d : nest.dims) {
        dims.push_back(d.name + "=" + std::to_string(d.extent));
        if (d.isReduction)
          reductions.push_back(d.name);
      }
      OpCounts total = nest.getTotalCounts();
      SmallVector<NamedAttribute> maps;
      for (const TensorAccess &t : nest.tensors)
        maps.push_back(b.getNamedAttr(t.name, AffineMapAttr::get(t.map)));

      SmallVector<NamedAttribute> fields = {
          b.getNamedAttr("dims", b.getStringAttr(llvm::join(dims, " "))),
          b.getNamedAttr("reductions",
                         b.getStringAttr(llvm::join(reductions, " "))),
          b.getNamedAttr("iterations",
                         b.getI64IntegerAttr(nest.getNumIterations())),
          b.getNamedAttr("macs", b.getI64IntegerAttr(total.macs)),
          b.getNamedAttr("ops", b.getI64IntegerAttr(total.getTotalOps())),
          b.getNamedAttr("maps", b.getDictionaryAttr(maps)),
      };
      if (!tile.empty()) {
        auto tileExtents = parseTile(op, nest, tile);
        if (failed(tileExtents))
          return WalkResult::interrupt();
        SmallVector<NamedAttribute> footprints;
        for (auto [i, t] : llvm::enumerate(nest.tensors))
          footprints.push_back(b.getNamedAttr(
              t.name,
              b.getI64IntegerAttr(nest.getTileFootprint(i, *tileExtents))));
        fields.push_back(
            b.getNamedAttr("footprints", b.getDictionaryAttr(footprints)));
      }
      op->setAttr("accel.loop_nest", b.getDictionaryAttr(fields));
      if (summary) {
        os << llvm::format("%-12s %-18s %-44s %14lld %14lld\n",
                           getDisplayName(op).c_str(),
                           op->getName().getStringRef().str().c_str(),
                           llvm::join(dims, " ").c_str(), (long long)total.macs,
                           (long long)total.getTotalOps());
        totalMacs += total.macs;
        totalOps += total.getTotalOps();
        ++numOps;
      }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();
    if (summary)
      os << llvm::format("%-12s %-18s %-44s %14lld %14lld\n", "total",
                         (std::to_string(numOps) + " ops").c_str(), "",
                         (long long)totalMacs, (long long)totalOps);
  }
};

} // namespace
