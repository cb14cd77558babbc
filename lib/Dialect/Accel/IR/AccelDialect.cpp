//===- AccelDialect.cpp - The accel dialect ---------------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Dialect/Accel/IR/AccelDialect.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"

using namespace mlir;
using namespace tandem::accel;

#include "tandem/Dialect/Accel/IR/AccelDialect.cpp.inc"
#include "tandem/Dialect/Accel/IR/AccelEnums.cpp.inc"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"

#define GET_ATTRDEF_CLASSES
#include "tandem/Dialect/Accel/IR/AccelAttrs.cpp.inc"

void AccelDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "tandem/Dialect/Accel/IR/AccelOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "tandem/Dialect/Accel/IR/AccelAttrs.cpp.inc"
      >();
}

// #accel.cost<target = "t", macs = 1, cycles = 2, energy_pj = 3.5,
//             utilization = 0.5, mapping = "...">
Attribute CostAttr::parse(AsmParser &parser, Type) {
  std::string target, mapping;
  int64_t macs = 0, cycles = 0;
  double energy = 0, utilization = 0;
  auto field = [&](StringRef name, auto parseValue) {
    return parser.parseKeyword(name) || parser.parseEqual() ||
           failed(parseValue());
  };
  // A number written by hand may be an integer literal ("1500").
  auto number = [&](double &value) -> ParseResult {
    int64_t integer;
    OptionalParseResult asInteger = parser.parseOptionalInteger(integer);
    if (!asInteger.has_value())
      return parser.parseFloat(value);
    value = double(integer);
    return *asInteger;
  };
  if (parser.parseLess() ||
      field("target", [&] { return parser.parseString(&target); }) ||
      parser.parseComma() ||
      field("macs", [&] { return parser.parseInteger(macs); }) ||
      parser.parseComma() ||
      field("cycles", [&] { return parser.parseInteger(cycles); }) ||
      parser.parseComma() ||
      field("energy_pj", [&] { return number(energy); }) ||
      parser.parseComma() ||
      field("utilization", [&] { return number(utilization); }) ||
      parser.parseComma() ||
      field("mapping", [&] { return parser.parseString(&mapping); }) ||
      parser.parseGreater())
    return {};
  return CostAttr::get(parser.getContext(), target, macs, cycles,
                       APFloat(energy), APFloat(utilization), mapping);
}

void CostAttr::print(AsmPrinter &printer) const {
  // printFloat writes a literal the parser reads back exactly.
  printer << "<target = \"" << getTarget() << "\", macs = " << getMacs()
          << ", cycles = " << getCycles() << ", energy_pj = ";
  printer.printFloat(getEnergyPJ());
  printer << ", utilization = ";
  printer.printFloat(getUtilization());
  printer << ", mapping = \"" << getMapping() << "\">";
}

// #accel.mapping<DRAM[K:4 C:2] GLB[P:7] X[K:16] Y[C:8] spad[S:3]>
Attribute MappingAttr::parse(AsmParser &parser, Type) {
  if (parser.parseLess())
    return {};
  std::string text;
  llvm::raw_string_ostream os(text);
  StringRef level;
  while (succeeded(parser.parseOptionalKeyword(&level))) {
    os << (text.empty() ? "" : " ") << level << "[";
    if (parser.parseLSquare())
      return {};
    bool first = true;
    while (failed(parser.parseOptionalRSquare())) {
      StringRef dim;
      int64_t factor = 0;
      SMLoc at = parser.getCurrentLocation();
      if (parser.parseKeyword(&dim) || parser.parseColon() ||
          parser.parseInteger(factor))
        return {};
      if (factor < 1) {
        parser.emitError(at, "mapping factors must be positive");
        return {};
      }
      os << (first ? "" : " ") << dim << ":" << factor;
      first = false;
    }
    os << "]";
  }
  if (parser.parseGreater())
    return {};
  return MappingAttr::get(parser.getContext(), text);
}

void MappingAttr::print(AsmPrinter &printer) const {
  printer << "<" << getText() << ">";
}

std::string tandem::accel::getDisplayName(Operation *op) {
  std::string name;
  op->getLoc()->walk([&](Location loc) {
    if (auto named = dyn_cast<NameLoc>(loc)) {
      name = named.getName().str();
      return WalkResult::interrupt();
    }
    if (auto file = dyn_cast<FileLineColLoc>(loc); file && name.empty())
      name = std::to_string(file.getLine()) + ":" +
             std::to_string(file.getColumn());
    return WalkResult::advance();
  });
  return name.empty() ? "?" : name;
}
