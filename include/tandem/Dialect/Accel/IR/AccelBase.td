//===- AccelBase.td - The accel dialect definition ---------*- tablegen -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_DIALECT_ACCEL_IR_ACCELBASE_TD
#define TANDEM_DIALECT_ACCEL_IR_ACCELBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Accel_Dialect : Dialect {
  let name = "accel";
  let cppNamespace = "::tandem::accel";
  let summary = "Neural-network operators as seen by an accelerator designer";
  let description = [{
    The `accel` dialect holds the operators of an imported neural network
    (convolutions, matrix products, pooling, elementwise and normalization
    operators, and data movement) on statically shaped, ranked tensors in
    NCHW layout.

    Every compute operator implements `LoopNestOpInterface`: it describes
    itself as a perfect loop nest with named dimensions (`N K C P Q R S` for
    a convolution, `M N K` for a matrix product), the affine projection from
    those loops to every operand and result, and the arithmetic done per
    iteration. The cost model and the dataflow mapper only see operators
    through this interface.

    Element types are not restricted to `f32`: quantization passes rewrite
    tensors to upstream `!quant.uniform` types and the operators keep
    their meaning.
  }];
  let dependentDialects = ["::mlir::quant::QuantDialect"];
  let useDefaultAttributePrinterParser = 1;
  // Checks `accel.mapping` against the op's loop nest.
  let hasOperationAttrVerify = 1;
}

class Accel_Op<string mnemonic, list<Trait> traits = []>
    : Op<Accel_Dialect, mnemonic, traits>;

#endif // TANDEM_DIALECT_ACCEL_IR_ACCELBASE_TD
