//===- Tensor.cpp - Host tensors going in and out of compiled models ------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Execution/Tensor.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <cstring>

using namespace llvm;

namespace tandem::exec {

size_t getElementSize(ElementType type) {
  switch (type) {
  case ElementType::F64:
  case ElementType::I64:
    return 8;
  case ElementType::F32:
  case ElementType::I32:
    return 4;
  case ElementType::F16:
  case ElementType::BF16:
  case ElementType::I16:
    return 2;
  case ElementType::I8:
  case ElementType::I1:
    return 1;
  }
  return 0;
}

StringRef getElementTypeName(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return "f32";
  case ElementType::F64:
    return "f64";
  case ElementType::F16:
    return "f16";
  case ElementType::BF16:
    return "bf16";
  case ElementType::I64:
    return "i64";
  case ElementType::I32:
    return "i32";
  case ElementType::I16:
    return "i16";
  case ElementType::I8:
    return "i8";
  case ElementType::I1:
    return "i1";
  }
  return "?";
}

bool isFloat(ElementType type) {
  return type == ElementType::F32 || type == ElementType::F64 ||
         type == ElementType::F16 || type == ElementType::BF16;
}

std::optional<ElementType> getElementType(mlir::Type type) {
  if (type.isF32())
    return ElementType::F32;
  if (type.isF64())
    return ElementType::F64;
  if (type.isF16())
    return ElementType::F16;
  if (type.isBF16())
    return ElementType::BF16;
  if (auto i = mlir::dyn_cast<mlir::IntegerType>(type); i && i.isSignless()) {
    switch (i.getWidth()) {
    case 64:
      return ElementType::I64;
    case 32:
      return ElementType::I32;
    case 16:
      return ElementType::I16;
    case 8:
      return ElementType::I8;
    case 1:
      return ElementType::I1;
    }
  }
  return std::nullopt;
}

Tensor::Tensor(ElementType type, ArrayRef<int64_t> shape)
    : type(type), shape(shape.begin(), shape.end()) {
  storage.assign((getByteSize() + 7) / 8, 0);
}

int64_t Tensor::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

namespace {
template <typename T> T load(const char *p, int64_t i) {
  T v;
  std::memcpy(&v, p + i * sizeof(T), sizeof(T));
  return v;
}
template <typename T> void store(char *p, int64_t i, T v) {
  std::memcpy(p + i * sizeof(T), &v, sizeof(T));
}
double fromHalf(uint16_t bits, const fltSemantics &sem) {
  APFloat f(sem, APInt(16, bits));
  bool lost;
  f.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
  return f.convertToDouble();
}
uint16_t toHalf(double v, const fltSemantics &sem) {
  APFloat f(v);
  bool lost;
  f.convert(sem, APFloat::rmNearestTiesToEven, &lost);
  return static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue());
}
} // namespace

double Tensor::getAsDouble(int64_t i) const {
  const char *p = data();
  switch (type) {
  case ElementType::F32:
    return load<float>(p, i);
  case ElementType::F64:
    return load<double>(p, i);
  case ElementType::F16:
    return fromHalf(load<uint16_t>(p, i), APFloat::IEEEhalf());
  case ElementType::BF16:
    return fromHalf(load<uint16_t>(p, i), APFloat::BFloat());
  case ElementType::I64:
    return static_cast<double>(load<int64_t>(p, i));
  case ElementType::I32:
    return load<int32_t>(p, i);
  case ElementType::I16:
    return load<int16_t>(p, i);
  case ElementType::I8:
    return load<int8_t>(p, i);
  case ElementType::I1:
    return load<uint8_t>(p, i) != 0;
  }
  return 0;
}

void Tensor::setFromDouble(int64_t i, double v) {
  char *p = data();
  switch (type) {
  case ElementType::F32:
    return store<float>(p, i, static_cast<float>(v));
  case ElementType::F64:
    return store<double>(p, i, v);
  case ElementType::F16:
    return store<uint16_t>(p, i, toHalf(v, APFloat::IEEEhalf()));
  case ElementType::BF16:
    return store<uint16_t>(p, i, toHalf(v, APFloat::BFloat()));
  case ElementType::I64:
    return store<int64_t>(p, i, static_cast<int64_t>(v));
  case ElementType::I32:
    return store<int32_t>(p, i, static_cast<int32_t>(v));
  case ElementType::I16:
    return store<int16_t>(p, i, static_cast<int16_t>(v));
  case ElementType::I8:
    return store<int8_t>(p, i, static_cast<int8_t>(v));
  case ElementType::I1:
    return store<uint8_t>(p, i, v != 0);
  }
}

std::string Tensor::describe() const {
  std::string s;
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + getElementTypeName(type).str();
}

} // namespace tandem::exec
