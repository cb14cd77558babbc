//===- NumPy.h - Reading and writing .npy files -----------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_EXECUTION_NUMPY_H
#define TANDEM_EXECUTION_NUMPY_H

#include "tandem/Execution/Tensor.h"

#include "llvm/Support/Error.h"

namespace tandem::exec {

/// Reads a NumPy .npy file (format 1.0-3.0, C order, little-endian
/// float16/32/64, int8/16/32/64, bool). Errors name the file and what is
/// wrong with it.
llvm::Expected<Tensor> readNpy(llvm::StringRef path);
/// readNpy() of the bytes of a file; `name` is what errors call it.
llvm::Expected<Tensor> parseNpy(llvm::StringRef bytes, llvm::StringRef name);

/// Writes `tensor` as a format 1.0 .npy file.
llvm::Error writeNpy(llvm::StringRef path, const Tensor &tensor);

} // namespace tandem::exec

#endif // TANDEM_EXECUTION_NUMPY_H
