//===- AccelDialect.cpp - The accel dialect ---------------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Dialect/Accel/IR/AccelDialect.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"

using namespace mlir;
using namespace tandem::accel;

#include "tandem/Dialect/Accel/IR/AccelDialect.cpp.inc"
#include "tandem/Dialect/Accel/IR/AccelEnums.cpp.inc"

void AccelDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "tandem/Dialect/Accel/IR/AccelOps.cpp.inc"
      >();
}
