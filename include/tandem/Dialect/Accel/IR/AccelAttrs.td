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

def Accel_MappingAttr : AttrDef<Accel_Dialect, "Mapping"> {
  let mnemonic = "mapping";
  let summary = "How an op's loops are tiled over memory levels and the array";
  let description = [{
    A dataflow mapping in Timeloop's terms, attached to a compute op as
    `accel.mapping` (by `--accel-map-dataflow`, or by hand):

    ```mlir
    %y = accel.conv2d %x, %w {accel.mapping = #accel.mapping<
           DRAM[K:4 C:2] GLB[P:7 Q:7] X[K:16] Y[C:8 R:3] spad[S:3 Q:8]>} : ...
    ```

    One `LEVEL[...]` per memory level of the target, outermost first, with
    the temporal factor of each loop, outermost loop first (loops not
    listed: factor 1, innermost); `X[...]` and `Y[...]` hold the spatial
    factors along the array's columns and rows. The attribute only checks
    the syntax; the target-specific rules (factors cover every loop, tiles
    fit every buffer, spatial factors fit the array) are checked against a
    target by `--accel-cost-report` and `--accel-map-dataflow`
    (docs/mapping.md).
  }];
  let parameters = (ins StringRefParameter<"the mapping's text">:$text);
  let hasCustomAssemblyFormat = 1;
}

def Accel_CostAttr : AttrDef<Accel_Dialect, "Cost"> {
  let mnemonic = "cost";
  let summary = "What the cost model computed for one op on one target";
  let description = [{
    Written by `--accel-cost-report="... annotate=true"` so that tests can
    check the cost model's figures with FileCheck:

    ```mlir
    #accel.cost<target = "eyeriss", macs = 118013952, cycles = 702464,
                energy_pj = 2.500000e+08, utilization = 8.700000e-01,
                mapping = "DRAM[K:4] GLB[...] X[...] Y[...] RF[...]">
    ```

    `cycles` is the op's latency on the target; `energy_pj` its total
    energy; `utilization` the useful fraction of the array's MAC slots.
    Reads and writes per level are in the JSON report.
  }];
  let parameters = (ins
    StringRefParameter<"target">:$target,
    "int64_t":$macs,
    "int64_t":$cycles,
    APFloatParameter<"energy in pJ">:$energyPJ,
    APFloatParameter<"useful fraction of the MAC slots">:$utilization,
    StringRefParameter<"mapping">:$mapping
  );
  let hasCustomAssemblyFormat = 1;
}

#endif // TANDEM_DIALECT_ACCEL_IR_ACCELATTRS_TD
