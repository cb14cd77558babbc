//===- Passes.h - Dataflow mapping passes -----------------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_MAPPING_PASSES_H
#define TANDEM_MAPPING_PASSES_H

#include "tandem/Mapping/Mapper.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace tandem {
namespace workload {
class WorkloadModel;
} // namespace workload

namespace mapping {
/// What --accel-map-dataflow does once its target is loaded: searches a
/// mapping for every distinct array problem of `model` (the analysis of
/// `module`) on `target` and attaches it to the ops as `accel.mapping`.
/// Errors are emitted on the op that has no mapping; with `stats`, one
/// line per problem goes to standard output.
mlir::LogicalResult mapModule(mlir::ModuleOp module,
                              const workload::WorkloadModel &model,
                              const hw::Target &target,
                              const SearchOptions &options, int64_t floatBits,
                              bool stats = false);
} // namespace mapping

#define GEN_PASS_DECL
#include "tandem/Mapping/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tandem/Mapping/Passes.h.inc"

} // namespace tandem

#endif // TANDEM_MAPPING_PASSES_H
