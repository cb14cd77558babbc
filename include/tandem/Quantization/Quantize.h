//===- Quantize.h - Rewrite a calibrated model into quantized types -*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Applies a policy to a calibrated fp32 module (docs/quantization.md):
// activations become per-tensor `!quant.uniform` tensors (per channel, with
// `activations.depthwise_inputs`, where only depthwise layers read them),
// constant weights per-channel (or per-tensor) quantized integer constants,
// biases i32 at the accumulator's scale; `quant.qcast`/`quant.dcast` mark where
// the quantized region starts and ends, and `accel.cast` requantizes a tensor
// for a layer that reads it at fewer bits than it is stored at.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_QUANTIZE_H
#define TANDEM_QUANTIZATION_QUANTIZE_H

#include "tandem/Quantization/Policy.h"
#include "tandem/Quantization/Statistics.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include <memory>
#include <string>
#include <vector>

namespace tandem::quant {

struct LayerInputMoments;

/// The attribute calibration stores a tensor's statistics in: on the op
/// that defines it, or as an argument attribute of @main.
constexpr llvm::StringLiteral kCalibrationAttr = "accel.calibration";

/// The layers a policy names: every accel.conv2d and accel.matmul of @main,
/// by display name (the ONNX node name), in program order.
std::vector<std::string> getLayerNames(mlir::ModuleOp module);

/// Quantized weights by (weight constant, width, weight options): a search
/// that quantizes one model under hundreds of policies quantizes each
/// weight once per width (per-channel MSE clipping of ResNet-18's 11 M
/// weights takes seconds). Keys are the constants' attributes, uniqued in
/// their MLIRContext: a cache must not outlive the context of the modules
/// it is used with.
class WeightCache {
public:
  WeightCache();
  ~WeightCache();
  /// The layers' input moments on calibration data, which policies with
  /// weights.rounding "gptq" need (GPTQ.h).
  void setInputMoments(std::shared_ptr<const LayerInputMoments> moments);
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// A weight quantized per channel along `axis` (or per tensor): the integer
/// values and the parameters of each channel.
struct QuantizedWeight {
  llvm::SmallVector<int64_t> values;
  llvm::SmallVector<QuantParams> params;
  int32_t axis = 0;
};

/// The `!quant.uniform` type of `weight` with `bits`-bit storage (per axis
/// when it has several channels).
mlir::Type getWeightType(mlir::MLIRContext *ctx, const QuantizedWeight &weight,
                         int64_t bits);
/// The i32 type of an accumulator (or bias) whose scale per channel along
/// `axis` is `scales` (one scale: per tensor).
mlir::Type getAccumulatorType(mlir::MLIRContext *ctx,
                              llvm::ArrayRef<double> scales, int32_t axis);
/// An integer constant of `type` (signless iN elements) holding `values`.
mlir::Value createIntConstant(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::RankedTensorType type,
                              llvm::ArrayRef<int64_t> values);
/// A bias of real `values` (shape `type`, channels last) on the grid of an
/// accumulator with `accScales`, or 2^shift times coarser when it would not
/// fit i32: a quant.scast of an i32 constant. Fails, with an error on
/// `layer`, when no shift up to 30 fits.
mlir::FailureOr<mlir::Value> createBias(mlir::OpBuilder &b, mlir::Location loc,
                                        llvm::ArrayRef<float> values,
                                        mlir::RankedTensorType type,
                                        llvm::ArrayRef<double> accScales,
                                        int32_t axis, mlir::Operation *layer);

/// The real values of a bias createBias made (a quant.scast of an i32
/// constant on a zero-point-0 grid, channels last), nullopt for anything
/// else.
std::optional<llvm::SmallVector<float>> getBiasValues(mlir::Value bias);

/// Erases `v`'s defining op once nothing reads `v`, and the constant it
/// cast (a quant.scast's) once nothing else reads that.
void eraseIfDead(mlir::Value v);

/// Whether `v` is computed from an argument of @main alone, with no layer
/// in between (reshaped, padded, normalized by constants, quantized, ...).
bool readsModelInput(mlir::Value v);

/// Rewrites @main of a calibrated module by `policy`. `policySource` names
/// the policy in errors (a layer the model does not have). Errors are
/// emitted as diagnostics on the module.
mlir::LogicalResult quantizeModule(mlir::ModuleOp module, const Policy &policy,
                                   llvm::StringRef policySource,
                                   WeightCache *cache = nullptr);

} // namespace tandem::quant

#endif // TANDEM_QUANTIZATION_QUANTIZE_H
