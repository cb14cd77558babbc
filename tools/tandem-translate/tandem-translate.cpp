//===- tandem-translate.cpp - Translate models into and out of MLIR -------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/InitAll.h"
#include "tandem/Support/Limits.h"
#include "tandem/Target/ONNX/ImportONNX.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "llvm/ADT/StringRef.h"

#include <vector>

int main(int argc, char **argv) {
  tandem::hideUnrelatedOptions();
  tandem::registerLimitOptions();
  tandem::registerImportONNXTranslation();

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
