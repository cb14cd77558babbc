//===- Executable.h - JIT-compiled accel models ------------------*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Compiles a module's @main (accel ops on static tensors) through the
// accel-lower-to-llvm pipeline and MLIR's ExecutionEngine, and runs it on
// host tensors.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_EXECUTION_EXECUTABLE_H
#define TANDEM_EXECUTION_EXECUTABLE_H

#include "tandem/Execution/Tensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace tandem::exec {

struct CompileOptions {
  /// f32 matrix products (and convolutions, through im2col) on BLAS.
  bool blas = true;
  /// LLVM optimization level, 0-3.
  unsigned optLevel = 3;
  /// Threads BLAS may use.
  int threads = 1;
  /// Quantized tensors: integer arithmetic (false) or fake-quantized f32.
  bool fakeQuant = false;
};

/// Name, shape and element type of one input or output.
struct TensorSignature {
  std::string name;
  llvm::SmallVector<int64_t, 4> shape;
  ElementType type;
  std::string describe() const;
};

class Executable {
public:
  /// Lowers and JIT-compiles `module`'s @main. The module is not modified;
  /// its MLIRContext must outlive the Executable (the compiled code reads
  /// large weights in place from the context's resource blobs).
  /// Errors (unsupported ops, non-static signatures) are returned, with the
  /// diagnostics the pipeline printed collected in the message.
  static llvm::Expected<std::unique_ptr<Executable>>
  compile(mlir::ModuleOp module, const CompileOptions &options = {});
  ~Executable();

  llvm::ArrayRef<TensorSignature> getInputs() const { return inputs; }
  llvm::ArrayRef<TensorSignature> getOutputs() const { return outputs; }
  /// Seconds spent in the pass pipeline and in LLVM (JIT) compilation.
  double getLoweringSeconds() const { return loweringSeconds; }
  double getCodegenSeconds() const { return codegenSeconds; }

  /// Runs the model. Inputs must match getInputs() in order, shape and
  /// element type (an error names the first mismatch).
  llvm::Expected<std::vector<Tensor>> run(llvm::ArrayRef<Tensor> inputs);
  /// Runs the model on buffers the caller owns (no copies): dense
  /// row-major data of getInputs() and getOutputs(), in order, whose
  /// shapes and element types the caller has checked.
  llvm::Error runInPlace(llvm::ArrayRef<const void *> inputs,
                         llvm::ArrayRef<void *> outputs);

private:
  Executable() = default;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  /// The LLVM-dialect module; keeps the weight blobs the code reads alive.
  mlir::OwningOpRef<mlir::ModuleOp> lowered;
  std::vector<TensorSignature> inputs, outputs;
  double loweringSeconds = 0, codegenSeconds = 0;
};

} // namespace tandem::exec

#endif // TANDEM_EXECUTION_EXECUTABLE_H
