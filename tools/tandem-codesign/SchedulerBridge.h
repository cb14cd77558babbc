//===- SchedulerBridge.h - tandem-codesign's link to Dask -------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// --scheduler ADDRESS: the search stays in this process and every batch of
// points is evaluated on a Dask cluster through the Python module's
// tandem.bridge, a child process on two pipes (protocol in
// python/tandem/bridge.py).
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_TOOLS_SCHEDULERBRIDGE_H
#define TANDEM_TOOLS_SCHEDULERBRIDGE_H

#include "tandem/CoDesign/Evaluator.h"

#include "llvm/Support/JSON.h"

#include <cstdio>
#include <memory>
#include <sys/types.h>

namespace tandem::codesign {

class SchedulerBridge {
public:
  /// Starts the bridge and sends it `request` (scheduler, options, chunk
  /// size); an error says why it could not reach the scheduler.
  static llvm::Expected<std::unique_ptr<SchedulerBridge>>
  start(llvm::json::Object request);
  ~SchedulerBridge();

  /// Workers the scheduler had when the bridge connected.
  unsigned getWorkers() const { return workers; }
  /// Points per batch for the searches that choose it (the bridge's).
  unsigned getBatchSize() const { return batch; }
  /// The points' metrics, computed on the cluster.
  llvm::Expected<std::vector<Metrics>> evaluate(llvm::ArrayRef<uint64_t> ids);

private:
  SchedulerBridge() = default;
  llvm::Expected<llvm::json::Value> readReply();

  pid_t pid = -1;
  FILE *toBridge = nullptr, *fromBridge = nullptr;
  unsigned workers = 0, batch = 256;
};

} // namespace tandem::codesign

#endif // TANDEM_TOOLS_SCHEDULERBRIDGE_H
