//===- AccelOps.h - Operations of the accel dialect -------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_DIALECT_ACCEL_IR_ACCELOPS_H
#define TANDEM_DIALECT_ACCEL_IR_ACCELOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "tandem/Dialect/Accel/IR/AccelDialect.h"
#include "tandem/Dialect/Accel/IR/AccelInterfaces.h"

#define GET_OP_CLASSES
#include "tandem/Dialect/Accel/IR/AccelOps.h.inc"

#endif // TANDEM_DIALECT_ACCEL_IR_ACCELOPS_H
