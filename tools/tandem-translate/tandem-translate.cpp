//===- tandem-translate.cpp - Translate models into and out of MLIR -------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/InitAll.h"
#include "tandem/Target/ONNX/ImportONNX.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  tandem::hideUnrelatedOptions();
  tandem::registerImportONNXTranslation();
  return mlir::failed(mlir::mlirTranslateMain(
      argc, argv, "Tandem translation tool: ONNX models to the accel dialect"));
}
