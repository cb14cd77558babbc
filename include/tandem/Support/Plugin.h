//===- Plugin.h - Optional parts loaded at run time -------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The parts built on libtorch (HAQ's DDPG agent, DANCE's evaluator) are
// plugins: libtorch takes a second to load, which every tool would pay if
// it were linked in. A plugin is a shared library with one factory symbol.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_SUPPORT_PLUGIN_H
#define TANDEM_SUPPORT_PLUGIN_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace tandem {

/// The address of `symbol` in the plugin at `defaultPath`, or at the path
/// in environment variable `envVar` when set. Errors name `what` (the
/// agent, the evaluator), the path, and the CMake target that builds it.
llvm::Expected<void *> loadPluginSymbol(llvm::StringRef defaultPath,
                                        const char *envVar, const char *symbol,
                                        llvm::StringRef what,
                                        llvm::StringRef target);

} // namespace tandem

#endif // TANDEM_SUPPORT_PLUGIN_H
