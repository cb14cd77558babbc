//===- Passes.td - Quantization passes ---------------------*- tablegen -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_PASSES_TD
#define TANDEM_QUANTIZATION_PASSES_TD

include "mlir/Pass/PassBase.td"

def CalibratePass : Pass<"accel-calibrate", "::mlir::ModuleOp"> {
  let summary = "Record every tensor's range by running the model on data";
  let description = [{
    JIT-compiles the fp32 model, runs it on the calibration samples in
    `data` and stores each f32 tensor's range and a 1024-bin histogram in an
    `accel.calibration` attribute on the op that computes it (and on
    @main's argument). `data` is an IDX image file (the MNIST format,
    gzip-compressed or not; pixels / 255), a directory of `.npy` files, or an
    ONNX `test_data_set_*` directory (or a directory of them). The samples
    run in batches of @main's leading input dimension; at most `samples`
    are used (0: all), and a last partial batch is not.

    The histograms let `--accel-quantize` pick a clipping range for any
    width and clipping method (the policy's) without running the model
    again.

    ```
    tandem-opt cnn.mlir --accel-calibrate="data=train-images-idx3-ubyte.gz samples=512"
    ```
  }];
  let options = [
    Option<"data", "data", "std::string", /*default=*/"\"\"",
           "Calibration samples: IDX file, .npy directory or test_data_set_* directory">,
    Option<"samples", "samples", "int64_t", /*default=*/"512",
           "Use at most this many samples (0: all)">,
    Option<"threads", "threads", "unsigned", /*default=*/"1",
           "Threads for BLAS">,
  ];
}

def QuantizePass : Pass<"accel-quantize", "::mlir::ModuleOp"> {
  let summary = "Apply a per-layer policy: rewrite the model into quantized types";
  let description = [{
    Reads a policy (plain JSON, docs/quantization.md) and rewrites a
    calibrated module: activations become per-tensor `!quant.uniform`
    tensors (asymmetric by default), constant weights per-channel symmetric
    narrow-range integers (`!quant.uniform<i4<-7:7>:f32:0, {...}>` at 4
    bits), biases i32 at the input scale times the weight scale;
    `quant.qcast` / `quant.dcast` mark the edges of the quantized region;
    `accel.cast` requantizes a tensor for a layer that reads it at fewer
    bits than it is stored at. The same accel ops compute on the quantized
    types (their semantics are over the real values; the result is rounded
    to its type).

    Without `policy`, `weight-bits` and `activation-bits` give a uniform
    policy. With `target` (a preset name or YAML file) every layer's widths
    must be ones the target's MAC units support. Errors name the policy file
    and field (a layer the model does not have, a width out of range,
    malformed JSON) or the op (a tensor without calibration statistics).

    ```
    tandem-opt calibrated.mlir --accel-quantize="policy=w4a8.json"
    tandem-opt calibrated.mlir --accel-quantize="weight-bits=8 activation-bits=8 target=bitfusion"
    tandem-opt calibrated.mlir --accel-quantize="policy=w4a8-gptq.json data=train-images-idx3-ubyte.gz"
    ```

    A policy whose weights are rounded by GPTQ (`"rounding": "gptq"` or
    `"gptq-sequential"`) needs `data`: GPTQ measures the layers' inputs on
    it; sequential GPTQ runs the fp32 and the quantized model on it once
    per step, a step rounding the layers whose inputs no unrounded layer
    reaches.
  }];
  let options = [
    Option<"policy", "policy", "std::string", /*default=*/"\"\"",
           "Policy JSON file">,
    Option<"weightBits", "weight-bits", "int64_t", /*default=*/"8",
           "Weight bits of a uniform policy (without policy=)">,
    Option<"activationBits", "activation-bits", "int64_t", /*default=*/"8",
           "Activation bits of a uniform policy (without policy=)">,
    Option<"target", "target", "std::string", /*default=*/"\"\"",
           "Check the widths against this target (preset or YAML)">,
    Option<"data", "data", "std::string", /*default=*/"\"\"",
           "Samples GPTQ rounding (gptq, gptq-sequential) measures the layers' inputs on (IDX file, .npy directory or test_data_set_* directory)">,
    Option<"samples", "samples", "int64_t", /*default=*/"512",
           "Use at most this many samples of data (0: all)">,
    Option<"threads", "threads", "unsigned", /*default=*/"1",
           "Threads for BLAS">,
  ];
  let dependentDialects = [
    "::mlir::quant::QuantDialect", "::mlir::arith::ArithDialect"
  ];
}

def FoldQDQPass : Pass<"accel-fold-qdq", "::mlir::func::FuncOp"> {
  let summary = "Turn an imported QDQ model's float ops into quantized ops";
  let description = [{
    A QDQ ONNX model imports as float ops between `quant.dcast` (from
    DequantizeLinear) and `quant.qcast` (from QuantizeLinear), with
    `accel.cast` for a Clip on integers. This pass rewrites it into the form
    `--accel-quantize` produces:

    - a narrowing `accel.cast` of a `quant.qcast`, or of a weight's
      `quant.scast`, becomes the narrower type (`i8` clipped to [-7, 7] is
      `i4<-7:7>`);
    - an op whose operands all come from `quant.dcast` and whose only reader
      is a `quant.qcast` computes on the quantized operands and produces the
      qcast's type; a matrix product read only by the add of an int32 bias
      produces that bias's i32 accumulator type;
    - a `quant.dcast` read by a `quant.qcast` becomes the identity (same
      type) or a requantizing `accel.cast`.

    Ops that do not fit stay in f32 between their casts.

    ```
    tandem-translate --import-onnx model.qdq.onnx | tandem-opt --accel-fold-qdq
    ```
  }];
  let dependentDialects = [
    "::mlir::quant::QuantDialect", "::mlir::arith::ArithDialect"
  ];
}

def MixedPrecisionPass : Pass<"accel-mixed-precision", "::mlir::ModuleOp"> {
  let summary = "Choose each layer's widths under hardware budgets (HAQ) and quantize";
  let description = [{
    Runs the mixed-precision search of `tandem-quantize` on an fp32 module
    and quantizes it by the chosen policy (as `--accel-quantize` would).
    The module is calibrated on `data` unless it carries
    `accel.calibration` statistics; per-layer cost tables come from the
    cost model with the mapper on `target`; accuracy is measured by running
    the quantized model on the first `validation-samples` of `data`
    (top-1 with `labels`, else agreement with the fp32 model).

    `budget` is a comma-separated list of `KIND:VALUE` (or `KIND=VALUE`):
    `latency`, `energy`, `size` or `bitops`, a fraction of W8A8 on the same
    target (`0.6`, `60%`) or absolute (`1.5ms`, `20uJ`, `40kB`, `2.5G`).
    `search` is `ilp` (GLPK integer program over the measured per-layer
    sensitivity), `evolution` or `ddpg` (HAQ's agent, libtorch), both
    scored by measured accuracy and deterministic for a `seed`.

    Before (fp32, calibrated or not):

    ```mlir
    %y = accel.conv2d %x, %w, %b ... : (tensor<64x32x14x14xf32>, ...) -> ...
    ```

    After (`target=bitfusion budget=latency:0.6 search=ilp`), e.g. that
    layer at W4A4:

    ```mlir
    %y = accel.conv2d %x, %w, %b ... : (tensor<64x32x14x14x!quant.uniform<i4:f32, ...>>,
        tensor<64x32x3x3x!quant.uniform<i4<-7:7>:f32:0, {...}>>, ...) -> ...
    ```

    ```
    tandem-opt cnn.mlir --accel-mixed-precision="target=bitfusion budget=latency:0.6 search=ilp data=train-images-idx3-ubyte.gz labels=train-labels-idx1-ubyte.gz policy-out=policy.json"
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"\"",
           "Target: preset name or YAML file">,
    ListOption<"budgets", "budget", "std::string",
               "Budgets KIND:VALUE (latency, energy, size, bitops, arithmetic)">,
    Option<"search", "search", "::tandem::quant::SearchKind",
           /*default=*/"::tandem::quant::SearchKind::ILP", "The search",
           [{::llvm::cl::values(
               clEnumValN(::tandem::quant::SearchKind::ILP, "ilp",
                          "integer program over the measured sensitivity"),
               clEnumValN(::tandem::quant::SearchKind::Evolution, "evolution",
                          "evolution scored by measured accuracy"),
               clEnumValN(::tandem::quant::SearchKind::DDPG, "ddpg",
                          "HAQ's DDPG agent (libtorch)"))}]>,
    Option<"data", "data", "std::string", /*default=*/"\"\"",
           "Validation data: IDX file, .npy directory or test_data_set_* directory">,
    Option<"labels", "labels", "std::string", /*default=*/"\"\"",
           "Labels of data (else agreement with fp32 is measured)">,
    Option<"calibrationSamples", "calibration-samples", "int64_t",
           /*default=*/"512", "Calibrate on this many samples of data">,
    Option<"validationSamples", "validation-samples", "int64_t",
           /*default=*/"2000", "Measure policies on this many samples (0: all)">,
    Option<"seed", "seed", "uint64_t", /*default=*/"1",
           "Seed of the evolution and DDPG">,
    Option<"episodes", "episodes", "unsigned", /*default=*/"600",
           "DDPG episodes; policies the evolution measures">,
    ListOption<"pin", "pin", "std::string",
               "Layers kept at W8A8: first, last">,
    ListOption<"encodings", "encodings", "std::string",
               "Shift-add encodings weights may take beside the widths: "
               "ENCODING[:BITS] (pot, apot, csd, csd-T)">,
    Option<"biasCorrection", "bias-correction", "bool", /*default=*/"false",
           "Fold each layer's mean weight-rounding error into its bias "
           "(with gptq-sequential, its measured mean output error)">,
    Option<"depthwiseInputs", "depthwise-inputs", "std::string",
           /*default=*/"\"per-tensor\"",
           "Grids of the activations only depthwise layers read: per-tensor, or per-channel (one scale and zero point per channel)">,
    Option<"weightRounding", "weight-rounding", "std::string",
           /*default=*/"\"nearest\"",
           "How weights are rounded: nearest, gptq (each layer's output error on the calibration samples minimized), or gptq-sequential (the search scores gptq; the chosen policy and the baselines are rounded layer by layer from the quantized model's inputs and measured so)">,
    Option<"activationClipping", "activation-clipping", "std::string",
           /*default=*/"\"minmax\"",
           "How activation ranges are clipped: minmax, percentile, mse, kl, or auto (per layer and width, whichever of minmax, percentile and mse its sensitivity measurement found most accurate)">,
    Option<"policyOut", "policy-out", "std::string", /*default=*/"\"\"",
           "Write the chosen policy JSON here">,
    Option<"threads", "threads", "unsigned", /*default=*/"2",
           "Threads for mapping and scoring">,
  ];
  let dependentDialects = [
    "::mlir::quant::QuantDialect", "::mlir::arith::ArithDialect"
  ];
}

def ShiftAddPass : Pass<"accel-shift-add", "::mlir::ModuleOp"> {
  let summary = "Encode layers' weights as powers of two, APoT or CSD (shifts and adds)";
  let description = [{
    Rewrites the weights of quantized convolutions and matrix products so
    that each product is a few shifts and adds (docs/shift-add.md):

    - `encoding=pot bits=5`: w = scale * s * 2^p, s in {-1, 0, +1}, p in
      [-15, 0] (DeepShift-Q: nearest power of two in the log domain);
    - `encoding=apot bits=5`: w = scale * (sum of APoT terms);
    - `encoding=csd` / `csd-T`: integers (of the weights' width unless
      `bits` says otherwise), each rounded to the nearest with at most T
      non-zero canonical-signed-digit digits.

    The weights' real values are encoded afresh with a new per-channel
    scale (the largest magnitude, or with `clipping=mse` the clip with the
    least squared error: a digit limit or a power-of-two grid wants its own
    scale) and the layer's bias is re-gridded to the new accumulator
    scale. Each encoded layer
    gets `accel.weight_encoding` with the non-zero terms its weights hold,
    which the cost model charges as shifts and adds.

    `layers` names the layers (their ONNX node names); without it every
    convolution and matrix product by quantized constant weights that is
    not encoded yet is encoded (so a second run completes a first that
    named some). A named layer that cannot be encoded is an error that says why
    (not quantized, no constant weights, asymmetric weights); so is a module
    that was not quantized.

    Before (`--accel-quantize`, W8A8):

    ```mlir
    %w = quant.scast %c : tensor<2x1x1x2xi8> to tensor<2x1x1x2x!quant.uniform<i8<-127:127>:f32:0, {...}>>
    %y = accel.conv2d %x, %w, %b : ...
    ```

    After (`encoding=pot bits=5`):

    ```mlir
    %w = quant.scast %c : tensor<2x1x1x2xi17> to tensor<2x1x1x2x!quant.uniform<i17<-32768:32768>:f32:0, {...}>>
    %y = accel.conv2d %x, %w, %b {accel.weight_encoding = #accel.weight_encoding<pot, bits = 5, terms = 4>} : ...
    ```

    ```
    tandem-opt quantized.mlir --accel-shift-add="encoding=csd-2 layers=/conv2/Conv,/fc/Gemm"
    ```
  }];
  let options = [
    Option<"encoding", "encoding", "std::string", /*default=*/"\"\"",
           "pot, apot, csd or csd-T (at most T non-zero digits)">,
    Option<"bits", "bits", "int64_t", /*default=*/"0",
           "Code width of pot (2-5, default 5), apot (3-8, default 5) or csd "
           "(2-16, default: the weights' width)">,
    ListOption<"layers", "layers", "std::string",
               "Layers to encode (default: every quantized layer with weights)">,
    Option<"clipping", "clipping", "std::string", /*default=*/"\"mse\"",
           "Scale of pot and apot weights: mse or minmax">,
  ];
  let dependentDialects = [
    "::mlir::quant::QuantDialect", "::mlir::arith::ArithDialect"
  ];
}

#endif // TANDEM_QUANTIZATION_PASSES_TD
