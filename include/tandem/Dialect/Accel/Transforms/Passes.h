//===- Passes.h - Passes over the accel dialect -----------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_DIALECT_ACCEL_TRANSFORMS_PASSES_H
#define TANDEM_DIALECT_ACCEL_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"

namespace tandem::accel {

#define GEN_PASS_DECL
#include "tandem/Dialect/Accel/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tandem/Dialect/Accel/Transforms/Passes.h.inc"

} // namespace tandem::accel

#endif // TANDEM_DIALECT_ACCEL_TRANSFORMS_PASSES_H
