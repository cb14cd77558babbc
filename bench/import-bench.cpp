//===- import-bench.cpp - Time and memory of the ONNX importer ------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Imports a model the way tandem-translate does (parse, check, convert,
// infer shapes, build IR) without printing it, and prints one JSON line:
//   {"model": ..., "file_bytes": N, "import_seconds": S,
//    "peak_rss_bytes": N, "baseline_rss_bytes": N, "ops": N}
// baseline_rss_bytes is the resident size before the import (the process and
// its shared libraries), so peak - baseline is what the model costs.
//
//===----------------------------------------------------------------------===//

#include "tandem/InitAll.h"
#include "tandem/Target/ONNX/ImportONNX.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <fstream>
#include <string>

/// A field of /proc/self/status ("VmRSS", "VmHWM") in bytes.
static uint64_t procStatusBytes(const std::string &field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field + ":", 0) == 0)
      return std::stoull(line.substr(field.size() + 1)) * 1024;
  return 0;
}

int main(int argc, char **argv) {
  static llvm::cl::OptionCategory category("tandem-import-bench options");
  llvm::cl::opt<std::string> path(llvm::cl::Positional, llvm::cl::Required,
                                  llvm::cl::desc("<model.onnx>"),
                                  llvm::cl::cat(category));
  llvm::cl::HideUnrelatedOptions(category);
  llvm::cl::ParseCommandLineOptions(argc, argv,
                                    "Time and peak memory of an ONNX import\n");
  mlir::DialectRegistry registry;
  tandem::registerAllDialects(registry);
  mlir::MLIRContext context(registry);

  uint64_t baseline = procStatusBytes("VmRSS");
  auto start = std::chrono::steady_clock::now();
  auto module = tandem::importONNXFile(path, &context, {});
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!module)
    return 1;
  uint64_t peak = procStatusBytes("VmHWM");
  int64_t ops = 0;
  module->walk([&](mlir::Operation *) { ++ops; });
  uint64_t fileBytes = 0;
  llvm::sys::fs::file_size(path, fileBytes);
  llvm::outs() << "{\"model\": \"" << path
               << "\", \"file_bytes\": " << fileBytes
               << ", \"import_seconds\": " << seconds
               << ", \"peak_rss_bytes\": " << peak
               << ", \"baseline_rss_bytes\": " << baseline
               << ", \"ops\": " << ops << "}\n";
  return 0;
}
