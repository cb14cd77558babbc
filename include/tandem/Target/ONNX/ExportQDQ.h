//===- ExportQDQ.h - Quantized accel IR to ONNX QCDQ -------------*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_TARGET_ONNX_EXPORTQDQ_H
#define TANDEM_TARGET_ONNX_EXPORTQDQ_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace tandem {

/// Serializes @main of `module` (quantized or f32 accel ops) as an ONNX
/// model, opset 13, quantized tensors in the QCDQ form
/// (QuantizeLinear -> Clip -> DequantizeLinear). Errors name the op that
/// has no ONNX form.
mlir::LogicalResult exportQDQ(mlir::ModuleOp module, std::string &bytes);

/// Registers the `export-onnx-qdq` translation.
void registerExportQDQTranslation();

} // namespace tandem

#endif // TANDEM_TARGET_ONNX_EXPORTQDQ_H
