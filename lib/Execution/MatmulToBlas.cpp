//===- MatmulToBlas.cpp - f32 matrix products as runtime BLAS calls -------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Execution/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

namespace tandem {
#define GEN_PASS_DEF_MATMULTOBLASPASS
#include "tandem/Execution/Passes.h.inc"
} // namespace tandem

using namespace mlir;

namespace {

/// memref<?x...xf32, strided<[?, ...], offset: ?>>: the one type a runtime
/// entry point takes, whatever view the product works on.
MemRefType anyStridedF32(MLIRContext *ctx, int64_t rank) {
  SmallVector<int64_t> sizes(rank, ShapedType::kDynamic);
  SmallVector<int64_t> strides(rank, ShapedType::kDynamic);
  return MemRefType::get(
      sizes, Float32Type::get(ctx),
      StridedLayoutAttr::get(ctx, ShapedType::kDynamic, strides));
}

/// Declares (once) `name(memref, memref, memref)` with the C interface.
func::FuncOp getOrDeclare(ModuleOp module, StringRef name, int64_t rank) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  MemRefType t = anyStridedF32(module.getContext(), rank);
  auto f = func::FuncOp::create(b, module.getLoc(), name,
                                b.getFunctionType({t, t, t}, {}));
  f.setPrivate();
  f->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  return f;
}

bool isPlainF32(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics())
    return false;
  for (OpOperand &operand : op->getOpOperands()) {
    auto t = dyn_cast<MemRefType>(operand.get().getType());
    if (!t || !t.getElementType().isF32())
      return false;
  }
  // Only the default (non-transposed, non-broadcast) maps.
  if (auto mm = dyn_cast<linalg::MatmulOp>(op.getOperation()))
    return !mm.hasUserDefinedMaps();
  if (auto bmm = dyn_cast<linalg::BatchMatmulOp>(op.getOperation()))
    return !bmm.hasUserDefinedMaps();
  return false;
}

struct MatmulToBlasPass
    : public tandem::impl::MatmulToBlasPassBase<MatmulToBlasPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<linalg::LinalgOp> products;
    module.walk([&](linalg::LinalgOp op) {
      if (isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op.getOperation()) &&
          isPlainF32(op))
        products.push_back(op);
    });
    for (linalg::LinalgOp op : products) {
      bool batched = isa<linalg::BatchMatmulOp>(op.getOperation());
      int64_t rank = batched ? 3 : 2;
      func::FuncOp callee = getOrDeclare(
          module, batched ? "tandem_sgemm_batched" : "tandem_sgemm", rank);
      OpBuilder b(op);
      MemRefType t = anyStridedF32(&getContext(), rank);
      SmallVector<Value> args;
      for (Value v : op->getOperands())
        args.push_back(memref::CastOp::create(b, op.getLoc(), t, v));
      func::CallOp::create(b, op.getLoc(), callee, args);
      op->erase();
    }
  }
};

} // namespace
