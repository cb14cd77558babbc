//===- AccelInterfaces.h - The loop-nest op interface -----------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_DIALECT_ACCEL_IR_ACCELINTERFACES_H
#define TANDEM_DIALECT_ACCEL_IR_ACCELINTERFACES_H

#include "mlir/IR/OpDefinition.h"
#include "tandem/Dialect/Accel/IR/LoopNest.h"

#include "tandem/Dialect/Accel/IR/AccelInterfaces.h.inc"

#endif // TANDEM_DIALECT_ACCEL_IR_ACCELINTERFACES_H
