//===- BenchSupport.h - What the benchmark tools share ----------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_BENCH_BENCHSUPPORT_H
#define TANDEM_BENCH_BENCHSUPPORT_H

#include "tandem/Hardware/Target.h"
#include "tandem/InitAll.h"
#include "tandem/Target/ONNX/ImportONNX.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

namespace tandem::bench {

/// Loads the model (.onnx, .onnxtext or .mlir) into `context` and the target
/// (preset or YAML) a benchmark runs on; false, with the error reported,
/// when either fails.
inline bool loadInputs(llvm::StringRef modelPath, llvm::StringRef targetName,
                       mlir::MLIRContext &context,
                       mlir::OwningOpRef<mlir::ModuleOp> &module,
                       std::optional<hw::Target> &target) {
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();
  module = loadModelFile(modelPath, &context);
  if (!module)
    return false;
  auto loaded = hw::loadTarget(targetName);
  if (!loaded) {
    llvm::errs() << llvm::toString(loaded.takeError()) << "\n";
    return false;
  }
  target = std::move(*loaded);
  return true;
}

} // namespace tandem::bench

#endif // TANDEM_BENCH_BENCHSUPPORT_H
