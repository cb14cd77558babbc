//===- Bindings.h - What the Python module's files share --------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The module `tandem._tandem` is a facade over Tandem's C++ API: no MLIR
// object crosses into Python. One MLIRContext serves the process; a model is
// a module in it. C++ errors become `tandem.Error` with the message the
// tools print: llvm::Error text, and the diagnostics MLIR emitted while the
// call ran ("file:line:col: error: ...").
//
// This is the only code that throws in Tandem (pybind11 does): it compiles
// with -fexceptions and catches nothing from MLIR, which never throws.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_PYTHON_BINDINGS_H
#define TANDEM_PYTHON_BINDINGS_H

#include "tandem/Analysis/WorkloadModel.h"
#include "tandem/Execution/Executable.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <pybind11/pybind11.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tandem::python {

namespace py = pybind11;

/// The process's context: every dialect and pass registered.
mlir::MLIRContext &getContext();

/// Collects the diagnostics MLIR emits on this thread while it lives (and,
/// as a fallback, those of other threads), for the error message.
class DiagnosticCapture {
public:
  DiagnosticCapture();
  ~DiagnosticCapture();
  /// The diagnostics so far, one per line.
  std::string take();

  std::vector<std::string> lines;

private:
  DiagnosticCapture *previous;
};

/// Raises tandem.Error with `message`, and the captured diagnostics before
/// it when there are any.
[[noreturn]] void raise(const std::string &message,
                        DiagnosticCapture *diagnostics = nullptr);
/// The value of `expected`, or raises its error.
template <typename T>
T unwrap(llvm::Expected<T> expected, DiagnosticCapture *diagnostics = nullptr) {
  if (!expected)
    raise(llvm::toString(expected.takeError()), diagnostics);
  return std::move(*expected);
}
void check(llvm::Error error, DiagnosticCapture *diagnostics = nullptr);

/// A model: a module of the process's context, its workload analysis and
/// its compiled form, both built on first use. Immutable from Python: every
/// transformation returns a new Model.
struct Model {
  std::string name;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::unique_ptr<workload::WorkloadModel> analysis;
  std::unique_ptr<exec::Executable> executable;
  std::mutex mutex;

  Model(std::string name, mlir::OwningOpRef<mlir::ModuleOp> module)
      : name(std::move(name)), module(std::move(module)) {}
  const workload::WorkloadModel &getAnalysis();
  exec::Executable &getExecutable();
  /// A deep copy named `name`, for transformations.
  std::shared_ptr<Model> clone() const;
};
using ModelPtr = std::shared_ptr<Model>;

void bindModels(py::module_ &m);
void bindQuantization(py::module_ &m);
void bindCoDesign(py::module_ &m);

} // namespace tandem::python

#endif // TANDEM_PYTHON_BINDINGS_H
