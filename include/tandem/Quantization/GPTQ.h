//===- GPTQ.h - Weight rounding that minimizes each layer's output error --===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Rounding each weight to its nearest grid level minimizes the error of the
// weights, not of the layer's output. GPTQ (Frantar et al., ICLR 2023, after
// Optimal Brain Quantization) minimizes ||(W_q - W) X||^2 over the inputs X
// the layer sees: with H = E[x x^T], the inputs' second moment, it rounds
// one input position (a column of W) at a time and moves each row's rounding
// error onto the columns not yet rounded, in proportion to H^-1, so that the
// remaining weights compensate it. Columns go in order of decreasing H_jj
// (the most used inputs first), H is damped by 1% of its mean diagonal, and
// the grid (scales, zero points, clipping) is the one nearest rounding would
// use: only the integers change. One pass, no training: post-training
// quantization, as the policy's other options.
//
// H comes from running the fp32 model on calibration data:
// measureInputMoments. Per layer it is K x K doubles (K = C/groups x R x S
// for a convolution, per group; K for a matrix product), kept in memory.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_GPTQ_H
#define TANDEM_QUANTIZATION_GPTQ_H

#include "tandem/Quantization/Calibration.h"
#include "tandem/Quantization/Policy.h"
#include "tandem/Quantization/Statistics.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <memory>
#include <vector>

namespace tandem::quant {

/// What GPTQ rounds with, from a moment H (size x size): the columns in
/// rounding order (decreasing H_jj) and the upper Cholesky factor U of the
/// damped H^-1 in that order (H^-1 = U^T U; row-major, upper triangle).
/// Not `factored` (U empty) when no damping made H positive definite:
/// the rounding is then nearest.
struct GPTQFactor {
  std::vector<int64_t> order;
  std::vector<double> u;
  bool factored = false;
};
GPTQFactor factorMoment(llvm::ArrayRef<double> moment, int64_t size);

/// E[x x^T] over the vectors a layer's weight rows are multiplied with:
/// the input patches of an accel.conv2d (one matrix per group), the rows of
/// an accel.matmul's left operand; kept factored for GPTQ.
struct InputMoment {
  int64_t groups = 1;
  int64_t size = 0;
  /// One per group.
  std::vector<GPTQFactor> factors;
  /// The vectors averaged.
  int64_t count = 0;
};

/// By layer display name (the names policies use).
struct LayerInputMoments {
  llvm::StringMap<InputMoment> layers;
  /// Names two layers share: not measured (a moment could not tell them
  /// apart).
  llvm::StringSet<> ambiguous;
  /// Threads GPTQ rounds a layer's rows on.
  unsigned threads = 1;
};

/// Runs the fp32 `module` on `data` (the first `options.maxSamples`) and
/// measures (and factors) the input moment of every accel.conv2d with constant
/// weights and every accel.matmul with a rank-2 constant right operand (whose
/// input is f32 and whose name no other layer has). Inputs that are not
/// finite, and a moment larger than the tensor limit (getMaxTensorBytes),
/// are errors naming the layer.
llvm::Expected<std::shared_ptr<LayerInputMoments>>
measureInputMoments(mlir::ModuleOp module, Dataset &data,
                    const CalibrationOptions &options);

/// What quantizing `module` by policies needs from data: calibrates it on
/// the first `calibrationSamples` of `dataPath` unless it carries
/// statistics, and measures the layers' input moments on the same samples
/// when weights are rounded by GPTQ (else returns null). `log` tells each
/// step.
llvm::Expected<std::shared_ptr<LayerInputMoments>>
prepareForQuantization(mlir::ModuleOp module, llvm::StringRef dataPath,
                       int64_t calibrationSamples, WeightRounding rounding,
                       int threads,
                       llvm::function_ref<void(const llvm::Twine &)> log);

/// GPTQ: the integers of `weights` (rows x size, row-major, row r on the
/// grid `params[r]`, or `params[0]` for every row) for inputs whose second
/// moment was factored into `factor`. Rows are rounded in parallel on
/// `threads` threads.
std::vector<int64_t> roundGPTQ(llvm::ArrayRef<double> weights, int64_t rows,
                               int64_t size, const GPTQFactor &factor,
                               llvm::ArrayRef<QuantParams> params,
                               unsigned threads = 1);

/// GPTQ on a layer's weights in their IR layout: `shape` is K x C/g x R x S
/// with channels on `axis` 0 (convolution), or K x N with channels on axis
/// 1 (matrix product); `params` per channel (or one). nullopt when the
/// moment does not fit the shape.
std::optional<std::vector<int64_t>>
roundLayerGPTQ(llvm::ArrayRef<float> weights, llvm::ArrayRef<int64_t> shape,
               int32_t axis, llvm::ArrayRef<QuantParams> params,
               const InputMoment &moment, unsigned threads = 1);

/// Sequential GPTQ on `quantized`, the quantization of `fp32` (both with
/// @main): rounds the weights of its layers again in order, a layer once
/// every layer upstream of it is done, each by GPTQ towards its fp32
/// output: with x its input in `fp32` and x_q its input in `quantized` (the
/// earlier layers rounded, the activations on their grids), on the first
/// `options.maxSamples` of `data`, the target is T = W (C + d) (H + d)^-1,
/// C = E[x x_q^T], H = E[x_q x_q^T], d GPTQ's damping, which minimizes
/// ||W x - T x_q||^2 + d ||T - W||^2, and T is rounded on its layer's grid
/// by GPTQ with H. The grids do not change.
/// With `correctBias`, each layer rounded (but those reading the model's
/// input, as bias correction's rule is) then gets W E[x] - W_q E[x_q] added
/// to its bias: the mean of its output's error against the fp32 layer's,
/// which the least-squares target, having no constant term, leaves, and
/// which clipped low-width activations make large (Nagel et al.'s empirical
/// bias correction, layer by layer).
/// Layers with shift-add encodings, f32 weights or a name another layer
/// shares keep their rounding. One run of both models per step; `log`
/// tells each step.
llvm::Error
roundSequentially(mlir::ModuleOp fp32, mlir::ModuleOp quantized, Dataset &data,
                  const CalibrationOptions &options, bool correctBias,
                  llvm::function_ref<void(const llvm::Twine &)> log);

/// Quantizes `module` by `policy` (whose weights.rounding is
/// "gptq-sequential": quantizeModule refuses it) with nearest rounding,
/// then rounds its weights again by roundSequentially, which corrects the
/// biases when the policy asks for bias correction. Errors are emitted on
/// `module`.
mlir::LogicalResult
quantizeSequentially(mlir::ModuleOp module, const Policy &policy,
                     llvm::StringRef policySource, Dataset &data,
                     const CalibrationOptions &options,
                     llvm::function_ref<void(const llvm::Twine &)> log);

} // namespace tandem::quant

#endif // TANDEM_QUANTIZATION_GPTQ_H
