//===- Passes.td - Passes over the accel dialect -----------*- tablegen -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_DIALECT_ACCEL_TRANSFORMS_PASSES_TD
#define TANDEM_DIALECT_ACCEL_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TestLoopNestPass : Pass<"accel-test-loop-nest"> {
  let summary = "Attach every compute op's loop-nest view as an attribute";
  let description = [{
    Test pass for `LoopNestOpInterface`. Every op implementing the interface
    gets an `accel.loop_nest` dictionary attribute with

    - `dims`: the loops with their extents, e.g. `"N=1 K=64 C=3 P=112 ..."`,
    - `reductions`: the reduction loops, e.g. `"C R S"`,
    - `iterations`, `macs` and `ops` (arithmetic operations, a MAC counting
      as two),
    - `maps`: the affine map of every operand and result, keyed by the
      operand's name in the op's syntax,
    - `roles`: what each operand is to the computation (`input`,
      `second-input`, `weight`, `parameter`, `output`; see
      docs/loop-nest.md), keyed the same way,
    - with `tile`, `footprints`: the number of elements of each tensor a tile
      of the given extents touches (bounding box, clamped to the tensor).

    With `summary`, it also prints one line per op (name, loops, MACs, ops)
    and the totals to standard output, before the IR.

    Example:

    ```
    tandem-opt --accel-test-loop-nest='tile=P=2,Q=2,R=3,S=3' model.mlir
    tandem-opt --accel-test-loop-nest=summary model.mlir -o /dev/null
    ```
  }];
  let options = [
    Option<"summary", "summary", "bool", /*default=*/"false",
           "Print a per-op table of loops, MACs and ops to stdout">,
    ListOption<"tile", "tile", "std::string",
               "Tile extents as DIM=N (e.g. P=2,Q=2); loops not named have "
               "a tile extent of 1. When given, footprints are attached.">,
  ];
}

def FoldBatchNormPass : Pass<"accel-fold-batchnorm"> {
  let summary = "Fold inference batch norms into the preceding convolutions";
  let description = [{
    Rewrites `batch_norm(conv2d(x, w, b))` into one `conv2d(x, w', b')` with

        s  = scale / sqrt(variance + epsilon)        (per output channel k)
        w' = w * s[k]
        b' = (b - mean) * s + bias                   (b = 0 without a bias)

    when the convolution has no other user and its weight, bias and every
    batch-norm operand are f32 constants (dense or dense_resource). Other
    batch norms are left alone; `remarks` reports each one and why.

    Before:

    ```mlir
    %c = accel.conv2d %x, %w : (...) -> tensor<1x64x56x56xf32>
    %y = accel.batch_norm %c, %scale, %bias, %mean, %var : (...) -> tensor<1x64x56x56xf32>
    ```

    After:

    ```mlir
    %w2 = arith.constant dense_resource<...> : tensor<64x64x3x3xf32>
    %b2 = arith.constant dense<...> : tensor<64xf32>
    %y = accel.conv2d %x, %w2, %b2 : (...) -> tensor<1x64x56x56xf32>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let options = [
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark for every batch norm left unfolded, saying why">,
  ];
}

#endif // TANDEM_DIALECT_ACCEL_TRANSFORMS_PASSES_TD
