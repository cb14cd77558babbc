//===- fuzz-mapping-attr.cpp - libFuzzer target: #accel.mapping parser ----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Parses the input as an attribute (the fuzzer's dictionary steers it to
// #accel.mapping<...>) and, when it is a mapping, prints it back.
//
//===----------------------------------------------------------------------===//

#include "FuzzSupport.h"

#include "mlir/AsmParser/AsmParser.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static tandem::fuzz::FuzzContext context;
  std::string text = "#accel.mapping<" +
                     std::string(reinterpret_cast<const char *>(data), size) +
                     ">";
  // The parser's recursion is bounded like every tool's input.
  if (llvm::Error err = tandem::checkNestingDepth(text, "fuzz")) {
    llvm::consumeError(std::move(err));
    return 0;
  }
  if (mlir::Attribute attr = mlir::parseAttribute(text, &context.get())) {
    std::string printed;
    llvm::raw_string_ostream os(printed);
    attr.print(os);
  }
  return 0;
}
