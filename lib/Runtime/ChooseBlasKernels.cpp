//===- ChooseBlasKernels.cpp - Pick OpenBLAS kernels by CPU features ------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Runtime/Runtime.h"

#include <cstdlib>
#include <cstring>
#include <unistd.h>

void tandem::chooseBlasKernels(char **argv) {
#if defined(__x86_64__) && defined(__linux__)
  if (std::getenv("OPENBLAS_CORETYPE") ||
      std::strcmp(tandem_runtime_blas_core(), "Prescott") != 0)
    return;
  __builtin_cpu_init();
  const char *core = nullptr;
  if (__builtin_cpu_supports("avx512f"))
    core = "SkylakeX";
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    core = "Haswell";
  if (!core)
    return;
  setenv("OPENBLAS_CORETYPE", core, 1);
  execv("/proc/self/exe", argv);
  // exec failed: carry on with the kernels we have.
#else
  (void)argv;
#endif
}
