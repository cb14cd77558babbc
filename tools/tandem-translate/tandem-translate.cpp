//===- tandem-translate.cpp - Translate models into and out of MLIR -------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/InitAll.h"
#include "tandem/Support/Limits.h"
#include "tandem/Target/ONNX/ExportQDQ.h"
#include "tandem/Target/ONNX/ImportONNX.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/WithColor.h"

#include <vector>

/// mlir-translate's driver reads its input whole before any translation
/// sees it: refuse a device or pipe (/dev/zero would be read until memory
/// runs out) among the positional arguments first.
static bool checkInputsAreFiles(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "-o" || arg == "--o") {
      ++i; // its value is the output
      continue;
    }
    if (arg.starts_with("-"))
      continue;
    // Directories (option values such as --external-data-dir DIR) are
    // fine; the driver reports them itself.
    using llvm::sys::fs::file_type;
    llvm::sys::fs::file_status status;
    if (!llvm::sys::fs::status(arg, status) &&
        status.type() != file_type::regular_file &&
        status.type() != file_type::directory_file) {
      llvm::WithColor::error(llvm::errs(), "tandem-translate")
          << "cannot read '" << arg
          << "': not a regular file (devices, pipes and sockets are "
             "refused)\n";
      return false;
    }
  }
  return true;
}

int main(int argc, char **argv) {
  if (!checkInputsAreFiles(argc, argv))
    return 1;
  tandem::hideUnrelatedOptions();
  tandem::registerLimitOptions();
  tandem::registerImportONNXTranslation();
  tandem::registerExportQDQTranslation();

  // Imported IR is only useful with its locations: they carry the ONNX node
  // names that later reports print. Print them unless the user decides.
  std::vector<char *> args(argv, argv + argc);
  bool userChose = false;
  for (llvm::StringRef arg : llvm::ArrayRef(argv, argc))
    userChose |= arg.ltrim('-').starts_with("mlir-print-debuginfo");
  static char printLocations[] = "--mlir-print-debuginfo";
  if (!userChose)
    args.insert(args.begin() + 1, printLocations);

  return mlir::failed(mlir::mlirTranslateMain(
      static_cast<int>(args.size()), args.data(),
      "Tandem translation tool: ONNX models to the accel dialect"));
}
