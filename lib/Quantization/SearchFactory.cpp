//===- SearchFactory.cpp - Mixed-precision searches by name ---------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/MixedPrecision.h"

#include "tandem/Support/Plugin.h"

using namespace tandem;
using namespace tandem::quant;

llvm::Expected<std::unique_ptr<MixedPrecisionSearch>>
tandem::quant::createDDPGSearch() {
  auto create = loadPluginSymbol(TANDEM_DDPG_PLUGIN, "TANDEM_DDPG_PLUGIN",
                                 "tandemCreateDDPGSearch", "the DDPG agent",
                                 "TandemDDPG");
  if (!create)
    return create.takeError();
  using Factory = MixedPrecisionSearch *();
  return std::unique_ptr<MixedPrecisionSearch>(
      reinterpret_cast<Factory *>(*create)());
}

llvm::Expected<std::unique_ptr<MixedPrecisionSearch>>
tandem::quant::createSearch(SearchKind kind) {
  switch (kind) {
  case SearchKind::ILP:
    return createILPSearch();
  case SearchKind::Evolution:
    return createEvolutionSearch();
  case SearchKind::DDPG:
    return createDDPGSearch();
  }
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "unknown search");
}
