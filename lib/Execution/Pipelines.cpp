//===- Pipelines.cpp - The accel-lower-to-llvm pipeline -------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Conversion/Passes.h"
#include "tandem/Execution/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void tandem::buildLowerToLLVMPipeline(OpPassManager &pm,
                                      const LowerToLLVMOptions &options) {
  // accel -> linalg on tensors; elementwise chains fused. The matrix
  // products appear only after fusion, which would otherwise rewrite them
  // into generic contractions that BLAS cannot take.
  LowerQuantizedPassOptions quantized;
  quantized.mode = options.quantized;
  pm.addNestedPass<func::FuncOp>(createLowerQuantizedPass(quantized));
  pm.addPass(createAccelToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createFuseElementwisePass());
  if (options.convToGemm)
    pm.addPass(createConvToGemmPass());
  pm.addPass(createCanonicalizerPass());

  // Tensors -> buffers; results become out-parameters so the caller owns
  // every buffer the entry function returns.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  if (options.blas)
    pm.addPass(createMatmulToBlasPass());
  if (options.externalWeights)
    pm.addPass(createExternalizeWeightsPass());
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addNestedPass<func::FuncOp>(createDeallocAfterLastUsePass());

  // Loops, then the LLVM dialect. Math ops without an LLVM intrinsic (erf)
  // become libm calls; integer powers become a small function.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createConvertMathToFuncs());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  // Allocations go through libTandemRuntime's buffer cache.
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void tandem::registerExecutionPipelines() {
  registerExecutionPasses();
  PassPipelineRegistration<LowerToLLVMOptions>(
      "accel-lower-to-llvm",
      "Lower accel IR to the LLVM dialect for the JIT: linalg, one-shot "
      "bufferization, BLAS calls for f32 matrix products, loops, LLVM",
      buildLowerToLLVMPipeline);
}
