//===- PolicyScorer.h - Score many policies with one compiled model -*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Searches score hundreds of policies of one model. A PolicyScorer compiles
// the model once, fake-quantized with every grid and weight as a run-time
// argument (--accel-lower-quantized="mode=float runtime-parameters"); a new
// policy is applied to the calibrated IR (milliseconds), its grids and
// dequantized weights read off the lowered IR, and passed to the same
// compiled code.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_POLICYSCORER_H
#define TANDEM_QUANTIZATION_POLICYSCORER_H

#include "tandem/Execution/Executable.h"
#include "tandem/Quantization/Accuracy.h"
#include "tandem/Quantization/Policy.h"
#include "tandem/Quantization/Quantize.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <map>

namespace tandem::quant {

struct PolicyScore {
  AccuracyResult result;
  /// Applying the policy and extracting its run-time parameters.
  double prepareSeconds = 0;
};

class PolicyScorer {
public:
  /// Compiles `calibrated` (an fp32 module with calibration statistics, not
  /// modified) quantized by `first`.
  static llvm::Expected<std::unique_ptr<PolicyScorer>>
  create(mlir::ModuleOp calibrated, const Policy &first,
         const exec::CompileOptions &options);

  /// Scores `policy` on `data` (against `reference` if given) with the
  /// compiled program.
  llvm::Expected<PolicyScore> score(const Policy &policy, const Dataset &data,
                                    exec::Executable *reference = nullptr,
                                    unsigned threads = 1);

  /// Its quantized weights (set the layers' input moments here for
  /// policies rounded by GPTQ); other quantizations of the same module may
  /// share it.
  WeightCache &getWeightCache() { return weights; }

  /// Seconds spent compiling (all programs so far).
  double getCompileSeconds() const { return compileSeconds; }

private:
  PolicyScorer() = default;
  /// The calibrated module quantized by `policy` and lowered with run-time
  /// parameters; its parameter table and weights as tensors.
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  lower(const Policy &policy, std::vector<exec::Tensor> &runtimeInputs);

  /// The program of `lowered`, compiled on first use of its argument
  /// shapes.
  llvm::Expected<exec::Executable *>
  getProgram(mlir::ModuleOp lowered,
             llvm::ArrayRef<exec::Tensor> runtimeInputs);

  mlir::OwningOpRef<mlir::ModuleOp> calibrated;
  /// Each weight quantized once per width over all policies.
  WeightCache weights;
  exec::CompileOptions options;
  /// By the shapes of their run-time arguments.
  std::map<std::string, std::unique_ptr<exec::Executable>> programs;
  double compileSeconds = 0;
};

} // namespace tandem::quant

#endif // TANDEM_QUANTIZATION_POLICYSCORER_H
