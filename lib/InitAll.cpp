//===- InitAll.cpp - Register Tandem's dialects and passes ----------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/InitAll.h"
#include "tandem/Analysis/Passes.h"
#include "tandem/Conversion/Passes.h"
#include "tandem/Dialect/Accel/IR/AccelDialect.h"
#include "tandem/Dialect/Accel/Transforms/Passes.h"
#include "tandem/Execution/Passes.h"
#include "tandem/Mapping/Passes.h"
#include "tandem/Quantization/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"

void tandem::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<accel::AccelDialect>();
  // Every upstream dialect and its interface implementations (bufferization,
  // deallocation, LLVM translation, ...): the lowering pipeline needs many of
  // them, and tandem-opt users expect what mlir-opt offers.
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
}

void tandem::registerAllPasses() {
  accel::registerAccelPasses();
  registerAnalysisPasses();
  registerConversionPasses();
  registerExecutionPipelines();
  registerMappingPasses();
  registerQuantizationPasses();
  // Every upstream pass and pipeline, as in mlir-opt.
  mlir::registerAllPasses();
}

void tandem::hideUnrelatedOptions() {
  static const llvm::StringSet<> keep = {
      "help",  "help-list", "help-hidden",   "help-list-hidden",
      "color", "version",   "print-options", "print-all-options"};
  for (auto &[name, option] : llvm::cl::getRegisteredOptions())
    if (!keep.contains(name))
      option->setHiddenFlag(llvm::cl::ReallyHidden);
}
