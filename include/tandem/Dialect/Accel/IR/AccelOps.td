//===- AccelOps.td - Operations of the accel dialect -------*- tablegen -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_DIALECT_ACCEL_IR_ACCELOPS_TD
#define TANDEM_DIALECT_ACCEL_IR_ACCELOPS_TD

include "tandem/Dialect/Accel/IR/AccelBase.td"
include "tandem/Dialect/Accel/IR/AccelAttrs.td"
include "tandem/Dialect/Accel/IR/AccelInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"

/// Operators that compute (as opposed to move data) expose their loop nest.
class Accel_ComputeOp<string mnemonic, list<Trait> traits = []>
    : Accel_Op<mnemonic, !listconcat(traits,
          [Pure, DeclareOpInterfaceMethods<Accel_LoopNestOpInterface>])>;

//===----------------------------------------------------------------------===//
// Convolution, matrix product, pooling
//===----------------------------------------------------------------------===//

def Accel_Conv2DOp : Accel_ComputeOp<"conv2d"> {
  let summary = "2-D convolution in NCHW layout (grouped and depthwise included)";
  let description = [{
    `input` is `N x C x H x W`, `weight` is `K x C/groups x R x S`, the
    optional `bias` is `K`, and the result is `N x K x P x Q` with

        P = floor((H + pad_top + pad_bottom - dilation_h * (R - 1) - 1) / stride_h) + 1

    (and likewise Q from W). `pads` are `[top, left, bottom, right]`, the
    ONNX order. One operator covers ordinary, grouped (`groups > 1`) and
    depthwise (`groups == C`) convolutions.

    Loop nest: `N K C P Q R S` (with `K` and `C` per group and a leading `G`
    loop when `groups > 1`); `C R S` are reductions; one MAC per iteration
    and, with a bias, one add per output element.

    Example (ResNet-18 conv1):

    ```mlir
    %y = accel.conv2d %x, %w, %b strides [2, 2] pads [3, 3, 3, 3]
        : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>)
        -> tensor<1x64x112x112xf32>
    ```
  }];
  let arguments = (ins
    AnyStaticShapeTensor:$input,
    AnyStaticShapeTensor:$weight,
    Optional<AnyStaticShapeTensor>:$bias,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
    DefaultValuedAttr<I64Attr, "1">:$groups
  );
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)?
    (`strides` $strides^)? (`pads` $pads^)? (`dilations` $dilations^)?
    (`groups` $groups^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Accel_MatmulOp : Accel_ComputeOp<"matmul"> {
  let summary = "Batched matrix product with broadcasting batch dimensions";
  let description = [{
    `lhs` is `[batch...] x M x K` and `rhs` is `[batch...] x K x N`; both have
    rank 2 or more. Batch dimensions broadcast as in numpy (aligned from the
    right, a size-1 dimension stretches), and the result is
    `[broadcast batch...] x M x N`.

    Loop nest: the batch dimensions (`B`, or `B0 B1 ...` when there are
    several), then `M N K`; `K` is the reduction; one MAC per iteration.

    Example:

    ```mlir
    %c = accel.matmul %a, %b
        : (tensor<8x128x64xf32>, tensor<64x256xf32>) -> tensor<8x128x256xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$lhs, AnyStaticShapeTensor:$rhs);
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Accel_Pool2DOp : Accel_ComputeOp<"pool2d"> {
  let summary = "2-D max or average pooling in NCHW layout";
  let description = [{
    Slides a `kernel[0] x kernel[1]` window over `N x C x H x W` and reduces
    it with `max` or `avg`. `pads` are `[top, left, bottom, right]`. The
    output size follows the convolution formula, rounded down, or up with
    `ceil_mode` (a window that would start inside the bottom/right padding is
    dropped, as PyTorch and ONNX Runtime do). For `avg`,
    `count_include_pad` divides by the full window size instead of the
    number of non-padding elements.

    Global pooling is the case `kernel = [H, W]`.

    Loop nest: `N C P Q R S`; `R S` are reductions; one compare (`max`) or
    one add (`avg`) per iteration, and for `avg` one multiply by the
    reciprocal window size per output (a divide when padding is excluded
    from the count and the window overlaps it).

    Example (ResNet stem max pool):

    ```mlir
    %y = accel.pool2d max %x kernel [3, 3] strides [2, 2] pads [1, 1, 1, 1]
        : (tensor<1x64x112x112xf32>) -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins
    Accel_PoolKind:$kind,
    AnyStaticShapeTensor:$input,
    DenseI64ArrayAttr:$kernel,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$pads,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
    UnitAttr:$ceil_mode,
    UnitAttr:$count_include_pad
  );
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = [{
    $kind $input `kernel` $kernel (`strides` $strides^)? (`pads` $pads^)?
    (`dilations` $dilations^)? (`ceil_mode` $ceil_mode^)?
    (`count_include_pad` $count_include_pad^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Accel_BinaryOp<string mnemonic, string what>
    : Accel_ComputeOp<mnemonic> {
  let summary = "Elementwise " # what # " with numpy broadcasting";
  let description = [{
    Applies the operation to `lhs` and `rhs` elementwise. The operand shapes
    broadcast as in numpy (aligned from the right; a dimension of size 1, or
    a missing one, stretches) and the result has the broadcast shape.

    Loop nest: one loop `D0 D1 ...` per result dimension; a broadcast
    operand's map has constant zero where it stretches.

    Example:

    ```mlir
    %z = accel.}] # mnemonic # [{ %x, %y
        : (tensor<1x64x56x56xf32>, tensor<1x64x1x1xf32>) -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$lhs, AnyStaticShapeTensor:$rhs);
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Accel_AddOp : Accel_BinaryOp<"add", "addition">;
def Accel_SubOp : Accel_BinaryOp<"sub", "subtraction">;
def Accel_MulOp : Accel_BinaryOp<"mul", "multiplication">;
def Accel_DivOp : Accel_BinaryOp<"div", "division">;
def Accel_PowOp : Accel_BinaryOp<"pow", "power (`lhs` raised to `rhs`)">;

class Accel_UnaryOp<string mnemonic, string what, dag attrs = (ins),
                    string attrFormat = "">
    : Accel_ComputeOp<mnemonic> {
  let summary = "Elementwise " # what;
  let description = [{
    Computes }] # what # [{ of every element; the result has the input's
    shape and element type.

    Loop nest: one loop `D0 D1 ...` per dimension, identity maps.

    Example:

    ```mlir
    %y = accel.}] # mnemonic # [{ %x}] # attrFormat # [{ : (tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = !con((ins AnyStaticShapeTensor:$input), attrs);
  let results = (outs AnyStaticShapeTensor:$output);
  let hasVerifier = 1;
}

def Accel_ReluOp : Accel_UnaryOp<"relu", "`max(x, 0)`"> {
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}
def Accel_LeakyReluOp : Accel_UnaryOp<"leaky_relu", "`x < 0 ? alpha * x : x`",
    (ins DefaultValuedAttr<F32Attr, "0.01">:$alpha), " alpha 0.1"> {
  let assemblyFormat = [{
    $input (`alpha` $alpha^)? attr-dict `:` functional-type(operands, results)
  }];
}
def Accel_ClipOp : Accel_UnaryOp<"clip", "`min(max(x, min), max)`; a missing bound does not clip",
    (ins OptionalAttr<F32Attr>:$min, OptionalAttr<F32Attr>:$max),
    " min 0.0 max 6.0"> {
  let assemblyFormat = [{
    $input (`min` $min^)? (`max` $max^)? attr-dict `:` functional-type(operands, results)
  }];
}
def Accel_SigmoidOp : Accel_UnaryOp<"sigmoid", "`1 / (1 + exp(-x))`"> {
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}
def Accel_HardSigmoidOp : Accel_UnaryOp<"hard_sigmoid",
    "`max(0, min(1, alpha * x + beta))`",
    (ins DefaultValuedAttr<F32Attr, "0.2">:$alpha,
         DefaultValuedAttr<F32Attr, "0.5">:$beta),
    " alpha 0.166666672 beta 5.000000e-01"> {
  let assemblyFormat = [{
    $input (`alpha` $alpha^)? (`beta` $beta^)? attr-dict `:` functional-type(operands, results)
  }];
}
def Accel_HardSwishOp : Accel_UnaryOp<"hard_swish", "`x * max(0, min(1, x / 6 + 1 / 2))`"> {
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}
def Accel_TanhOp : Accel_UnaryOp<"tanh", "the hyperbolic tangent"> {
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}
def Accel_ErfOp : Accel_UnaryOp<"erf", "the Gauss error function"> {
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}
def Accel_ExpOp : Accel_UnaryOp<"exp", "`e` raised to the element"> {
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}
def Accel_SqrtOp : Accel_UnaryOp<"sqrt", "the square root"> {
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}
def Accel_NegOp : Accel_UnaryOp<"neg", "`-x`"> {
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Accel_EqualOp : Accel_ComputeOp<"equal"> {
  let summary = "Elementwise equality with numpy broadcasting";
  let description = [{
    Compares `lhs` and `rhs` elementwise after numpy broadcasting; the
    result is a tensor of `i1` with the broadcast shape.

    Loop nest: one loop `D0 D1 ...` per result dimension; one compare per
    iteration.

    Example:

    ```mlir
    %m = accel.equal %ids, %pad : (tensor<1x16xi64>, tensor<i64>) -> tensor<1x16xi1>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$lhs, AnyStaticShapeTensor:$rhs);
  let results = (outs StaticShapeTensorOf<[I1]>:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Accel_WhereOp : Accel_ComputeOp<"where"> {
  let summary = "Elementwise select with numpy broadcasting";
  let description = [{
    `condition ? lhs : rhs` elementwise; all three operands broadcast
    together (numpy rules) to the result's shape. `condition` is `i1`.

    Loop nest: one loop `D0 D1 ...` per result dimension; one compare per
    iteration (the select).

    Example:

    ```mlir
    %y = accel.where %mask, %x, %neg_inf
        : (tensor<1x1x16xi1>, tensor<1x16x16xf32>, tensor<f32>) -> tensor<1x16x16xf32>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[I1]>:$condition,
                       AnyStaticShapeTensor:$lhs, AnyStaticShapeTensor:$rhs);
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = [{
    $condition `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Accel_CastOp : Accel_ComputeOp<"cast"> {
  let summary = "Elementwise conversion to another element type";
  let description = [{
    Converts every element to the result's element type, keeping the shape:
    floating-point to integer truncates toward zero, any non-zero value
    becomes `true` in `i1`, and integers widen with their sign.

    Loop nest: one loop `D0 D1 ...` per dimension; no arithmetic.

    Example:

    ```mlir
    %h = accel.cast %x : (tensor<1x64xf32>) -> tensor<1x64xf16>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input);
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalization and reduction
//===----------------------------------------------------------------------===//

def Accel_SoftmaxOp : Accel_ComputeOp<"softmax"> {
  let summary = "Softmax along one axis";
  let description = [{
    `exp(x - max) / sum(exp(x - max))` along `axis` (0 <= axis < rank); the
    result has the input's shape.

    Loop nest: one loop per dimension; per iteration one compare (the max),
    two adds (subtract the max, accumulate the sum), one exponential and one
    divide.

    Example:

    ```mlir
    %p = accel.softmax %x axis 2 : (tensor<1x8x128xf32>) -> tensor<1x8x128xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input, I64Attr:$axis);
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = [{
    $input `axis` $axis attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Accel_LayerNormOp : Accel_ComputeOp<"layer_norm"> {
  let summary = "Layer normalization over the trailing dimensions from `axis`";
  let description = [{
    Normalizes over dimensions `axis ..< rank` to zero mean and unit
    variance (with `epsilon` added to the variance), then multiplies by
    `scale` and adds the optional `bias`; both have the shape of the
    normalized dimensions.

    Loop nest: one loop per dimension; per iteration one MAC (scale and
    bias), three adds and two multiplies (mean, centring, variance,
    normalization); per normalized row two multiplies (by `1/n`), one add
    (epsilon), a square root and a divide (the reciprocal standard
    deviation).

    Example (a transformer's post-attention norm):

    ```mlir
    %y = accel.layer_norm %x, %gamma, %beta axis 2 epsilon 9.99999974E-6
        : (tensor<1x128x256xf32>, tensor<256xf32>, tensor<256xf32>)
        -> tensor<1x128x256xf32>
    ```
  }];
  let arguments = (ins
    AnyStaticShapeTensor:$input,
    AnyStaticShapeTensor:$scale,
    Optional<AnyStaticShapeTensor>:$bias,
    I64Attr:$axis,
    DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon
  );
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale (`,` $bias^)? `axis` $axis (`epsilon` $epsilon^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Accel_BatchNormOp : Accel_ComputeOp<"batch_norm"> {
  let summary = "Batch normalization, inference form";
  let description = [{
    `(x - mean) / sqrt(variance + epsilon) * scale + bias` with the
    per-channel (dimension 1) statistics given as operands of shape `C`.
    The input has rank 2 or more.

    Loop nest: one loop per dimension; the statistics fold into one
    multiply-add per element, so one MAC per iteration.

    Example:

    ```mlir
    %y = accel.batch_norm %x, %scale, %bias, %mean, %var epsilon 9.99999974E-6
        : (tensor<1x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>,
           tensor<64xf32>, tensor<64xf32>) -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins
    AnyStaticShapeTensor:$input,
    AnyStaticShapeTensor:$scale,
    AnyStaticShapeTensor:$bias,
    AnyStaticShapeTensor:$mean,
    AnyStaticShapeTensor:$variance,
    DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon
  );
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias `,` $mean `,` $variance (`epsilon` $epsilon^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

class Accel_ReduceOp<string mnemonic, string what> : Accel_ComputeOp<mnemonic> {
  let summary = "Reduces the given axes by their " # what;
  let description = [{
    Reduces `input` over `axes` (sorted, distinct, each in `0 ..< rank`) by
    their }] # what # [{. With `keepdims` the reduced dimensions stay
    with size 1, otherwise they are removed.

    Loop nest: one loop per input dimension; the reduced axes are reduction
    loops; one add per iteration (and for a mean one multiply by the
    reciprocal count per output).

    Example (global average pooling written as a reduction):

    ```mlir
    %m = accel.}] # mnemonic # [{ %x axes [2, 3] keepdims
        : (tensor<1x512x7x7xf32>) -> tensor<1x512x1x1xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input, DenseI64ArrayAttr:$axes,
                       UnitAttr:$keepdims);
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = [{
    $input `axes` $axes (`keepdims` $keepdims^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Accel_ReduceMeanOp : Accel_ReduceOp<"reduce_mean", "mean">;
def Accel_ReduceSumOp : Accel_ReduceOp<"reduce_sum", "sum">;

//===----------------------------------------------------------------------===//
// Layout and data movement
//===----------------------------------------------------------------------===//

def Accel_ReshapeOp : Accel_Op<"reshape", [Pure]> {
  let summary = "Reinterprets a tensor with a new shape of the same size";
  let description = [{
    Row-major reinterpretation: the element order does not change and the
    result type gives the new shape, which must hold as many elements as the
    input.

    Example:

    ```mlir
    %f = accel.reshape %x : (tensor<1x512x1x1xf32>) -> tensor<1x512xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input);
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Accel_TransposeOp : Accel_Op<"transpose", [Pure]> {
  let summary = "Permutes the dimensions of a tensor";
  let description = [{
    Result dimension `i` is input dimension `perm[i]`; `perm` is a
    permutation of `0 ..< rank`.

    Example:

    ```mlir
    %t = accel.transpose %x perm [0, 2, 1, 3]
        : (tensor<1x128x8x32xf32>) -> tensor<1x8x128x32xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = [{
    $input `perm` $perm attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Accel_ConcatOp : Accel_Op<"concat", [Pure]> {
  let summary = "Joins tensors along one axis";
  let description = [{
    All inputs have the same rank and agree on every dimension except
    `axis`, along which the result's size is the sum of theirs.

    Example:

    ```mlir
    %c = accel.concat %a, %b axis 1
        : (tensor<1x32x28x28xf32>, tensor<1x64x28x28xf32>) -> tensor<1x96x28x28xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyStaticShapeTensor>:$inputs, I64Attr:$axis);
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = [{
    $inputs `axis` $axis attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Accel_SliceOp : Accel_Op<"slice", [Pure]> {
  let summary = "Extracts a strided window of a tensor";
  let description = [{
    Along every dimension `d`, result element `i` is input element
    `starts[d] + i * steps[d]`; the result type gives the number of
    elements taken. Steps are non-zero and may be negative (reversal).
    Every index read must lie inside the input.

    Example (every other row and column, and the channels reversed):

    ```mlir
    %s = accel.slice %x starts [0, 15, 0, 0] steps [1, -1, 2, 2]
        : (tensor<1x16x8x8xf32>) -> tensor<1x16x4x4xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input,
                       DenseI64ArrayAttr:$starts, DenseI64ArrayAttr:$steps);
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = [{
    $input `starts` $starts `steps` $steps attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Accel_PadOp : Accel_Op<"pad", [Pure]> {
  let summary = "Pads a tensor with a constant, its reflection or its edge";
  let description = [{
    `pads` holds `2 * rank` non-negative amounts, all the leading pads first
    then all the trailing ones (the ONNX order). `mode` is `constant` (fill
    with `value`), `reflect` (mirror without repeating the edge; each pad
    must be smaller than its dimension) or `edge` (repeat the edge).

    Example:

    ```mlir
    %p = accel.pad %x pads [0, 0, 1, 1, 0, 0, 1, 1] mode reflect
        : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input, DenseI64ArrayAttr:$pads,
      DefaultValuedAttr<Accel_PadMode, "::tandem::accel::PadMode::Constant">:$mode,
      DefaultValuedAttr<F32Attr, "0.0">:$value);
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = [{
    $input `pads` $pads (`mode` $mode^)? (`value` $value^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Accel_BroadcastOp : Accel_Op<"broadcast", [Pure]> {
  let summary = "Broadcasts a tensor to a larger shape";
  let description = [{
    Stretches `input` to the result's shape with numpy rules (aligned from
    the right; size-1 and missing dimensions stretch). The result's shape
    must be the broadcast of the input's shape with itself.

    Example:

    ```mlir
    %b = accel.broadcast %x : (tensor<64x1xf32>) -> tensor<8x64x16xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$input);
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Accel_GatherOp : Accel_Op<"gather", [Pure]> {
  let summary = "Gathers slices of a tensor along one axis";
  let description = [{
    Picks entries of `data` along `axis` at the positions in `indices`
    (integers; a negative index counts from the end), as ONNX `Gather`
    does. The result's shape is
    `data.shape[:axis] + indices.shape + data.shape[axis+1:]`; a rank-0
    `indices` removes the axis.

    Example (an embedding lookup):

    ```mlir
    %e = accel.gather %table, %ids axis 0
        : (tensor<30522x128xf32>, tensor<1x16xi64>) -> tensor<1x16x128xf32>
    ```
  }];
  let arguments = (ins AnyStaticShapeTensor:$data,
                       StaticShapeTensorOf<[AnySignlessInteger]>:$indices,
                       I64Attr:$axis);
  let results = (outs AnyStaticShapeTensor:$output);
  let assemblyFormat = [{
    $data `,` $indices `axis` $axis attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Accel_OnnxOp : Accel_Op<"onnx_op"> {
  let summary = "An ONNX operator Tandem does not model";
  let description = [{
    What `tandem-translate --import-onnx --allow-unsupported` produces for a
    node whose operator (or operator variant) has no `accel` form: the
    operator type, its domain and its ONNX attributes are kept so the rest
    of the model can still be analysed. Cost reports count these as host
    fallback; nothing lowers them.

    Example:

    ```mlir
    %y = accel.onnx_op "Resize"(%x, %scales) {onnx_attrs = {mode = "nearest"}}
        : (tensor<1x3x8x8xf32>, tensor<4xf32>) -> tensor<1x3x16x16xf32>
    ```
  }];
  let arguments = (ins StrAttr:$op_type,
                       DefaultValuedStrAttr<StrAttr, "">:$domain,
                       OptionalAttr<DictionaryAttr>:$onnx_attrs,
                       Variadic<AnyTensor>:$inputs);
  let results = (outs Variadic<AnyTensor>:$outputs);
  let assemblyFormat = [{
    $op_type `(` $inputs `)` attr-dict `:` functional-type($inputs, results)
  }];
}

#endif // TANDEM_DIALECT_ACCEL_IR_ACCELOPS_TD
