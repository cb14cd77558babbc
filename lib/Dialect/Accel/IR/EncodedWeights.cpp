//===- EncodedWeights.cpp - #accel.weight_encoding and its weights --------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Dialect/Accel/IR/EncodedWeights.h"
#include "tandem/Dialect/Accel/IR/AccelDialect.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"

#include <cstring>

using namespace mlir;

namespace tandem::accel {

//===----------------------------------------------------------------------===//
// The attribute
//===----------------------------------------------------------------------===//

// #accel.weight_encoding<csd, bits = 8, digits = 2, terms = 52>
Attribute WeightEncodingAttr::parse(AsmParser &parser, Type) {
  std::string name;
  int64_t bits = 0, digits = 0, terms = 0;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeywordOrString(&name))
    return {};
  EncodingKind kind;
  if (llvm::Error err = parseEncodingChoice(name, kind, digits)) {
    parser.emitError(loc, llvm::toString(std::move(err)));
    return {};
  }
  if (parser.parseComma() || parser.parseKeyword("bits") ||
      parser.parseEqual() || parser.parseInteger(bits) || parser.parseComma())
    return {};
  if (succeeded(parser.parseOptionalKeyword("digits"))) {
    if (parser.parseEqual() || parser.parseInteger(digits) ||
        parser.parseComma())
      return {};
  }
  if (parser.parseKeyword("terms") || parser.parseEqual() ||
      parser.parseInteger(terms) || parser.parseGreater())
    return {};
  return parser.getChecked<WeightEncodingAttr>(loc, parser.getContext(), kind,
                                               bits, digits, terms);
}

void WeightEncodingAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyEncodingKind(getKind())
          << ", bits = " << getBits();
  if (getDigits() > 0)
    printer << ", digits = " << getDigits();
  printer << ", terms = " << getTerms() << ">";
}

LogicalResult
WeightEncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                           EncodingKind kind, int64_t bits, int64_t digits,
                           int64_t terms) {
  if (llvm::Error err = checkEncoding({kind, bits, digits}))
    return emitError() << llvm::toString(std::move(err));
  if (terms < 0)
    return emitError() << "terms must not be negative, got " << terms;
  return success();
}

//===----------------------------------------------------------------------===//
// The weights
//===----------------------------------------------------------------------===//

std::optional<unsigned> getWeightOperand(Operation *op, std::string &why) {
  auto nestOp = dyn_cast<LoopNestOpInterface>(op);
  if (!nestOp) {
    why = "it is not a compute op";
    return std::nullopt;
  }
  LoopNest nest = nestOp.getLoopNest();
  if (nest.kind != ComputeKind::Contraction) {
    why = "it multiplies nothing (not a convolution or matrix product)";
    return std::nullopt;
  }
  std::optional<unsigned> weight = nest.lookupRole(OperandRole::Weight);
  if (!weight) {
    why = "it multiplies two activations, not an activation by constant "
          "weights";
    return std::nullopt;
  }
  return weight;
}

std::optional<SmallVector<int64_t>> getConstantStorageValues(Value value) {
  auto scast = value.getDefiningOp<quant::StorageCastOp>();
  if (!scast)
    return std::nullopt;
  Attribute attr;
  if (!matchPattern(scast.getInput(), m_Constant(&attr)))
    return std::nullopt;
  auto elements = dyn_cast<ElementsAttr>(attr);
  if (!elements || !elements.getElementType().isSignlessInteger())
    return std::nullopt;
  SmallVector<int64_t> values;
  values.reserve(elements.getNumElements());
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    for (const APInt &v : dense.getValues<APInt>())
      values.push_back(v.getSExtValue());
    return values;
  }
  // Resources hold whole bytes per element.
  auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
  if (!resource)
    return std::nullopt;
  AsmResourceBlob *blob = resource.getRawHandle().getBlob();
  unsigned width = elements.getElementType().getIntOrFloatBitWidth();
  if (!blob || (width != 8 && width != 16 && width != 32 && width != 64))
    return std::nullopt;
  ArrayRef<char> bytes = blob->getData();
  size_t n = size_t(elements.getNumElements()), size = width / 8;
  if (bytes.size() != n * size)
    return std::nullopt;
  for (size_t i = 0; i < n; ++i) {
    int64_t v = 0;
    std::memcpy(&v, bytes.data() + i * size, size);
    values.push_back(llvm::SignExtend64(uint64_t(v), width));
  }
  return values;
}

