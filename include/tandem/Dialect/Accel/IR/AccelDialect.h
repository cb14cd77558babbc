//===- AccelDialect.h - The accel dialect and its attributes ----*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_DIALECT_ACCEL_IR_ACCELDIALECT_H
#define TANDEM_DIALECT_ACCEL_IR_ACCELDIALECT_H

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "tandem/Dialect/Accel/IR/AccelDialect.h.inc"
#include "tandem/Dialect/Accel/IR/AccelEnums.h.inc"

#endif // TANDEM_DIALECT_ACCEL_IR_ACCELDIALECT_H
