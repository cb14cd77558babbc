//===- ImportElementwise.cpp - Elementwise ONNX operators -----------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Add, Sub, Mul, Div, Pow, Equal, Where, Cast, Clip and the unary
// activations. Every handler folds when all its inputs are known constants
// (shape computations use Add, Mul, Div, Equal, Where and Cast on int64).
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include <array>

#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Dialect/Accel/IR/ShapeUtils.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace tandem::accel;

namespace tandem::onnx_import {
namespace {

using IntFn = std::function<int64_t(int64_t, int64_t)>;
using FloatFn = std::function<double(double, double)>;

/// Broadcast shape of inputs `lhs` and `rhs`, or an error.
FailureOr<SmallVector<int64_t, 4>> broadcastInputs(NodeImporter &node,
                                                   unsigned lhs, unsigned rhs) {
  auto shape =
      broadcastShapes(node.getInputShape(lhs), node.getInputShape(rhs));
  if (!shape) {
    node.emitError() << "input shapes " << formatShape(node.getInputShape(lhs))
                     << " and " << formatShape(node.getInputShape(rhs))
                     << " do not broadcast";
    return failure();
  }
  return *shape;
}

/// Two's complement wrapping, as integer tensors in ONNX runtimes behave
/// (signed overflow in C++ is undefined).
int64_t wrap(uint64_t v) { return static_cast<int64_t>(v); }

template <typename OpTy>
LogicalResult importBinary(NodeImporter &node, IntFn intFn, FloatFn floatFn,
                           bool resultIsBool = false) {
  auto shape = broadcastInputs(node, 0, 1);
  if (failed(shape))
    return failure();
  int32_t dtype = resultIsBool ? kBool : node.getInputDType(0);
  if (node.allInputsConstant()) {
    if (failed(node.checkFoldSize(*shape, dtype)))
      return failure();
    node.setOutput(0, foldBinary(*node.getConstant(0), *node.getConstant(1),
                                 dtype, intFn, floatFn));
    return success();
  }
  auto lhs = node.getInput(0), rhs = node.getInput(1);
  if (failed(lhs) || failed(rhs))
    return failure();
  node.setOutput(
      0, node.create<OpTy>(node.getTensorType(*shape, dtype), *lhs, *rhs));
  return success();
}

LogicalResult importAdd(NodeImporter &node) {
  return importBinary<AddOp>(
      node,
      [](int64_t a, int64_t b) { return wrap(uint64_t(a) + uint64_t(b)); },
      [](double a, double b) { return a + b; });
}

LogicalResult importSub(NodeImporter &node) {
  return importBinary<SubOp>(
      node,
      [](int64_t a, int64_t b) { return wrap(uint64_t(a) - uint64_t(b)); },
      [](double a, double b) { return a - b; });
}

LogicalResult importMul(NodeImporter &node) {
  return importBinary<MulOp>(
      node,
      [](int64_t a, int64_t b) { return wrap(uint64_t(a) * uint64_t(b)); },
      [](double a, double b) { return a * b; });
}

LogicalResult importDiv(NodeImporter &node) {
  if (node.allInputsConstant() && !node.getConstant(1)->isFloat())
    for (int64_t v : node.getConstant(1)->toInts())
      if (v == 0)
        return node.emitError() << "integer division by zero in a constant";
  // Integer division truncates toward zero, as in C and ONNX; the one
  // quotient that does not fit (INT64_MIN / -1) wraps like the others.
  return importBinary<DivOp>(
      node,
      [](int64_t a, int64_t b) {
        return b == -1 ? wrap(0 - uint64_t(a)) : a / b;
      },
      [](double a, double b) { return a / b; });
}

LogicalResult importPow(NodeImporter &node) {
  IntFn intPow = [](int64_t a, int64_t b) {
    double p = std::pow(static_cast<double>(a), b);
    // Out of range saturates rather than converting with undefined results.
    if (!(std::abs(p) < 0x1p63))
      return std::isnan(p) ? 0 : p < 0 ? INT64_MIN : INT64_MAX;
    return static_cast<int64_t>(p);
  };
  FloatFn floatPow = [](double a, double b) { return std::pow(a, b); };
  int32_t baseType = node.getInputDType(0), expType = node.getInputDType(1);
  if (baseType == expType)
    return importBinary<PowOp>(node, intPow, floatPow);
  // ONNX lets the exponent's type differ from the base's (x ** 2 with an
  // int64 2, or an integer base with a float exponent). accel.pow wants one
  // element type: compute in the floating type of the two, then convert the
  // result to the base's type, as ONNX's reference implementation does.
  auto shape = broadcastInputs(node, 0, 1);
  if (failed(shape))
    return failure();
  int32_t computeType =
      isFloatDType(baseType) || !isFloatDType(expType) ? baseType : expType;
  const HostTensor *base = node.getConstant(0), *exp = node.getConstant(1);
  if (base && exp) {
    HostTensor result =
        foldBinary(foldCast(*base, computeType), foldCast(*exp, computeType),
                   computeType, intPow, floatPow);
    node.setOutput(0, foldCast(result, baseType));
    return success();
  }
  // Input i converted to the compute type.
  auto operand = [&](unsigned i) -> Value {
    if (const HostTensor *c = node.getConstant(i))
      return node.createConstant(foldCast(*c, computeType), "pow_operand");
    auto v = node.getInput(i);
    if (failed(v))
      return nullptr;
    if (node.getInputDType(i) == computeType)
      return *v;
    return node.create<CastOp>(
        node.getTensorType(node.getInputShape(i), computeType), *v);
  };
  Value x = operand(0), e = operand(1);
  if (!x || !e)
    return failure();
  Value y = node.create<PowOp>(node.getTensorType(*shape, computeType), x, e);
  if (computeType != baseType)
    y = node.create<CastOp>(node.getTensorType(*shape, baseType), y);
  node.setOutput(0, y);
  return success();
}

LogicalResult importEqual(NodeImporter &node) {
  return importBinary<EqualOp>(
      node, [](int64_t a, int64_t b) -> int64_t { return a == b; },
      [](double a, double b) -> double { return a == b; },
      /*resultIsBool=*/true);
}

LogicalResult importWhere(NodeImporter &node) {
  auto shape = broadcastInputs(node, 0, 1);
  if (failed(shape))
    return failure();
  auto full = broadcastShapes(*shape, node.getInputShape(2));
  if (!full)
    return node.emitError() << "input shapes do not broadcast";
  if (node.allInputsConstant()) {
    node.setOutput(0, foldWhere(*node.getConstant(0), *node.getConstant(1),
                                *node.getConstant(2)));
    return success();
  }
  auto c = node.getInput(0), x = node.getInput(1), y = node.getInput(2);
  if (failed(c) || failed(x) || failed(y))
    return failure();
  node.setOutput(
      0, node.create<WhereOp>(node.getTensorType(*full, node.getInputDType(1)),
                              *c, *x, *y));
  return success();
}

LogicalResult importCast(NodeImporter &node) {
  int32_t to = node.getInt("to", kUndefined);
  if (getDTypeSize(to) == 0)
    return node.unsupported("Cast to " + getDTypeName(to).str());
  if (const HostTensor *c = node.getConstant(0)) {
    node.setOutput(0, foldCast(*c, to));
    return success();
  }
  auto x = node.getInput(0);
  if (failed(x))
    return failure();
  if (to == node.getInputDType(0)) {
    node.setOutput(0, *x);
    return success();
  }
  node.setOutput(0, node.create<CastOp>(
                        node.getTensorType(node.getInputShape(0), to), *x));
  return success();
}

/// Unary ops: `fold` computes one element for constant inputs; `build`
/// creates the accel op.
LogicalResult importUnary(
    NodeImporter &node, const std::function<double(double)> &fold,
    function_ref<Value(NodeImporter &, RankedTensorType, Value)> build) {
  if (const HostTensor *c = node.getConstant(0)) {
    node.setOutput(0, foldUnary(*c, fold));
    return success();
  }
  auto x = node.getInput(0);
  if (failed(x))
    return failure();
  node.setOutput(0, build(node, cast<RankedTensorType>(x->getType()), *x));
  return success();
}

template <typename OpTy>
LogicalResult importSimpleUnary(NodeImporter &node,
                                const std::function<double(double)> &fold) {
  return importUnary(node, fold,
                     [](NodeImporter &n, RankedTensorType type, Value x) {
                       return n.create<OpTy>(type, x).getResult();
                     });
}

double hardSigmoid(double x, double alpha, double beta) {
  return std::max(0.0, std::min(1.0, alpha * x + beta));
}

LogicalResult importRelu(NodeImporter &node) {
  return importSimpleUnary<ReluOp>(node,
                                   [](double x) { return std::max(x, 0.0); });
}
LogicalResult importSigmoid(NodeImporter &node) {
  return importSimpleUnary<SigmoidOp>(
      node, [](double x) { return 1.0 / (1.0 + std::exp(-x)); });
}
LogicalResult importTanh(NodeImporter &node) {
  return importSimpleUnary<TanhOp>(node, [](double x) { return std::tanh(x); });
}
LogicalResult importErf(NodeImporter &node) {
  return importSimpleUnary<ErfOp>(node, [](double x) { return std::erf(x); });
}
LogicalResult importExp(NodeImporter &node) {
  return importSimpleUnary<ExpOp>(node, [](double x) { return std::exp(x); });
}
LogicalResult importSqrt(NodeImporter &node) {
  return importSimpleUnary<SqrtOp>(node, [](double x) { return std::sqrt(x); });
}
LogicalResult importNeg(NodeImporter &node) {
  return importSimpleUnary<NegOp>(node, [](double x) { return -x; });
}
LogicalResult importHardSwish(NodeImporter &node) {
  return importSimpleUnary<HardSwishOp>(
      node, [](double x) { return x * hardSigmoid(x, 1.0 / 6.0, 0.5); });
}

LogicalResult importHardSigmoid(NodeImporter &node) {
  float alpha = node.getFloat("alpha", 0.2f),
        beta = node.getFloat("beta", 0.5f);
  return importUnary(
      node, [=](double x) { return hardSigmoid(x, alpha, beta); },
      [&](NodeImporter &n, RankedTensorType type, Value x) {
        return n
            .create<HardSigmoidOp>(type, x,
                                   n.getBuilder().getF32FloatAttr(alpha),
                                   n.getBuilder().getF32FloatAttr(beta))
            .getResult();
      });
}

LogicalResult importLeakyRelu(NodeImporter &node) {
  float alpha = node.getFloat("alpha", 0.01f);
  return importUnary(
      node, [=](double x) { return x < 0 ? alpha * x : x; },
      [&](NodeImporter &n, RankedTensorType type, Value x) {
        return n
            .create<LeakyReluOp>(type, x, n.getBuilder().getF32FloatAttr(alpha))
            .getResult();
      });
}

/// Clip takes its bounds as optional inputs (opset 11+); they must be known.
LogicalResult importClip(NodeImporter &node) {
  if (!node.getConstant(0)) {
    FailureOr<bool> quantized = importQuantizedClip(node);
    if (failed(quantized))
      return failure();
    if (*quantized)
      return success();
  }
  auto read = getClipBounds(node);
  if (failed(read))
    return failure();
  std::array<std::optional<double>, 2> bounds = *read;
  double lo = bounds[0].value_or(-std::numeric_limits<double>::infinity());
  double hi = bounds[1].value_or(std::numeric_limits<double>::infinity());
  return importUnary(
      node, [=](double x) { return std::min(std::max(x, lo), hi); },
      [&](NodeImporter &n, RankedTensorType type, Value x) {
        auto attr = [&](std::optional<double> v) -> FloatAttr {
          return v ? n.getBuilder().getF32FloatAttr(*v) : FloatAttr();
        };
        return n.create<ClipOp>(type, x, attr(bounds[0]), attr(bounds[1]))
            .getResult();
      });
}

} // namespace

FailureOr<std::array<std::optional<double>, 2>>
getClipBounds(NodeImporter &node) {
  std::array<std::optional<double>, 2> bounds;
  for (unsigned i : {1u, 2u}) {
    if (!node.hasInput(i))
      continue;
    auto bound = node.getConstantScalar(i, i == 1 ? "min" : "max");
    if (failed(bound))
      return failure();
    bounds[i - 1] = *bound;
  }
  return bounds;
}

void addElementwiseHandlers(HandlerTable &table) {
  table["Add"] = importAdd;
  table["Sub"] = importSub;
  table["Mul"] = importMul;
  table["Div"] = importDiv;
  table["Pow"] = importPow;
  table["Equal"] = importEqual;
  table["Where"] = importWhere;
  table["Cast"] = importCast;
  table["Relu"] = importRelu;
  table["Sigmoid"] = importSigmoid;
  table["Tanh"] = importTanh;
  table["Erf"] = importErf;
  table["Exp"] = importExp;
  table["Sqrt"] = importSqrt;
  table["Neg"] = importNeg;
  table["HardSwish"] = importHardSwish;
  table["HardSigmoid"] = importHardSigmoid;
  table["LeakyRelu"] = importLeakyRelu;
  table["Clip"] = importClip;
}

} // namespace tandem::onnx_import
