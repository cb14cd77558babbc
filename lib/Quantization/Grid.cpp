//===- Grid.cpp - The grid of a !quant.uniform type -----------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/Grid.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

std::optional<tandem::quant::Grid> tandem::quant::getGrid(Type type) {
  Type elem = getElementTypeOrSelf(type);
  Grid g;
  if (auto u = dyn_cast<mlir::quant::UniformQuantizedType>(elem)) {
    g.scales = {u.getScale()};
    g.zeroPoints = {u.getZeroPoint()};
  } else if (auto a =
                 dyn_cast<mlir::quant::UniformQuantizedPerAxisType>(elem)) {
    g.scales.assign(a.getScales().begin(), a.getScales().end());
    g.zeroPoints.assign(a.getZeroPoints().begin(), a.getZeroPoints().end());
    g.axis = a.getQuantizedDimension();
  } else {
    return std::nullopt;
  }
  auto q = cast<mlir::quant::QuantizedType>(elem);
  if (!q.isSigned())
    return std::nullopt;
  g.qmin = q.getStorageTypeMin();
  g.qmax = q.getStorageTypeMax();
  g.bits = q.getStorageTypeIntegralWidth();
  return g;
}

bool tandem::quant::readsChannelsAlone(llvm::ArrayRef<int64_t> input,
                                       llvm::ArrayRef<int64_t> weight,
                                       int64_t groups) {
  return input.size() == 4 && weight.size() == 4 && input[1] > 1 &&
         groups == input[1] && weight[0] == input[1] && weight[1] == 1;
}
