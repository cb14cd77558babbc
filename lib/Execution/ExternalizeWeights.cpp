//===- ExternalizeWeights.cpp - Keep large constants out of the code ------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Execution/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace tandem {
#define GEN_PASS_DEF_EXTERNALIZEWEIGHTSPASS
#include "tandem/Execution/Passes.h.inc"
} // namespace tandem

using namespace mlir;

namespace {

struct ExternalizeWeightsPass
    : public tandem::impl::ExternalizeWeightsPassBase<ExternalizeWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<NamedAttribute> weights;
    if (auto existing =
            module->getAttrOfType<DictionaryAttr>("tandem.external_weights"))
      weights.append(existing.begin(), existing.end());
    module.walk([&](memref::GlobalOp global) {
      if (!global.getConstant())
        return;
      auto blob = dyn_cast_or_null<DenseResourceElementsAttr>(
          global.getInitialValueAttr());
      if (!blob || !blob.getRawHandle().getBlob())
        return;
      if (static_cast<int64_t>(
              blob.getRawHandle().getBlob()->getData().size()) < minBytes)
        return;
      weights.push_back(NamedAttribute(global.getSymNameAttr(), blob));
      // No initial value: an external declaration, public so it can be.
      global.removeInitialValueAttr();
      global.setSymVisibility("public");
      // The blob's bytes stay where the importer or the parser put them,
      // aligned to the element, not to the 64 bytes bufferization promises:
      // code relying on that promise faults on aligned vector loads.
      global.removeAlignmentAttr();
    });
    if (!weights.empty())
      module->setAttr("tandem.external_weights",
                      DictionaryAttr::get(&getContext(), weights));
  }
};

} // namespace
