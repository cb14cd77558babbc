//===- Passes.h - Passes of the execution pipeline --------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_EXECUTION_PASSES_H
#define TANDEM_EXECUTION_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace tandem {

#define GEN_PASS_DECL
#include "tandem/Execution/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tandem/Execution/Passes.h.inc"

/// Options of the accel-lower-to-llvm pipeline.
struct LowerToLLVMOptions
    : public mlir::PassPipelineOptions<LowerToLLVMOptions> {
  Option<bool> blas{*this, "blas",
                    llvm::cl::desc("Run f32 matrix products on BLAS through "
                                   "libTandemRuntime (otherwise loops)"),
                    llvm::cl::init(true)};
  Option<bool> convToGemm{
      *this, "conv-to-gemm",
      llvm::cl::desc("Rewrite f32 convolutions as im2col + matmul"),
      llvm::cl::init(true)};
  Option<bool> externalWeights{
      *this, "external-weights",
      llvm::cl::desc("Leave large weights outside the code, as external "
                     "globals the JIT binds to their blobs (see "
                     "accel-externalize-weights)"),
      llvm::cl::init(false)};
  Option<std::string> quantized{
      *this, "quantized",
      llvm::cl::desc("How quantized tensors execute: 'integer' (storage "
                     "integers, integer arithmetic) or 'float' (their real "
                     "values in f32, rounded to the grid after every op)"),
      llvm::cl::init("integer")};
};

/// accel (on tensors) -> linalg -> buffers -> loops -> the LLVM dialect,
/// ready for mlir::ExecutionEngine. The entry function's signature becomes
/// (inputs..., outputs...) on memrefs.
void buildLowerToLLVMPipeline(mlir::OpPassManager &pm,
                              const LowerToLLVMOptions &options);

/// Registers the passes above and the `accel-lower-to-llvm` pipeline.
void registerExecutionPipelines();

} // namespace tandem

#endif // TANDEM_EXECUTION_PASSES_H
