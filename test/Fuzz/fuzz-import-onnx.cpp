//===- fuzz-import-onnx.cpp - libFuzzer target: ONNX import from bytes ----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Imports the input as a binary ONNX model or, built with
// TANDEM_FUZZ_ONNX_TEXT, as .onnxtext: libonnx's parser, checker, version
// converter and shape inference, then Tandem's importer and verifier.
//
//===----------------------------------------------------------------------===//

#include "FuzzSupport.h"

#include "tandem/Target/ONNX/ImportONNX.h"

#include "mlir/IR/BuiltinOps.h"

#include <cstddef>
#include <cstdint>

#ifdef TANDEM_FUZZ_ONNX_TEXT
static constexpr bool kText = true;
#else
static constexpr bool kText = false;
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static tandem::fuzz::FuzzContext context;
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  tandem::ONNXImportOptions options;
  // External data is looked for in a directory that holds none.
  options.externalDataDir = "/nonexistent";
  (void)tandem::importONNX(bytes, kText, kText ? "fuzz.onnxtext" : "fuzz.onnx",
                           &context.get(), options);
  return 0;
}
