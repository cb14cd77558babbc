//===- ModelLoader.h - libonnx behind an exception boundary -----*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Every call into libonnx that can throw (the text parser, the checker, the
// version converter, shape inference) goes through these functions. They are
// compiled with -fexceptions in their own target and turn exceptions into
// llvm::Error, so no exception ever reaches MLIR code.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_LIB_TARGET_ONNX_MODELLOADER_H
#define TANDEM_LIB_TARGET_ONNX_MODELLOADER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace tandem::onnx_import {

/// Parses a binary (protobuf) or textual ONNX model. Fails with a message for
/// truncated files, files that are not ONNX, and files over protobuf's 2 GiB
/// message limit.
llvm::Expected<std::unique_ptr<onnx::ModelProto>>
parseModel(llvm::StringRef bytes, bool isText);

/// Parses a binary model straight from a file, streaming it through a small
/// buffer so that the file's bytes are held in memory only once (in the
/// parsed message), not also as a mapped or read copy.
llvm::Expected<std::unique_ptr<onnx::ModelProto>>
parseModelFile(llvm::StringRef path);

/// Runs the ONNX checker on `model`, converts it to `targetOpset` when its
/// default-domain opset is older, and runs shape inference (with type checks
/// and data propagation) so every value has an inferred type where ONNX can
/// tell. `modelDir` is where external data files are looked up.
/// Refuses models with attribute values or shapes that libonnx's shape
/// inference or version converter would crash on (LibonnxGuards.cpp).
llvm::Error checkForLibonnx(const onnx::ModelProto &model, int64_t opset);

llvm::Error checkConvertAndInfer(onnx::ModelProto &model, int64_t modelOpset,
                                 int64_t targetOpset, llvm::StringRef modelDir);

} // namespace tandem::onnx_import

#endif // TANDEM_LIB_TARGET_ONNX_MODELLOADER_H
