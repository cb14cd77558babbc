//===- Passes.h - Conversions out of the accel dialect ----------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_CONVERSION_PASSES_H
#define TANDEM_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"

namespace tandem {

#define GEN_PASS_DECL
#include "tandem/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tandem/Conversion/Passes.h.inc"

} // namespace tandem

#endif // TANDEM_CONVERSION_PASSES_H
