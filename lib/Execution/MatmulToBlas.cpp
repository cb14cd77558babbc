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

/// Declares (once) `name(memref, memref, memref)` of the given ranks with
/// the C interface.
func::FuncOp getOrDeclare(ModuleOp module, StringRef name,
                          ArrayRef<int64_t> ranks) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  SmallVector<Type> types;
  for (int64_t rank : ranks)
    types.push_back(anyStridedF32(module.getContext(), rank));
  auto f = func::FuncOp::create(b, module.getLoc(), name,
                                b.getFunctionType(types, {}));
  f.setPrivate();
  f->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  return f;
}

/// A batched product (b, m, n, k) whose first operand is indexed (m, k):
/// one matrix for the whole batch (ConvToGemm's filter).
bool hasSharedLhs(linalg::BatchMatmulOp op) {
  MLIRContext *ctx = op.getContext();
  AffineExpr b = getAffineDimExpr(0, ctx), m = getAffineDimExpr(1, ctx),
             n = getAffineDimExpr(2, ctx), k = getAffineDimExpr(3, ctx);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  return maps.size() == 3 && maps[0] == AffineMap::get(4, 0, {m, k}, ctx) &&
         maps[1] == AffineMap::get(4, 0, {b, k, n}, ctx) &&
         maps[2] == AffineMap::get(4, 0, {b, m, n}, ctx);
}

bool isPlainF32(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics())
    return false;
  for (OpOperand &operand : op->getOpOperands()) {
    auto t = dyn_cast<MemRefType>(operand.get().getType());
    if (!t || !t.getElementType().isF32())
      return false;
  }
  // Only the default (non-transposed, non-broadcast) maps, and a batched
  // product whose first operand is shared by the batch.
  if (auto mm = dyn_cast<linalg::MatmulOp>(op.getOperation()))
    return !mm.hasUserDefinedMaps();
  if (auto bmm = dyn_cast<linalg::BatchMatmulOp>(op.getOperation()))
    return !bmm.hasUserDefinedMaps() || hasSharedLhs(bmm);
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
      auto bmm = dyn_cast<linalg::BatchMatmulOp>(op.getOperation());
      StringRef name = !bmm                ? "tandem_sgemm"
                       : hasSharedLhs(bmm) ? "tandem_sgemm_shared_lhs"
                                           : "tandem_sgemm_batched";
      SmallVector<int64_t, 3> ranks;
      for (Value v : op->getOperands())
        ranks.push_back(cast<MemRefType>(v.getType()).getRank());
      func::FuncOp callee = getOrDeclare(module, name, ranks);
      OpBuilder b(op);
      SmallVector<Value> args;
      for (auto [v, rank] : llvm::zip(op->getOperands(), ranks))
        args.push_back(memref::CastOp::create(
            b, op.getLoc(), anyStridedF32(&getContext(), rank), v));
      func::CallOp::create(b, op.getLoc(), callee, args);
      op->erase();
    }
  }
};

} // namespace
