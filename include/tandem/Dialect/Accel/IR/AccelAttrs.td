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
           DRAM[K:4 C:2] GLB[P:7 Q:7 | bypass weight] X[K:16] Y[C:8 R:3]
           spad[S:3 Q:8]>} : ...
    ```

    A list of brackets, outermost first. `LEVEL[...]` gives a memory
    level's temporal factors, outermost loop first (loops not listed: factor
    1, innermost), optionally followed by `| bypass` and the data spaces
    (`input`, `weight`, `output`) the level passes through without keeping.
    `X[...]` and `Y[...]` give the spatial factors along the array's columns
    and rows, written where the array sits in the hierarchy (between the
    last shared level and the first per-PE one). Levels not listed keep
    every loop at factor 1. A level name that is not a bare identifier is
    written as a string.

    The attribute checks itself (positive factors, no loop or level twice);
    on an op it is checked against the op's loop nest (every loop it names
    exists, every loop's factors cover its extent); against a target by the
    tools that cost it (level names, array position and size, buffer
    capacities; docs/mapping.md).
  }];
  let parameters = (ins ArrayRefOfSelfAllocationParameter<
      "::tandem::accel::MappingLevel",
      "memory levels and array axes, outermost first">:$levels);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The bracket called `name`, or null.
    const ::tandem::accel::MappingLevel *lookup(::llvm::StringRef name) const;
    /// The mapping as reports print it: the attribute's body,
    /// "DRAM[K:4] GLB[P:7] X[K:16] Y[C:8] spad[S:3]".
    std::string getBody() const;
  }];
}

def Accel_CostAttr : AttrDef<Accel_Dialect, "Cost"> {
  let mnemonic = "cost";
  let summary = "What the cost model computed for one op on one target";
  let description = [{
    Written by `--accel-cost-report="... annotate=true"` so that tests can
    check the cost model's figures with FileCheck:

    ```mlir
    #accel.cost<target = "eyeriss", unit = "array", macs = 118013952,
                cycles = 702464, energy_pj = 2.500000e+08,
                utilization = 8.700000e-01,
                mapping = #accel.mapping<DRAM[K:4] GLB[...] X[...] Y[...] RF[...]>>
    ```

    `unit` is where the op runs: `array` (with the element-wise ops fused
    into its output stage, whose cost this includes), `post-processing`
    (the target's vector unit) or `host`. `cycles` is the op's latency on
    the target, `energy_pj` its total energy, `utilization` the useful
    fraction of the array's MAC slots; `mapping` is present for array ops.
    Reads and writes per level are in the JSON report. A fused op carries
    `accel.fused_into` with its producer's name instead.
  }];
  let parameters = (ins
    StringRefParameter<"target">:$target,
    StringRefParameter<"unit">:$unit,
    "int64_t":$macs,
    "int64_t":$cycles,
    APFloatParameter<"energy in pJ">:$energyPJ,
    APFloatParameter<"useful fraction of the MAC slots">:$utilization,
    OptionalParameter<"::tandem::accel::MappingAttr">:$mapping
  );
  let hasCustomAssemblyFormat = 1;
}

def Accel_WeightEncodingAttr : AttrDef<Accel_Dialect, "WeightEncoding"> {
  let mnemonic = "weight_encoding";
  let summary = "How a layer's weights replace multiplications by shifts and adds";
  let description = [{
    Attached to a convolution or matrix product as `accel.weight_encoding`
    (by `--accel-shift-add`, or by `--accel-quantize` from a policy that
    names an encoding). The layer's weights stay quantized integers q with
    per-channel scales; the encoding says which integers they may be and
    how the hardware multiplies by them (docs/shift-add.md):

    ```mlir
    %y = accel.conv2d %x, %w {accel.weight_encoding =
           #accel.weight_encoding<csd, bits = 8, digits = 2, terms = 52>} : ...
    ```

    - `pot, bits = b`: q = s * 2^k, s in {-1, 0, +1}, k in [0, 2^(b-1) - 1]
      (DeepShift-Q's p = k - (2^(b-1) - 1) in [-(2^(b-1) - 1), 0]);
    - `apot, bits = b`: |q| a sum of one level from each of APoT's
      ceil((b - 1) / 2) term sets;
    - `csd, bits = b[, digits = T]`: any b-bit integer, with at most T
      non-zero canonical-signed-digit digits when `digits` is given.

    `bits` is the stored code's width (pot, apot: sign included), which the
    cost model moves through memory; the integers themselves may be wider
    (a 5-bit PoT code stands for up to 2^15). `terms` is the number of
    non-zero power-of-two terms over all of the layer's weights: the shifts
    (and adds) the layer's products cost, measured from its own weights.

    The verifier checks the width, that the op's weight is a quantized
    integer constant, that every integer is one the encoding holds, and
    that `terms` is what the weights hold.
  }];
  let parameters = (ins "::tandem::EncodingKind":$kind, "int64_t":$bits,
                        "int64_t":$digits, "int64_t":$terms);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    ::tandem::WeightEncoding getEncoding() const {
      return {getKind(), getBits(), getDigits()};
    }
  }];
}

#endif // TANDEM_DIALECT_ACCEL_IR_ACCELATTRS_TD
