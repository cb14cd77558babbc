//===- Calibration.h - Record activation ranges by running the model -*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Calibration runs the fp32 model through the JIT on calibration inputs and
// stores, for every f32 tensor @main computes (and every f32 argument), its
// range and a histogram over it as an `accel.calibration` attribute:
//
//   %y = accel.conv2d ... {accel.calibration = {histogram = array<i64: ...>,
//                                               max = 6.1 : f64, min = 0.0 :
//                                               f64}}
//
// The histogram lets the quantization pass choose a clipping range for any
// width and method without running the model again.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_CALIBRATION_H
#define TANDEM_QUANTIZATION_CALIBRATION_H

#include "tandem/Execution/Tensor.h"
#include "tandem/Quantization/Dataset.h"
#include "tandem/Quantization/Statistics.h"

#include "mlir/IR/BuiltinOps.h"

#include <optional>

namespace tandem::quant {

mlir::DictionaryAttr getStatisticsAttr(mlir::MLIRContext *context,
                                       const TensorStatistics &stats);
/// The statistics in an `accel.calibration` attribute, or nullopt when it is
/// missing or malformed.
std::optional<TensorStatistics> parseStatisticsAttr(mlir::Attribute attr);

struct CalibrationOptions {
  /// At most this many samples (0: all).
  int64_t maxSamples = 0;
  /// Threads for BLAS.
  int threads = 1;
  /// Quantized tensors computed fake-quantized in f32 (the same values as
  /// the integer arithmetic, faster) rather than in integers.
  bool fakeQuant = false;
};

/// Runs @main of `module` on the first samples of `data` (`options`), in
/// batches of @main's first input's leading dimension (a last partial batch
/// is not used), `passes` times over, and calls `visit` with each batch's
/// input followed by `values` (f32 tensors of @main) as computed. The
/// module is not modified (a copy that returns the values is compiled).
llvm::Error runObserving(mlir::ModuleOp module,
                         llvm::ArrayRef<mlir::Value> values, Dataset &data,
                         const CalibrationOptions &options, int passes,
                         llvm::function_ref<llvm::Error(
                             int pass, llvm::ArrayRef<const exec::Tensor *>)>
                             visit);

/// Runs @main on every sample of `data` (in batches of @main's first input's
/// leading dimension; a last partial batch is not used) and annotates
/// `module`. Errors (a model that does not compile, data that does not fit
/// the input) are returned.
llvm::Error calibrate(mlir::ModuleOp module, Dataset &data,
                      const CalibrationOptions &options);

} // namespace tandem::quant

#endif // TANDEM_QUANTIZATION_CALIBRATION_H
