//===- ImportONNX.h - ONNX models into the accel dialect --------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Library entry points of the ONNX importer: a model file or buffer becomes a
// module with one `func.func @main` in accel ops. libonnx parses, checks,
// version-converts and shape-infers the model; errors are reported as MLIR
// diagnostics (naming the file and the ONNX node) and yield a null module.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_TARGET_ONNX_IMPORTONNX_H
#define TANDEM_TARGET_ONNX_IMPORTONNX_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <utility>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace tandem {

/// The ONNX opset (default domain) the importer works in; older models are
/// version-converted to it.
constexpr int64_t kONNXTargetOpset = 17;

/// A graph input whose value is known before import: it becomes an
/// initializer, so shape computations that read it fold (used by the
/// conformance tests, whose models take shapes and axes as inputs).
struct ONNXConstantInput {
  std::string name;
  /// ONNX element type code (onnx::TensorProto_DataType).
  int32_t elementType = 0;
  llvm::SmallVector<int64_t, 4> shape;
  /// Row-major little-endian element bytes.
  std::string bytes;
};

struct ONNXImportOptions {
  /// Static shapes for graph inputs, replacing symbolic or missing dims:
  /// {"input", {1, 3, 224, 224}}.
  llvm::SmallVector<std::pair<std::string, llvm::SmallVector<int64_t, 4>>>
      inputShapes;
  /// Graph inputs to replace by constants.
  llvm::SmallVector<ONNXConstantInput> constantInputs;
  /// Directory that external tensor data is relative to; empty means the
  /// model file's directory (or the working directory for buffers).
  std::string externalDataDir;
  /// Import ops without an accel form as `accel.onnx_op` instead of failing.
  bool allowUnsupported = false;
  /// Initializers with more elements than this become `dense_resource`
  /// blobs; smaller ones and splats become dense attributes.
  int64_t maxInlineElements = 64;
  /// Lines to add to line numbers found in a textual model, when the buffer
  /// is a piece of a larger file (tandem-translate --split-input-file).
  unsigned sourceLineOffset = 0;
};

/// Parses "NAME=1x3x224x224" into an input shape entry; returns false (with
/// `error` set) on malformed text.
bool parseInputShape(llvm::StringRef text,
                     std::pair<std::string, llvm::SmallVector<int64_t, 4>> &out,
                     std::string &error);

/// Imports the model in `bytes`: binary protobuf, or the ONNX textual syntax
/// when `isText`. `sourceName` names the model in diagnostics and locations.
mlir::OwningOpRef<mlir::ModuleOp> importONNX(llvm::StringRef bytes, bool isText,
                                             llvm::StringRef sourceName,
                                             mlir::MLIRContext *context,
                                             const ONNXImportOptions &options);

/// Reads and imports a model file; `.onnxtext` files use the textual syntax.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXFile(llvm::StringRef path, mlir::MLIRContext *context,
               const ONNXImportOptions &options);

/// Loads a model the way every Tandem tool accepts one: `.mlir` files are
/// parsed as MLIR, anything else is imported as ONNX (binary or `.onnxtext`).
/// Errors are reported through the context's diagnostics.
mlir::OwningOpRef<mlir::ModuleOp>
loadModelFile(llvm::StringRef path, mlir::MLIRContext *context,
              const ONNXImportOptions &options = {});

/// True when `path` names a model in ONNX's textual syntax.
bool isONNXTextPath(llvm::StringRef path);

/// Registers the `--import-onnx` translation (and its options) for
/// tandem-translate.
void registerImportONNXTranslation();

} // namespace tandem

#endif // TANDEM_TARGET_ONNX_IMPORTONNX_H
