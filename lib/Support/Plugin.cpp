//===- Plugin.cpp - Optional parts loaded at run time ---------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Support/Plugin.h"

#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/Process.h"

using namespace llvm;

Expected<void *> tandem::loadPluginSymbol(StringRef defaultPath,
                                          const char *envVar,
                                          const char *symbol, StringRef what,
                                          StringRef target) {
  std::string path = defaultPath.str();
  if (std::optional<std::string> env = sys::Process::GetEnv(envVar))
    path = *env;
  std::string error;
  auto library = sys::DynamicLibrary::getPermanentLibrary(path.c_str(), &error);
  if (!library.isValid())
    return createStringError(inconvertibleErrorCode(),
                             what + " is unavailable: cannot load '" + path +
                                 "': " + error + " (build the " + target +
                                 " target, or set " + envVar + ")");
  void *address = library.getAddressOfSymbol(symbol);
  if (!address)
    return createStringError(inconvertibleErrorCode(),
                             "'" + path + "' is not Tandem's " + target +
                                 " plugin");
  return address;
}
