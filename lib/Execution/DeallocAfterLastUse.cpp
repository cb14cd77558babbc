//===- DeallocAfterLastUse.cpp - Free buffers as soon as they are dead ----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Execution/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace tandem {
#define GEN_PASS_DEF_DEALLOCAFTERLASTUSEPASS
#include "tandem/Execution/Passes.h.inc"
} // namespace tandem

using namespace mlir;

namespace {

/// The last operation of `block` that uses `buffer` or a view of it,
/// nullptr if one of them reaches an operation that could let the buffer
/// escape (a memref result that is not a view of its operand).
Operation *findLastUse(Value buffer, Block &block, Operation *dealloc) {
  SmallVector<Value> worklist = {buffer};
  Operation *last = buffer.getDefiningOp();
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (user == dealloc)
        continue;
      if (auto view = dyn_cast<ViewLikeOpInterface>(user);
          view && view.getViewSource() == v) {
        for (Value r : user->getResults())
          worklist.push_back(r);
      } else if (llvm::any_of(user->getResultTypes(),
                              llvm::IsaPred<BaseMemRefType>) ||
                 user->hasTrait<OpTrait::IsTerminator>()) {
        return nullptr;
      }
      Operation *inBlock = block.findAncestorOpInBlock(*user);
      if (!inBlock)
        return nullptr;
      if (last->isBeforeInBlock(inBlock))
        last = inBlock;
    }
  }
  return last;
}

struct DeallocAfterLastUsePass
    : public tandem::impl::DeallocAfterLastUsePassBase<
          DeallocAfterLastUsePass> {
  void runOnOperation() override {
    SmallVector<memref::DeallocOp> deallocs;
    getOperation().walk([&](memref::DeallocOp d) { deallocs.push_back(d); });
    for (memref::DeallocOp d : deallocs) {
      auto alloc = d.getMemref().getDefiningOp<memref::AllocOp>();
      if (!alloc || alloc->getBlock() != d->getBlock())
        continue;
      if (Operation *last = findLastUse(alloc, *d->getBlock(), d);
          last && last->isBeforeInBlock(d))
        d->moveAfter(last);
    }
  }
};

} // namespace
