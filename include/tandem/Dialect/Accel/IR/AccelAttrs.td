//===- AccelAttrs.td - Attributes and enums of accel -------*- tablegen -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_DIALECT_ACCEL_IR_ACCELATTRS_TD
#define TANDEM_DIALECT_ACCEL_IR_ACCELATTRS_TD

include "tandem/Dialect/Accel/IR/AccelBase.td"
include "mlir/IR/EnumAttr.td"

def Accel_PoolKind : I32EnumAttr<"PoolKind", "reduction of a pooling window", [
  I32EnumAttrCase<"Max", 0, "max">,
  I32EnumAttrCase<"Avg", 1, "avg">
]> {
  let cppNamespace = "::tandem::accel";
}

def Accel_PadMode : I32EnumAttr<"PadMode", "how padded elements are filled", [
  I32EnumAttrCase<"Constant", 0, "constant">,
  I32EnumAttrCase<"Reflect", 1, "reflect">,
  I32EnumAttrCase<"Edge", 2, "edge">
]> {
  let cppNamespace = "::tandem::accel";
}

#endif // TANDEM_DIALECT_ACCEL_IR_ACCELATTRS_TD
