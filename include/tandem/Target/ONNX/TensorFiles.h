//===- TensorFiles.h - ONNX TensorProto files and host tensors ---*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The ONNX backend tests keep their inputs and outputs as serialized
// TensorProto (.pb) files; these read them as exec::Tensor, and convert
// host tensors to the importer's constant inputs.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_TARGET_ONNX_TENSORFILES_H
#define TANDEM_TARGET_ONNX_TENSORFILES_H

#include "tandem/Execution/Tensor.h"
#include "tandem/Target/ONNX/ImportONNX.h"

#include "llvm/Support/Error.h"

namespace tandem {

/// Reads a serialized onnx.TensorProto (.pb). Errors name the file and, for
/// element types a compiled model cannot take, the type.
llvm::Expected<exec::Tensor> readTensorProtoFile(llvm::StringRef path);
/// readTensorProtoFile() of the bytes of a file named `name`, whose
/// external data lives in `externalDataDir`.
llvm::Expected<exec::Tensor> parseTensorProto(llvm::StringRef bytes,
                                              llvm::StringRef name,
                                              llvm::StringRef externalDataDir);

/// Reads a tensor file by its extension: .npy (numpy) or .pb (an
/// onnx.TensorProto). An error names the file and what is wrong.
llvm::Expected<exec::Tensor> readTensorFile(llvm::StringRef path);

/// `tensor` as a constant input called `name` for the importer.
ONNXConstantInput makeConstantInput(llvm::StringRef name,
                                    const exec::Tensor &tensor);

} // namespace tandem

#endif // TANDEM_TARGET_ONNX_TENSORFILES_H
