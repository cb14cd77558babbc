//===- Passes.h - Dataflow mapping passes -----------------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_MAPPING_PASSES_H
#define TANDEM_MAPPING_PASSES_H

#include "tandem/Mapping/Mapper.h"

#include "mlir/Pass/Pass.h"

namespace tandem {

#define GEN_PASS_DECL
#include "tandem/Mapping/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tandem/Mapping/Passes.h.inc"

} // namespace tandem

#endif // TANDEM_MAPPING_PASSES_H
