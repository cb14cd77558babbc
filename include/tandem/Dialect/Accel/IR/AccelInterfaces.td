//===- AccelInterfaces.td - Loop-nest op interface ---------*- tablegen -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_DIALECT_ACCEL_IR_ACCELINTERFACES_TD
#define TANDEM_DIALECT_ACCEL_IR_ACCELINTERFACES_TD

include "mlir/IR/OpBase.td"

def Accel_LoopNestOpInterface : OpInterface<"LoopNestOpInterface"> {
  let cppNamespace = "::tandem::accel";
  let description = [{
    A compute operator seen as a perfect loop nest, the way Timeloop's
    problem specification sees it: named loop dimensions with extents (some
    of them reductions), one affine map per operand and result from the loop
    dimensions to that tensor's coordinates (strides, dilations and padding
    offsets included), and the arithmetic each iteration performs.

    Convolutions, depthwise and grouped convolutions, matrix products,
    pooling, elementwise, normalization and reduction operators all fit: a
    broadcast operand simply has constant zero results in its map, a
    reduction dimension is one that the result's map does not use.

    The loop nest also says what the op is (a contraction for the PE array,
    an elementwise op that can run in a producer's output stage, a window or
    a reduction) and what each operand is to it: the input activation, a
    second activation, a weight (a constant multiplied in a contraction), a
    parameter (any other constant: bias, statistics), or the output. Roles
    come from the arithmetic and from whether the operand is a constant,
    never from operand names.
  }];

  let methods = [
    InterfaceMethod<[{
        Returns the operator's iteration space, its compute kind, the
        projection of the loops onto every operand and result (in operand
        order, results last) with each one's role, and the arithmetic done
        per iteration, per output element and per op.
      }],
      "::tandem::accel::LoopNest", "getLoopNest">,
  ];
}

#endif // TANDEM_DIALECT_ACCEL_IR_ACCELINTERFACES_TD
