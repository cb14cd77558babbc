//===- InitAll.cpp - Register Tandem's dialects and passes ----------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/InitAll.h"
#include "tandem/Dialect/Accel/IR/AccelDialect.h"
#include "tandem/Dialect/Accel/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"

void tandem::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<accel::AccelDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::linalg::LinalgDialect,
                  mlir::math::MathDialect, mlir::quant::QuantDialect,
                  mlir::tensor::TensorDialect>();
}

void tandem::registerAllPasses() {
  accel::registerAccelPasses();
  // canonicalize, cse, inline, symbol-dce, ...: what users of an mlir-opt
  // style tool reach for around our passes.
  mlir::registerTransformsPasses();
}

void tandem::hideUnrelatedOptions() {
  static const llvm::StringSet<> keep = {
      "help",  "help-list", "help-hidden",   "help-list-hidden",
      "color", "version",   "print-options", "print-all-options"};
  for (auto &[name, option] : llvm::cl::getRegisteredOptions())
    if (!keep.contains(name))
      option->setHiddenFlag(llvm::cl::ReallyHidden);
}
