//===- Passes.h - Quantization passes ---------------------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_PASSES_H
#define TANDEM_QUANTIZATION_PASSES_H

#include "tandem/Quantization/MixedPrecision.h"

#include "mlir/Pass/Pass.h"

namespace tandem {

#define GEN_PASS_DECL
#include "tandem/Quantization/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tandem/Quantization/Passes.h.inc"

} // namespace tandem

#endif // TANDEM_QUANTIZATION_PASSES_H
