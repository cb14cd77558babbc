//===- OpProblem.cpp - A compute op's cost-model problem on a target ------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Analysis/CostModel.h"
#include "tandem/Dialect/Accel/IR/AccelInterfaces.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace tandem;
using namespace tandem::cost;

/// Operand width of `type`'s elements: quantized storage, integer width, or
/// `floatBits` for floats.
static int64_t bitsOf(Type type, int64_t floatBits) {
  if (auto q = dyn_cast<quant::QuantizedType>(type))
    return q.getStorageTypeIntegralWidth();
  if (auto i = dyn_cast<IntegerType>(type))
    return i.getWidth();
  return floatBits;
}

std::optional<Problem> cost::getOpProblem(accel::LoopNestOpInterface op,
                                          const hw::Target &target,
                                          int64_t floatBits,
                                          std::string &hostReason) {
  accel::LoopNest nest = op.getLoopNest();
  int64_t floatWidth = floatBits > 0 ? floatBits : target.array.bits;
  int64_t bits[kNumTensorKinds] = {floatWidth, floatWidth, floatWidth};
  for (const accel::TensorAccess &t : nest.tensors) {
    int64_t b = bitsOf(t.elementType, floatWidth);
    if (t.isOutput)
      bits[hw::Output] = b;
    else if (t.name == "weight" || t.name == "rhs")
      bits[hw::Weight] = b;
    else if (t.name == "input" || t.name == "lhs")
      bits[hw::Input] = b;
  }
  auto problem =
      buildProblem(nest, bits[hw::Input], bits[hw::Weight], bits[hw::Output]);
  if (!problem) {
    hostReason = llvm::toString(problem.takeError());
    return std::nullopt;
  }
  if (problem->needsSpecialFunctions && !target.array.specialFunctions) {
    hostReason = "needs division or exp/tanh/erf/sqrt, which the array lacks";
    return std::nullopt;
  }
  int64_t w =
      problem->tensors[hw::Weight].present ? bits[hw::Weight] : bits[hw::Input];
  if (!target.supportsBits(w, bits[hw::Input])) {
    hostReason = llvm::formatv("{0}-bit weights x {1}-bit activations are not "
                               "supported by the {2} MAC units",
                               w, bits[hw::Input],
                               hw::stringifyMacKind(target.array.mac))
                     .str();
    return std::nullopt;
  }
  return std::move(*problem);
}
