//===- InitAll.h - Register Tandem's dialects and passes --------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// One place that lists what the tools (and anyone embedding Tandem in an
// MLIR stack) need to register, so tandem-opt, tandem-translate and the
// Python module agree.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_INITALL_H
#define TANDEM_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace tandem {

/// Adds the accel dialect, every upstream dialect with its interface
/// implementations, and the LLVM IR translations to `registry`.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers Tandem's passes and pipelines and every upstream pass.
void registerAllPasses();

/// Hides the command-line options that libLLVM.so registers for its own
/// backends (hundreds of AMDGPU, X86, ... flags) so that a tool's --help
/// shows only its own and MLIR's options. Call first thing in main, before
/// MLIR and Tandem register theirs; --help-hidden still lists everything.
void hideUnrelatedOptions();

} // namespace tandem

#endif // TANDEM_INITALL_H
