//===- ConstantUtils.cpp - Reading and writing weight constants -----------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Dialect/Accel/IR/ConstantUtils.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace tandem::accel {

std::optional<SmallVector<float>> getConstantF32Values(Value value) {
  Attribute attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.getElementType().isF32())
    return std::nullopt;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    auto values = dense.getValues<float>();
    return SmallVector<float>(values.begin(), values.end());
  }
  if (auto resource = dyn_cast<DenseF32ResourceElementsAttr>(attr)) {
    if (auto values = resource.tryGetAsArrayRef())
      return SmallVector<float>(values->begin(), values->end());
  }
  return std::nullopt;
}

bool isConstantTensor(Value value) {
  if (matchPattern(value, m_Constant()))
    return true;
  auto scast = value.getDefiningOp<quant::StorageCastOp>();
  return scast && matchPattern(scast.getInput(), m_Constant());
}

ElementsAttr createF32Elements(RankedTensorType type, ArrayRef<float> values,
                               StringRef blobName, int64_t maxInlineElements) {
  bool splat = llvm::all_equal(values);
  if (splat && !values.empty())
    return DenseElementsAttr::get(type, values.front());
  if (static_cast<int64_t>(values.size()) <= maxInlineElements)
    return DenseElementsAttr::get(type, values);
  return DenseResourceElementsAttr::get(
      type, blobName, HeapAsmResourceBlob::allocateAndCopyInferAlign(values));
}

} // namespace tandem::accel
