//===- fuzz-yaml.cpp - libFuzzer target: target and design-space YAML -----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Parses and validates the input as a target description or, built with
// TANDEM_FUZZ_SPACE, as a co-design space (whose base may name a preset),
// then instantiates the space's first point.
//
//===----------------------------------------------------------------------===//

#include "tandem/CoDesign/DesignSpace.h"
#include "tandem/Hardware/Target.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
#ifdef TANDEM_FUZZ_SPACE
  auto space = tandem::codesign::parseDesignSpace(text, "fuzz.yaml");
  if (!space) {
    llvm::consumeError(space.takeError());
    return 0;
  }
  if (space->size() > 0) {
    auto target = space->instantiate(space->getPoint(0), "fuzz");
    if (!target)
      llvm::consumeError(target.takeError());
  }
#else
  auto target = tandem::hw::parseTarget(text, "fuzz.yaml");
  if (!target)
    llvm::consumeError(target.takeError());
#endif
  return 0;
}
