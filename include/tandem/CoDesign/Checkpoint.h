//===- Checkpoint.h - Saving and resuming an exploration --------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// A checkpoint is the archive (every point evaluated, with its metrics) and
// the search state, tagged with a fingerprint of everything that determines
// the run (space, models, options). It is written between batches to a
// temporary file and renamed over the old one, so an interrupted run always
// leaves the last complete checkpoint.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_CODESIGN_CHECKPOINT_H
#define TANDEM_CODESIGN_CHECKPOINT_H

#include "tandem/CoDesign/Explorer.h"

namespace tandem::codesign {

/// Writes the checkpoint atomically to `path`.
llvm::Error saveCheckpoint(llvm::StringRef path, llvm::StringRef fingerprint,
                           const Archive &archive, const ExploreState &state);

/// Reads a checkpoint; an error if it is unreadable, malformed, or was
/// written for another fingerprint.
llvm::Error loadCheckpoint(llvm::StringRef path, llvm::StringRef fingerprint,
                           const DesignSpace &space, Archive &archive,
                           ExploreState &state);

/// Whether the checkpoint at `path` belongs to a finished run (false if
/// there is none or it cannot be read).
bool isFinishedCheckpoint(llvm::StringRef path);

} // namespace tandem::codesign

#endif // TANDEM_CODESIGN_CHECKPOINT_H
