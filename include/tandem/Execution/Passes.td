//===- Passes.td - Passes of the execution pipeline --------*- tablegen -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_EXECUTION_PASSES_TD
#define TANDEM_EXECUTION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvToGemmPass : Pass<"accel-conv-to-gemm"> {
  let summary = "Rewrite f32 NCHW convolutions as im2col plus a matrix product";
  let description = [{
    Rewrites `linalg.conv_2d_nchw_fchw` on f32 tensors into an im2col
    `linalg.generic` that gathers every window into a `(C*R*S) x (P*Q)`
    matrix, and a `linalg.matmul` (`linalg.batch_matmul` for N > 1) of the
    `K x (C*R*S)` filter with it, accumulating into the convolution's own
    accumulator. 1x1 convolutions with unit strides skip the im2col copy.
    The matrix product then runs on BLAS (`--accel-matmul-to-blas`).
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"
  ];
}

def FuseElementwisePass : Pass<"accel-fuse-elementwise"> {
  let summary = "Fuse elementwise linalg ops, leaving contractions intact";
  let description = [{
    The patterns of `--linalg-fuse-elementwise-ops` (producer-consumer
    fusion of elementwise generics, reshape propagation by expansion,
    constant folding), except that ops with reduction loops (matrix
    products, convolutions, pooling) are never fused into or expanded: a
    Linear layer's flatten would otherwise turn its `linalg.matmul` into a
    generic contraction that `--accel-matmul-to-blas` cannot take.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::affine::AffineDialect"
  ];
}

def MatmulToBlasPass : Pass<"accel-matmul-to-blas", "::mlir::ModuleOp"> {
  let summary = "Call the runtime's BLAS for f32 matrix products on buffers";
  let description = [{
    After bufferization, replaces `linalg.matmul` and `linalg.batch_matmul`
    on f32 memrefs (default indexing maps) with calls to
    `tandem_sgemm` / `tandem_sgemm_batched` from libTandemRuntime.so,
    declared with `llvm.emit_c_interface`. Other matrix products (integer,
    f16, transposed maps) stay as loops.
  }];
  let dependentDialects = [
    "::mlir::func::FuncDialect", "::mlir::memref::MemRefDialect"
  ];
}

def ExternalizeWeightsPass
    : Pass<"accel-externalize-weights", "::mlir::ModuleOp"> {
  let summary = "Keep large constant buffers out of the compiled code";
  let description = [{
    After bufferization, turns every constant `memref.global` initialized
    with a `dense_resource` blob of at least `min-bytes` bytes into an
    external declaration, and records the blob under the global's name in
    the module's `tandem.external_weights` dictionary. The JIT then binds
    the symbol to the blob's memory instead of copying megabytes of weights
    through LLVM IR and code generation, which is what makes compiling a
    ResNet-50 take seconds rather than a minute.
  }];
  let options = [
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"4096",
           "Smallest constant (in bytes) to keep outside the code">,
  ];
}

def DeallocAfterLastUsePass
    : Pass<"accel-dealloc-after-last-use", "::mlir::func::FuncOp"> {
  let summary = "Free each buffer right after its last use";
  let description = [{
    Bufferization's deallocation pipeline frees buffers at the end of the
    block that allocates them, so a whole model's intermediate buffers stay
    alive to the end of a run and peak memory is their sum. This pass moves
    each `memref.dealloc` of a `memref.alloc` in the same block to just after
    the last operation of that block that uses the buffer or a view of it
    (`subview`, `collapse_shape`, `cast`, ... any view-like op), so peak
    memory follows the widest point of the graph. A buffer reaching an
    operation that could keep or return it (a call returning memrefs, a
    region yielding it) keeps its dealloc where it was.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

#endif // TANDEM_EXECUTION_PASSES_TD
