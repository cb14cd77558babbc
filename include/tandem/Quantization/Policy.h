//===- Policy.h - Per-layer quantization policies --------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// A policy says how each layer (convolution or matrix product, named as in
// the ONNX model) is quantized: weight bits, activation bits (the bits of the
// tensors the layer reads), the weights' shift-add encoding if any, and how
// ranges are clipped. It is plain JSON
// (docs/quantization.md), parsed strictly (an unknown field is an error that
// names it) and printed canonically, so that every tool that chooses a policy
// writes one that can be diffed and re-applied.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_POLICY_H
#define TANDEM_QUANTIZATION_POLICY_H

#include "tandem/Support/WeightEncoding.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace tandem::quant {

/// How a tensor's clipping range is chosen from its calibrated statistics.
enum class Clipping { MinMax, Percentile, MSE, KL };

llvm::StringRef stringifyClipping(Clipping clipping);
std::optional<Clipping> parseClipping(llvm::StringRef text);

/// How an activation tensor is clipped: a clipping with, for
/// Clipping::Percentile, the share of values kept (in percent).
struct ActivationClipping {
  Clipping method = Clipping::MinMax;
  double percentile = 99.99;

  /// The percentile counts only for Clipping::Percentile.
  bool operator==(const ActivationClipping &other) const {
    return method == other.method &&
           (method != Clipping::Percentile || percentile == other.percentile);
  }
  /// "minmax", "mse", "kl" or "percentile:99.9".
  std::string str() const;
};

/// Whether `bits` is a width Tandem quantizes to: 2..8 or 16.
bool isSupportedBits(int64_t bits);

struct LayerBits {
  int64_t weightBits = 8;
  int64_t activationBits = 8;
  /// How the weights multiply (docs/shift-add.md): plain integers, or
  /// shift-add encoded at `weightBits` (pot, apot: the code's width; csd:
  /// the integer's, with at most `maxDigits` non-zero digits if set).
  EncodingKind encoding = EncodingKind::Multiply;
  int64_t maxDigits = 0;

  WeightEncoding getWeightEncoding() const {
    return {encoding, weightBits, maxDigits};
  }
  /// Widths `activationBits` with weights as `weights` says.
  static LayerBits get(const WeightEncoding &weights, int64_t activationBits) {
    return {weights.bits, activationBits, weights.kind, weights.maxDigits};
  }
  bool operator==(const LayerBits &other) const {
    return weightBits == other.weightBits &&
           activationBits == other.activationBits &&
           encoding == other.encoding && maxDigits == other.maxDigits;
  }
};

/// How real weights become integers on their grid: each to the nearest
/// level, or GPTQ (Frantar et al., ICLR 2023), which rounds a layer's
/// weights one input position at a time and moves each rounding error onto
/// the weights not yet rounded so that the layer's output on the
/// calibration data changes least (docs/quantization.md); or sequential
/// GPTQ, which rounds the layers in order, each against the inputs it
/// receives in the quantized model (the earlier layers rounded, the
/// activations on their grids) towards the fp32 layer's output.
enum class WeightRounding { Nearest, GPTQ, GPTQSequential };
std::optional<WeightRounding> parseWeightRounding(llvm::StringRef name);
llvm::StringRef stringifyWeightRounding(WeightRounding rounding);

struct Policy {
  /// Bits of layers the policy does not name.
  LayerBits defaults;
  /// Per-layer overrides, by layer name.
  std::map<std::string, LayerBits> layers;
  /// Bits of tensors no layer reads (the model's outputs).
  int64_t outputBits = 8;

  /// Weights: one scale per output channel (else one per tensor),
  /// symmetric with a narrow range (-(2^(b-1)-1) .. 2^(b-1)-1) or
  /// asymmetric; clipped by minimizing the squared error (else min-max).
  bool weightPerChannel = true;
  bool weightSymmetric = true;
  Clipping weightClipping = Clipping::MSE;
  /// GPTQ needs each layer's input moments from calibration data
  /// (measureInputMoments, handed over in a WeightCache).
  WeightRounding weightRounding = WeightRounding::Nearest;
  /// Bias correction (Nagel et al., ICCV 2019): each output channel's bias
  /// absorbs the mean error the weights' rounding adds to it, from the
  /// calibrated channel means of the layer's input (docs/quantization.md).
  bool biasCorrection = false;

  /// Activations: one scale per tensor, asymmetric (a zero point) or
  /// symmetric; clipped as `activationClipping` says.
  bool activationSymmetric = false;
  Clipping activationClipping = Clipping::MinMax;
  /// For Clipping::Percentile: the share of values kept, in percent.
  double percentile = 99.99;
  /// The inputs of depthwise layers get one scale and zero point per
  /// channel, each clipped on its own histogram, where the integer
  /// arithmetic allows it at no cost: tensors that only depthwise layers
  /// read, computed by a convolution (through ReLU or Clip).
  bool depthwiseInputsPerChannel = false;
  /// Per-layer overrides of `activationClipping` and `percentile` for the
  /// activations a layer reads (a mixed-precision search writes the one
  /// each layer's sensitivity measurement found most accurate at its width).
  std::map<std::string, ActivationClipping> layerActivationClipping;

  LayerBits getBits(llvm::StringRef layer) const;
  ActivationClipping getActivationClipping(llvm::StringRef layer) const;
};

/// Parses a policy. `source` names the file in errors ("policy.json: field
/// 'layers./conv1/Conv.weight_bits': expected one of 2..8 or 16, got 9").
llvm::Expected<Policy> parsePolicy(llvm::StringRef json,
                                   llvm::StringRef source);
llvm::Expected<Policy> loadPolicy(llvm::StringRef path);

/// The canonical JSON form (sorted keys, every field present).
std::string printPolicy(const Policy &policy);

/// A uniform policy: every layer at `weightBits`/`activationBits`.
Policy uniformPolicy(int64_t weightBits, int64_t activationBits);

} // namespace tandem::quant

#endif // TANDEM_QUANTIZATION_POLICY_H
