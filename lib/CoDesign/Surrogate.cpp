//===- Surrogate.cpp - Loads the evaluator's plugin -----------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/CoDesign/Surrogate.h"
#include "tandem/Support/Plugin.h"

using namespace tandem;
using namespace tandem::codesign;

llvm::Expected<std::unique_ptr<DifferentiableSearch>>
codesign::createDifferentiableSearch() {
  auto create = loadPluginSymbol(
      TANDEM_SURROGATE_PLUGIN, "TANDEM_SURROGATE_PLUGIN",
      "tandemCreateDifferentiableSearch",
      "the differentiable search's evaluator network", "TandemSurrogate");
  if (!create)
    return create.takeError();
  using Factory = DifferentiableSearch *();
  return std::unique_ptr<DifferentiableSearch>(
      reinterpret_cast<Factory *>(*create)());
}
