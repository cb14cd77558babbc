//===- SearchFactory.cpp - Mixed-precision searches by name ---------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/MixedPrecision.h"

#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/Process.h"

using namespace tandem;
using namespace tandem::quant;

llvm::Expected<std::unique_ptr<MixedPrecisionSearch>>
tandem::quant::createDDPGSearch() {
  std::string path = TANDEM_DDPG_PLUGIN;
  if (std::optional<std::string> env =
          llvm::sys::Process::GetEnv("TANDEM_DDPG_PLUGIN"))
    path = *env;
  std::string error;
  auto library =
      llvm::sys::DynamicLibrary::getPermanentLibrary(path.c_str(), &error);
  if (!library.isValid())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the DDPG agent is unavailable: cannot load '%s': %s (build the "
        "TandemDDPG target, or set TANDEM_DDPG_PLUGIN)",
        path.c_str(), error.c_str());
  using Factory = MixedPrecisionSearch *();
  auto *create = reinterpret_cast<Factory *>(
      library.getAddressOfSymbol("tandemCreateDDPGSearch"));
  if (!create)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "'%s' is not Tandem's DDPG plugin",
                                   path.c_str());
  return std::unique_ptr<MixedPrecisionSearch>(create());
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
