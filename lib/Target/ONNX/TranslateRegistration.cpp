//===- TranslateRegistration.cpp - The --import-onnx translation ----------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/InitAll.h"
#include "tandem/Target/ONNX/ImportONNX.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

namespace tandem {

/// Binary ONNX starts with a protobuf tag byte; the textual syntax starts
/// with '<' (the model header) after optional whitespace.
static bool looksLikeText(llvm::StringRef bytes) {
  llvm::StringRef head = bytes.ltrim();
  return !head.empty() && (head.front() == '<' || head.starts_with("#"));
}

void registerImportONNXTranslation() {
  static llvm::cl::OptionCategory category("ONNX import options");
  static llvm::cl::list<std::string> inputShapes(
      "input-shape",
      llvm::cl::desc("Static shape of a graph input, NAME=DIMxDIMx... "
                     "(e.g. input=1x3x224x224); repeat for several inputs"),
      llvm::cl::value_desc("name=shape"), llvm::cl::cat(category));
  static llvm::cl::opt<std::string> externalDataDir(
      "external-data-dir",
      llvm::cl::desc("Directory holding the model's external tensor data "
                     "(default: the model file's directory)"),
      llvm::cl::value_desc("dir"), llvm::cl::cat(category));
  static llvm::cl::opt<bool> allowUnsupported(
      "allow-unsupported",
      llvm::cl::desc("Import operators Tandem does not model as "
                     "accel.onnx_op instead of failing"),
      llvm::cl::cat(category));

  static TranslateToMLIRRegistration registration(
      "import-onnx",
      "Import an ONNX model (binary .onnx, or textual .onnxtext) into the "
      "accel dialect",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *context) -> OwningOpRef<Operation *> {
        ONNXImportOptions options;
        options.externalDataDir = externalDataDir;
        options.allowUnsupported = allowUnsupported;
        for (const std::string &text : inputShapes) {
          std::pair<std::string, llvm::SmallVector<int64_t, 4>> shape;
          std::string error;
          if (!parseInputShape(text, shape, error)) {
            emitError(UnknownLoc::get(context)) << "--input-shape: " << error;
            return nullptr;
          }
          options.inputShapes.push_back(std::move(shape));
        }
        const llvm::MemoryBuffer *buffer =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        llvm::StringRef name = buffer->getBufferIdentifier();
        // With --split-input-file each piece is named "within split at
        // FILE:LINE offset "; report the file and its real line numbers.
        llvm::StringRef piece = name;
        if (piece.consume_front("within split at ")) {
          auto [file, rest] = piece.rsplit(':');
          unsigned line = 0;
          if (!rest.take_while(llvm::isDigit).getAsInteger(10, line) && line) {
            name = file;
            options.sourceLineOffset = line - 1;
          }
        }
        bool isText =
            isONNXTextPath(name) || looksLikeText(buffer->getBuffer());
        // A binary model file is parsed again by streaming it from disk:
        // the driver's copy stays untouched (it is mapped, so it costs no
        // memory) and the weights are held once, not twice.
        if (!isText && name == buffer->getBufferIdentifier() &&
            llvm::sys::fs::is_regular_file(name))
          return importONNXFile(name, context, options);
        return importONNX(buffer->getBuffer(), isText, name, context, options);
      },
      [](DialectRegistry &registry) { registerAllDialects(registry); });
}

} // namespace tandem
