//===- TestWorkload.cpp - The workload model's view as attributes ---------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Analysis/Passes.h"
#include "tandem/Analysis/WorkloadModel.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace tandem {
#define GEN_PASS_DEF_TESTWORKLOADPASS
#include "tandem/Analysis/Passes.h.inc"
} // namespace tandem

using namespace mlir;
using namespace tandem;
using namespace tandem::workload;

namespace {

struct TestWorkloadPass
    : public tandem::impl::TestWorkloadPassBase<TestWorkloadPass> {
  using Base::Base;

  void runOnOperation() override {
    const WorkloadModel &model = getAnalysis<WorkloadModel>();
    Builder b(&getContext());
    ArrayRef<Layer> layers = model.getLayers();
    for (const Layer &l : layers) {
      if (l.category != Layer::Category::Compute)
        continue;
      SmallVector<Attribute> roles;
      for (const Operand &o : l.operands)
        roles.push_back(b.getStringAttr(accel::stringifyOperandRole(o.role)));
      l.op->setAttr("accel.roles", b.getArrayAttr(roles));
      // The weights' format when they are shift-add encoded.
      for (const Operand &o : l.operands)
        if (o.format.encoding)
          l.op->setAttr(
              "accel.weight_format",
              b.getStringAttr(
                  llvm::formatv("{0}: {1} bits, {2} terms per "
                                "weight",
                                getEncodingLabel(*o.format.encoding),
                                o.format.bits,
                                llvm::format("%g", o.format.termsPerWeight))
                      .str()));
    }
    for (const FusionGroup &g : model.getGroups(fuse))
      for (auto [f, folded] : llvm::zip(g.fused, g.folded)) {
        layers[f].op->setAttr("accel.fused_into",
                              b.getStringAttr(layers[g.anchor].name));
        if (folded)
          layers[f].op->setAttr("accel.folded", b.getUnitAttr());
      }
    if (target.empty())
      return markAllAnalysesPreserved();
    auto loaded = hw::loadTarget(target);
    if (!loaded) {
      emitError(getOperation().getLoc(), llvm::toString(loaded.takeError()));
      return signalPassFailure();
    }
    CostOptions options;
    options.fuse = fuse;
    options.floatBits = floatBits;
    for (const Row &row : model.place(*loaded, options)) {
      Operation *op = layers[row.layer].op;
      op->setAttr("accel.unit", b.getStringAttr(stringifyUnit(row.unit)));
      if (row.unit == Unit::Host)
        op->setAttr("accel.host_reason", b.getStringAttr(row.hostReason));
      for (unsigned f : row.fused)
        layers[f].op->setAttr("accel.unit",
                              b.getStringAttr(stringifyUnit(row.unit)));
    }
    markAllAnalysesPreserved();
  }
};

} // namespace
