//===- fuzz-tensor-file.cpp - libFuzzer target: .npy and .pb readers ------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Reads the input as a NumPy .npy file or, built with TANDEM_FUZZ_PB, as a
// serialized ONNX TensorProto (tandem-run's two input formats).
//
//===----------------------------------------------------------------------===//

#include "FuzzSupport.h"

#include "tandem/Execution/NumPy.h"
#include "tandem/Target/ONNX/TensorFiles.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tandem::setMaxTensorBytes(uint64_t(64) << 20);
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
#ifdef TANDEM_FUZZ_PB
  auto tensor = tandem::parseTensorProto(bytes, "fuzz.pb", "/nonexistent");
#else
  auto tensor = tandem::exec::parseNpy(bytes, "fuzz.npy");
#endif
  if (!tensor)
    llvm::consumeError(tensor.takeError());
  return 0;
}
