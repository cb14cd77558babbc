//===- Runtime.cpp - Functions compiled models call at run time -----------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Runtime/Runtime.h"

#include <cblas.h>

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

namespace {

/// BLAS needs unit stride along rows and a leading dimension covering them.
template <int N> bool isBlasLayout(const StridedMemRefType<float, N> *m) {
  return m->strides[N - 1] == 1 && m->strides[N - 2] >= m->sizes[N - 1] &&
         m->strides[N - 2] >= 1;
}

/// C += A * B for one (M x K) * (K x N) product at the given base pointers.
void gemm(const float *a, int64_t lda, const float *b, int64_t ldb, float *c,
          int64_t ldc, int64_t m, int64_t n, int64_t k) {
  if (m == 0 || n == 0 || k == 0)
    return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, lda,
              b, ldb, 1.0f, c, ldc);
}

/// The same product for any strides (views BLAS cannot take).
void gemmStrided(const float *a, const int64_t *as, const float *b,
                 const int64_t *bs, float *c, const int64_t *cs, int64_t m,
                 int64_t n, int64_t k) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t l = 0; l < k; ++l) {
      float av = a[i * as[0] + l * as[1]];
      for (int64_t j = 0; j < n; ++j)
        c[i * cs[0] + j * cs[1]] += av * b[l * bs[0] + j * bs[1]];
    }
}

/// A size-class cache of buffers. The 16 bytes before each user pointer
/// hold the underlying block and its size class (-1: not cached), so
/// release() knows where a block came from and where it goes back.
class BufferCache {
public:
  static constexpr size_t kAlignment = 64;

  void *allocate(size_t size, size_t alignment = kAlignment) {
    if (alignment > kAlignment) {
      // Rare: over-aligned blocks bypass the cache.
      char *block = static_cast<char *>(
          std::aligned_alloc(alignment, roundUp(alignment + size, alignment)));
      return block ? tag(block, alignment, -1) : nullptr;
    }
    int cls = sizeClass(size);
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!free[cls].empty()) {
        char *block = free[cls].back();
        free[cls].pop_back();
        return block + kAlignment;
      }
    }
    char *block = static_cast<char *>(
        std::aligned_alloc(kAlignment, kAlignment + (size_t(1) << cls)));
    return block ? tag(block, kAlignment, cls) : nullptr;
  }

  void release(void *ptr) {
    if (!ptr)
      return;
    char *user = static_cast<char *>(ptr);
    char *block;
    int64_t cls;
    std::memcpy(&block, user - 16, sizeof(block));
    std::memcpy(&cls, user - 8, sizeof(cls));
    if (cls < 0) {
      std::free(block);
      return;
    }
    std::lock_guard<std::mutex> lock(mutex);
    free[cls].push_back(block);
  }

private:
  static size_t roundUp(size_t n, size_t to) { return (n + to - 1) / to * to; }
  static void *tag(char *block, size_t header, int64_t cls) {
    char *user = block + header;
    std::memcpy(user - 16, &block, sizeof(block));
    std::memcpy(user - 8, &cls, sizeof(cls));
    return user;
  }
  /// Smallest power of two >= size (and >= 64 bytes).
  static int sizeClass(size_t size) {
    assert(size <= (size_t(1) << 62) && "callers bound the size");
    int cls = 6;
    while ((size_t(1) << cls) < size)
      ++cls;
    return cls;
  }
  std::mutex mutex;
  std::vector<char *> free[64];
};

BufferCache &bufferCache() {
  static BufferCache *cache = new BufferCache(); // Lives until exit.
  return *cache;
}

/// Generated code cannot handle a null buffer, so running out of memory
/// ends the run with a message rather than a segmentation fault.
void *checked(void *block, size_t size) {
  if (!block) {
    std::fprintf(stderr,
                 "tandem runtime: error: out of memory: cannot allocate a "
                 "%zu-byte buffer\n",
                 size);
    std::exit(1);
  }
  return block;
}

constexpr size_t kLargestBuffer = size_t(1) << 62;

} // namespace

extern "C" {

void *_mlir_memref_to_llvm_alloc(size_t size) {
  return checked(size > kLargestBuffer ? nullptr : bufferCache().allocate(size),
                 size);
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size) {
  return checked(
      size > kLargestBuffer ? nullptr : bufferCache().allocate(size, alignment),
      size);
}

void _mlir_memref_to_llvm_free(void *ptr) { bufferCache().release(ptr); }

void _mlir_ciface_tandem_sgemm(StridedMemRefType<float, 2> *a,
                               StridedMemRefType<float, 2> *b,
                               StridedMemRefType<float, 2> *c) {
  int64_t m = a->sizes[0], k = a->sizes[1], n = b->sizes[1];
  const float *pa = a->data + a->offset;
  const float *pb = b->data + b->offset;
  float *pc = c->data + c->offset;
  if (isBlasLayout(a) && isBlasLayout(b) && isBlasLayout(c))
    gemm(pa, a->strides[0], pb, b->strides[0], pc, c->strides[0], m, n, k);
  else
    gemmStrided(pa, a->strides, pb, b->strides, pc, c->strides, m, n, k);
}

void _mlir_ciface_tandem_sgemm_batched(StridedMemRefType<float, 3> *a,
                                       StridedMemRefType<float, 3> *b,
                                       StridedMemRefType<float, 3> *c) {
  int64_t batch = a->sizes[0], m = a->sizes[1], k = a->sizes[2],
          n = b->sizes[2];
  bool blas = isBlasLayout(a) && isBlasLayout(b) && isBlasLayout(c);
  for (int64_t i = 0; i < batch; ++i) {
    const float *pa = a->data + a->offset + i * a->strides[0];
    const float *pb = b->data + b->offset + i * b->strides[0];
    float *pc = c->data + c->offset + i * c->strides[0];
    if (blas)
      gemm(pa, a->strides[1], pb, b->strides[1], pc, c->strides[1], m, n, k);
    else
      gemmStrided(pa, a->strides + 1, pb, b->strides + 1, pc, c->strides + 1, m,
                  n, k);
  }
}

void _mlir_ciface_tandem_sgemm_shared_lhs(StridedMemRefType<float, 2> *a,
                                          StridedMemRefType<float, 3> *b,
                                          StridedMemRefType<float, 3> *c) {
  int64_t batch = b->sizes[0], m = a->sizes[0], k = a->sizes[1],
          n = b->sizes[2];
  const float *pa = a->data + a->offset;
  bool blas = isBlasLayout(a) && isBlasLayout(b) && isBlasLayout(c);
  for (int64_t i = 0; i < batch; ++i) {
    const float *pb = b->data + b->offset + i * b->strides[0];
    float *pc = c->data + c->offset + i * c->strides[0];
    if (blas)
      gemm(pa, a->strides[0], pb, b->strides[1], pc, c->strides[1], m, n, k);
    else
      gemmStrided(pa, a->strides, pb, b->strides + 1, pc, c->strides + 1, m, n,
                  k);
  }
}

void tandem_runtime_set_threads(int threads) {
  openblas_set_num_threads(threads < 1 ? 1 : threads);
}

const char *tandem_runtime_blas_core() { return openblas_get_corename(); }

int tandem_runtime_abi_version() { return 1; }
}
