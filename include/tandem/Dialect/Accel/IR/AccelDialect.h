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

#include "tandem/Dialect/Accel/IR/MappingLevel.h"
#include "tandem/Support/WeightEncoding.h"

#include "tandem/Dialect/Accel/IR/AccelDialect.h.inc"
#include "tandem/Dialect/Accel/IR/AccelEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "tandem/Dialect/Accel/IR/AccelAttrs.h.inc"

namespace mlir {
class Operation;
} // namespace mlir

namespace tandem::accel {
/// The name a user knows an op by: its NameLoc (the ONNX node name) when it
/// has one, else "line:col" in the input file.
std::string getDisplayName(mlir::Operation *op);
} // namespace tandem::accel

#endif // TANDEM_DIALECT_ACCEL_IR_ACCELDIALECT_H
