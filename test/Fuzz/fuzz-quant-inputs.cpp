//===- fuzz-quant-inputs.cpp - Fuzz quantization policies and IDX data ----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// fuzz-policy-json: quantization policies (parsePolicy, and printPolicy of
// what parses). fuzz-idx: IDX datasets, gzip-compressed or not (parseIdx).
// Every input must give a value or an error, never a crash.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/Dataset.h"
#include "tandem/Quantization/Policy.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
#ifdef TANDEM_FUZZ_POLICY
  auto policy = tandem::quant::parsePolicy(bytes, "fuzz.json");
  if (!policy) {
    llvm::consumeError(policy.takeError());
    return 0;
  }
  // What parses prints, and the print parses to the same print.
  std::string printed = tandem::quant::printPolicy(*policy);
  auto again = tandem::quant::parsePolicy(printed, "printed");
  if (!again || tandem::quant::printPolicy(*again) != printed)
    __builtin_trap();
#else
  auto idx = tandem::quant::parseIdx(bytes, "fuzz.idx");
  if (!idx)
    llvm::consumeError(idx.takeError());
#endif
  return 0;
}
