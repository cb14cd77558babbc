//===- Runtime.h - Functions compiled models call at run time ---*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// libTandemRuntime.so: the library the JIT-compiled code links against. The
// matrix products of f32 models go to BLAS (OpenBLAS) through these entry
// points, which --accel-matmul-to-blas calls with MLIR's C interface
// (pointers to strided memref descriptors).
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_RUNTIME_RUNTIME_H
#define TANDEM_RUNTIME_RUNTIME_H

#include "mlir/ExecutionEngine/CRunnerUtils.h"

#include <cstddef>

extern "C" {

/// C[M,N] += A[M,K] * B[K,N].
void _mlir_ciface_tandem_sgemm(StridedMemRefType<float, 2> *a,
                               StridedMemRefType<float, 2> *b,
                               StridedMemRefType<float, 2> *c);

/// C[i] += A[i] * B[i] for every batch index i.
void _mlir_ciface_tandem_sgemm_batched(StridedMemRefType<float, 3> *a,
                                       StridedMemRefType<float, 3> *b,
                                       StridedMemRefType<float, 3> *c);

/// C[i] += A * B[i] for every batch index i: one A for the batch (a
/// convolution's filter), never copied per image.
void _mlir_ciface_tandem_sgemm_shared_lhs(StridedMemRefType<float, 2> *a,
                                          StridedMemRefType<float, 3> *b,
                                          StridedMemRefType<float, 3> *c);

/// Buffer allocation for compiled code (finalize-memref-to-llvm with
/// use-generic-functions). Freed blocks are kept per size class and reused,
/// so running a model again does not map and fault in fresh pages for every
/// intermediate tensor. Blocks are 64-byte aligned.
void *_mlir_memref_to_llvm_alloc(size_t size);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size);
void _mlir_memref_to_llvm_free(void *ptr);

/// Sets the number of threads BLAS may use (1 by default).
void tandem_runtime_set_threads(int threads);

/// The name of the kernels OpenBLAS chose ("Prescott", "SkylakeX", ...).
const char *tandem_runtime_blas_core();

/// Version of the runtime ABI; also what keeps the library linked.
int tandem_runtime_abi_version();
}

namespace tandem {
/// OpenBLAS picks its kernels from the CPU model when it loads; on CPUs it
/// does not know (virtual machines report "Intel(R) Xeon(R) Processor") it
/// falls back to SSE3 "Prescott" kernels, 2-3x slower than the AVX-512 or
/// AVX2 ones the CPU has. When that happened and OPENBLAS_CORETYPE is unset,
/// re-executes the program (/proc/self/exe, same arguments) with
/// OPENBLAS_CORETYPE naming the kernels the CPU's features allow; the
/// variable is only read at load time. Call first thing in main().
void chooseBlasKernels(char **argv);
} // namespace tandem

#endif // TANDEM_RUNTIME_RUNTIME_H
