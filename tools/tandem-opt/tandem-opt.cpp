//===- tandem-opt.cpp - mlir-opt for Tandem's dialects and passes ---------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// mlir-opt's driver, with the input read and checked (a regular file of
// sane size, brackets nested no deeper than the parser's stack allows) and
// the output written whole or not at all.
//
//===----------------------------------------------------------------------===//

#include "tandem/InitAll.h"
#include "tandem/Runtime/Runtime.h"
#include "tandem/Support/FileIO.h"
#include "tandem/Support/Limits.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"

int main(int argc, char **argv) {
  // Models run on BLAS: make sure it uses the CPU's vector units.
  tandem::chooseBlasKernels(argv);
  llvm::InitLLVM init(argc, argv);
  tandem::hideUnrelatedOptions();
  tandem::registerLimitOptions();
  mlir::DialectRegistry registry;
  tandem::registerAllDialects(registry);
  tandem::registerAllPasses();
  auto [inputPath, outputPath] = mlir::registerAndParseCLIOptions(
      argc, argv,
      "Tandem optimizer driver: runs accel passes over MLIR files\n", registry);
  mlir::MlirOptMainConfig config =
      mlir::MlirOptMainConfig::createFromCLOptions();

  auto fail = [](llvm::Error err) {
    llvm::WithColor::error(llvm::errs(), "tandem-opt")
        << llvm::toString(std::move(err)) << "\n";
    return 1;
  };
  auto input = tandem::readInputFile(inputPath, tandem::kMaxTextFileBytes,
                                     /*allowStdin=*/true);
  if (!input)
    return fail(input.takeError());
  if (llvm::Error err = tandem::checkNestingDepth(
          (*input)->getBuffer(), inputPath == "-" ? "<stdin>" : inputPath))
    return fail(std::move(err));

  // The IR is printed into memory and written only after the passes
  // succeeded: a failed run or a full disk leaves no partial file.
  std::string printed;
  llvm::raw_string_ostream os(printed);
  if (mlir::failed(mlir::MlirOptMain(os, std::move(*input), registry, config)))
    return 1;
  if (llvm::Error err =
          tandem::writeOutputFile(outputPath, [&](llvm::raw_ostream &out) {
            out << printed;
            return llvm::Error::success();
          }))
    return fail(std::move(err));
  return 0;
}
