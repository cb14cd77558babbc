//===- InputBinding.h - A model's inputs and outputs from files -*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Binds the inputs of a compiled model from the sources a user gives (files
// by name or position, values inline, seeded random data) and compares
// outputs with expected tensors, numpy.allclose style. tandem-run, tests and
// the Python module share these; errors name the input or output and what
// is wrong with it.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_EXECUTION_INPUTBINDING_H
#define TANDEM_EXECUTION_INPUTBINDING_H

#include "tandem/Execution/Executable.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <string>
#include <utility>
#include <vector>

namespace tandem::exec {

/// Where a model's inputs come from.
struct InputSources {
  /// NAME=FILE: an input read from a file.
  std::vector<std::pair<std::string, std::string>> files;
  /// NAME=v1,v2,...: an input given inline (one value fills the tensor).
  std::vector<std::pair<std::string, std::string>> values;
  /// Files for the inputs in order.
  std::vector<std::string> positional;
  /// Fill the inputs given no other way with seeded random values in
  /// [-1, 1) (integers: 0..9).
  bool random = false;
  unsigned seed = 0;
};

/// Reads a tensor file (.npy, .pb, ...).
using TensorFileReader =
    llvm::function_ref<llvm::Expected<Tensor>(llvm::StringRef path)>;

/// One tensor per signature, in order: named sources first, then
/// positional files, then random values. An error names the input (an
/// unknown name lists the model's inputs) or the file.
llvm::Expected<std::vector<Tensor>>
bindInputs(llvm::ArrayRef<TensorSignature> signatures,
           const InputSources &sources, TensorFileReader readFile);

/// Parses "v1,v2,..." (or one value for all) into a tensor of `signature`.
llvm::Expected<Tensor> parseInlineValues(const TensorSignature &signature,
                                         llvm::StringRef text);

/// Compares `actual` (output `name`) with `expected` (from `file`) with
/// numpy.allclose semantics (|a - x| <= atol + rtol * |x|; NaN equals NaN).
/// The error names the output, how many elements differ, and the worst one
/// with both values.
llvm::Error compareTensors(llvm::StringRef name, llvm::StringRef file,
                           const Tensor &actual, const Tensor &expected,
                           double rtol, double atol);

} // namespace tandem::exec

#endif // TANDEM_EXECUTION_INPUTBINDING_H