WeightTerms countWeightTerms(ArrayRef<int64_t> values,
                             const WeightEncoding &encoding) {
  WeightTerms counts;
  counts.weights = int64_t(values.size());
  for (auto [i, q] : llvm::enumerate(values)) {
    if (!counts.unrepresentable && !isRepresentable(encoding, q))
      counts.unrepresentable = {int64_t(i), q};
    int64_t terms = countTerms(encoding, q);
    counts.terms += terms;
    counts.maxTerms = std::max(counts.maxTerms, terms);
  }
  return counts;
}

/// What integers an encoding holds, for messages.
static std::string describeIntegers(const WeightEncoding &e) {
  int64_t top = getLargestMagnitude(e);
  switch (e.kind) {
  case EncodingKind::PowerOfTwo:
    return "0 or +-2^k up to +-" + std::to_string(top);
  case EncodingKind::APoT:
    return "sums of APoT levels up to +-" + std::to_string(top);
  case EncodingKind::CSD:
    return "integers in +-" + std::to_string(top) +
           (e.maxDigits > 0 ? " with at most " + std::to_string(e.maxDigits) +
                                  " non-zero CSD digits"
                            : "");
  case EncodingKind::Multiply:
    return "integers in +-" + std::to_string(top);
  }
  return "";
}

LogicalResult verifyWeightEncoding(Operation *op, Attribute value) {
  auto attr = dyn_cast<WeightEncodingAttr>(value);
  if (!attr)
    return op->emitOpError("'accel.weight_encoding' must be an "
                           "#accel.weight_encoding");
  WeightEncoding encoding = attr.getEncoding();
  std::string why;
  std::optional<unsigned> index = getWeightOperand(op, why);
  if (!index)
    return op->emitOpError("has an 'accel.weight_encoding', but ") << why;
  Value weight = op->getOperand(*index);
  Type element = getElementTypeOrSelf(weight.getType());
  auto quantized = dyn_cast<quant::QuantizedType>(element);
  if (!quantized || !quantized.isSigned())
    return op->emitOpError("'accel.weight_encoding' needs quantized signed "
                           "integer weights, got ")
           << element;
  bool zeroPoints = false;
  if (auto t = dyn_cast<quant::UniformQuantizedType>(quantized))
    zeroPoints = t.getZeroPoint() != 0;
  else if (auto t = dyn_cast<quant::UniformQuantizedPerAxisType>(quantized))
    zeroPoints =
        llvm::any_of(t.getZeroPoints(), [](int64_t z) { return z != 0; });
  if (zeroPoints)
    return op->emitOpError("'accel.weight_encoding' needs symmetric weights "
                           "(zero point 0): a shift-add product has no "
                           "offset");
  std::optional<SmallVector<int64_t>> values = getConstantStorageValues(weight);
  if (!values)
    return op->emitOpError("'accel.weight_encoding' needs the weights as a "
                           "constant (quant.scast of an integer "
                           "arith.constant)");
  WeightTerms counts = countWeightTerms(*values, encoding);
  if (counts.unrepresentable)
    return op->emitOpError("weight ")
           << counts.unrepresentable->first << " is "
           << counts.unrepresentable->second << ", which "
           << getEncodingLabel(encoding) << " cannot hold (it holds "
           << describeIntegers(encoding) << ")";
  if (counts.terms != attr.getTerms())
    return op->emitOpError("'accel.weight_encoding' says terms = ")
           << attr.getTerms() << ", but the weights have " << counts.terms
           << " non-zero terms";
  return success();
}

} // namespace tandem::accel
