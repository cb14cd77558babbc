//===- FuzzSupport.h - What every fuzz target shares ------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// An MLIRContext with Tandem's dialects that swallows diagnostics (errors
// are the expected outcome of most inputs), renewed every few thousand
// inputs so that uniqued attributes and blobs do not accumulate over a
// million executions; and a tensor limit low enough that a fuzzer's memory
// limit is never the first to object.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_TEST_FUZZ_FUZZSUPPORT_H
#define TANDEM_TEST_FUZZ_FUZZSUPPORT_H

#include "tandem/InitAll.h"
#include "tandem/Support/Limits.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"

#include <memory>

namespace tandem::fuzz {

class FuzzContext {
public:
  mlir::MLIRContext &get() {
    if (!context || ++uses > 4096) {
      setMaxTensorBytes(uint64_t(64) << 20);
      mlir::DialectRegistry registry;
      registerAllDialects(registry);
      context = std::make_unique<mlir::MLIRContext>(
          registry, mlir::MLIRContext::Threading::DISABLED);
      context->loadAllAvailableDialects();
      context->getDiagEngine().registerHandler(
          [](mlir::Diagnostic &) { return mlir::success(); });
      uses = 0;
    }
    return *context;
  }

private:
  std::unique_ptr<mlir::MLIRContext> context;
  unsigned uses = 0;
};

} // namespace tandem::fuzz

#endif // TANDEM_TEST_FUZZ_FUZZSUPPORT_H
