//===- Passes.td - Conversions out of the accel dialect ----*- tablegen -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_CONVERSION_PASSES_TD
#define TANDEM_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def AccelToLinalgPass : Pass<"accel-lower-to-linalg"> {
  let summary = "Lower accel ops to linalg, tensor, arith and math";
  let description = [{
    Rewrites every `accel` op into upstream dialects on tensors:

    - `conv2d` to `linalg.conv_2d_nchw_fchw` (groups = 1),
      `linalg.depthwise_conv_2d_nchw_chw` (one filter per channel) or
      `linalg.conv_2d_ngchw_gfchw` (other groupings), with `tensor.pad` for
      the padding and the bias broadcast into the accumulator;
    - `matmul` to `linalg.matmul` or `linalg.batch_matmul` (batch dims
      collapsed or broadcast);
    - `pool2d` to `linalg.pooling_nchw_max` / `linalg.pooling_nchw_sum`
      (averages divided by the per-window element count, computed at compile
      time so `count_include_pad` and `ceil_mode` are exact);
    - elementwise ops to one `linalg.generic` whose indexing maps are the
      op's loop-nest projections (so broadcasting is in the maps);
    - normalizations and reductions to `linalg.generic` reductions;
    - layout ops to `tensor` reshapes, slices, inserts and `linalg.transpose`.

    Float element types (f16, bf16, f32, f64) are supported throughout;
    integer types where the operator is meaningful on integers (arithmetic,
    compare, select, cast, relu, clip, max pooling, data movement).
    `accel.onnx_op` and quantized types cannot be lowered and are errors.

    Before:

    ```mlir
    %y = accel.relu %x : (tensor<2x3xf32>) -> tensor<2x3xf32>
    ```

    After:

    ```mlir
    %e = tensor.empty() : tensor<2x3xf32>
    %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) {
    ^bb0(%in: f32, %out: f32):
      %z = arith.constant 0.000000e+00 : f32
      %m = arith.maximumf %in, %z : f32
      linalg.yield %m : f32
    } -> tensor<2x3xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

def LowerQuantizedPass : Pass<"accel-lower-quantized", "::mlir::func::FuncOp"> {
  let summary = "Lower quantized accel ops to integer (or fake-quantized f32) accel ops";
  let description = [{
    Rewrites every op on `!quant.uniform` tensors (the output of
    `--accel-quantize` or of a QDQ ONNX import) into ops on ordinary tensors,
    ready for `--accel-lower-to-linalg`:

    - `mode=integer` (default): quantized tensors hold their storage integers
      in signless containers (i8 up to 8 bits, i16 up to 16, i32);
      contractions accumulate in i32 (i64 when an operand is wider than 8
      bits) after subtracting zero points; every rescale is a fixed-point
      multiply `m * 2^-n` (m in [2^30, 2^31)) with the product rounded half
      to even and the result clamped to the storage range. `quant.qcast`
      rounds `x / scale` half to even in f32; `quant.dcast` computes
      `f32(q - zero_point) * scale`.
    - `mode=float`: quantized tensors hold their real values in f32; every op
      computes in f32 and its result is rounded to its type's grid
      (`(clamp(roundeven(x / s) + z) - z) * s`), weights are dequantized
      constants. Faster; agrees with the integer mode up to the rounding of
      the rescale.

    `runtime-parameters` (float mode) makes the program independent of the
    policy: every grid is a row (scale, zero point, qmin, qmax) of a
    `tensor<Nx4xf32>` argument appended to @main, every quantized weight an
    f32 argument after it (its dequantized values), and every layer input is
    rounded to its grid again (so requantizing casts change values, not the
    program). The pass records the values for this module in the function
    attributes `accel.runtime_parameters` and `accel.runtime_weights`: a
    program compiled once runs any policy of the same model by passing them.

    docs/quantization.md states the arithmetic of each op exactly; the
    pytest reference (test/python/quant_reference.py) implements the same.
    Errors name the op that cannot be lowered (per-axis activations,
    inconsistent bias scales, ops without a quantized form).

    ```
    tandem-opt q.mlir --accel-lower-quantized="mode=integer"
    ```
  }];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"integer\"",
           "'integer' or 'float'">,
    Option<"runtimeParameters", "runtime-parameters", "bool",
           /*default=*/"false",
           "mode=float: read every grid and weight from @main arguments">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect",
    "::tandem::accel::AccelDialect"
  ];
}

#endif // TANDEM_CONVERSION_PASSES_TD
