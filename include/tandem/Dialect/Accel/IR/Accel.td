//===- Accel.td - Umbrella for the accel dialect docs ------*- tablegen -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_DIALECT_ACCEL_IR_ACCEL_TD
#define TANDEM_DIALECT_ACCEL_IR_ACCEL_TD

include "tandem/Dialect/Accel/IR/AccelBase.td"
include "tandem/Dialect/Accel/IR/AccelAttrs.td"
include "tandem/Dialect/Accel/IR/AccelInterfaces.td"
include "tandem/Dialect/Accel/IR/AccelOps.td"

#endif // TANDEM_DIALECT_ACCEL_IR_ACCEL_TD
