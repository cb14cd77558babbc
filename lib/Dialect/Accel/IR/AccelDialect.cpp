//===- AccelDialect.cpp - The accel dialect ---------------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Dialect/Accel/IR/AccelDialect.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Dialect/Accel/IR/EncodedWeights.h"

using namespace mlir;
using namespace tandem::accel;

#include "tandem/Dialect/Accel/IR/AccelDialect.cpp.inc"
#include "tandem/Dialect/Accel/IR/AccelEnums.cpp.inc"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"

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

// #accel.cost<target = "t", unit = "array", macs = 1, cycles = 2,
//             energy_pj = 3.5, utilization = 0.5[, mapping =
//             #accel.mapping<...>]>
Attribute CostAttr::parse(AsmParser &parser, Type) {
  std::string target, unit;
  int64_t macs = 0, cycles = 0;
  double energy = 0, utilization = 0;
  MappingAttr mapping;
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
      field("unit", [&] { return parser.parseString(&unit); }) ||
      parser.parseComma() ||
      field("macs", [&] { return parser.parseInteger(macs); }) ||
      parser.parseComma() ||
      field("cycles", [&] { return parser.parseInteger(cycles); }) ||
      parser.parseComma() ||
      field("energy_pj", [&] { return number(energy); }) ||
      parser.parseComma() ||
      field("utilization", [&] { return number(utilization); }))
    return {};
  if (succeeded(parser.parseOptionalComma()) &&
      field("mapping", [&] { return parser.parseAttribute(mapping); }))
    return {};
  if (parser.parseGreater())
    return {};
  return CostAttr::get(parser.getContext(), target, unit, macs, cycles,
                       APFloat(energy), APFloat(utilization), mapping);
}

void CostAttr::print(AsmPrinter &printer) const {
  // printFloat writes a literal the parser reads back exactly.
  printer << "<target = \"" << getTarget() << "\", unit = \"" << getUnit()
          << "\", macs = " << getMacs() << ", cycles = " << getCycles()
          << ", energy_pj = ";
  printer.printFloat(getEnergyPJ());
  printer << ", utilization = ";
  printer.printFloat(getUtilization());
  if (getMapping())
    printer << ", mapping = " << getMapping();
  printer << ">";
}

//===----------------------------------------------------------------------===//
// #accel.mapping
//===----------------------------------------------------------------------===//

int64_t MappingLevel::getFactor(StringRef loop) const {
  for (auto [name, factor] : llvm::zip(loops, factors))
    if (name.getValue() == loop)
      return factor;
  return 1;
}

MappingLevel
MappingLevel::allocateInto(AttributeStorageAllocator &allocator) const {
  MappingLevel copy = *this;
  copy.loops = allocator.copyInto(loops);
  copy.factors = allocator.copyInto(factors);
  return copy;
}

// #accel.mapping<DRAM[K:4 C:2] GLB[P:7 | bypass weight] X[K:16] Y[C:8]
//                spad[S:3]>
Attribute MappingAttr::parse(AsmParser &parser, Type) {
  if (parser.parseLess())
    return {};
  MLIRContext *ctx = parser.getContext();
  SmallVector<MappingLevel> levels;
  // The brackets' arrays live here until the attribute copies them.
  std::vector<SmallVector<StringAttr>> loopLists;
  std::vector<SmallVector<int64_t>> factorLists;
  std::string name;
  while (succeeded(parser.parseOptionalKeywordOrString(&name))) {
    SmallVector<StringAttr> loops;
    SmallVector<int64_t> factors;
    unsigned bypass = 0;
    if (parser.parseLSquare())
      return {};
    while (failed(parser.parseOptionalRSquare())) {
      if (succeeded(parser.parseOptionalVerticalBar())) {
        if (parser.parseKeyword("bypass"))
          return {};
        StringRef space;
        SMLoc at = parser.getCurrentLocation();
        while (succeeded(parser.parseOptionalKeyword(&space))) {
          auto *it = llvm::find(kDataSpaceNames, space);
          if (it == std::end(kDataSpaceNames)) {
            parser.emitError(at, "unknown data space '")
                << space << "' to bypass; expected input, weight or output";
            return {};
          }
          bypass |= 1u << (it - std::begin(kDataSpaceNames));
          at = parser.getCurrentLocation();
        }
        if (parser.parseRSquare())
          return {};
        break;
      }
      // A loop, or several flattened into one index: R*S*C.
      StringRef part;
      std::string loop;
      if (parser.parseKeyword(&part))
        return {};
      loop = part.str();
      while (succeeded(parser.parseOptionalStar())) {
        if (parser.parseKeyword(&part))
          return {};
        loop += "*" + part.str();
      }
      int64_t factor = 0;
      if (parser.parseColon() || parser.parseInteger(factor))
        return {};
      loops.push_back(StringAttr::get(ctx, loop));
      factors.push_back(factor);
    }
    loopLists.push_back(std::move(loops));
    factorLists.push_back(std::move(factors));
    levels.push_back({StringAttr::get(ctx, name), {}, {}, bypass});
  }
  if (parser.parseGreater())
    return {};
  for (auto [level, loops, factors] :
       llvm::zip(levels, loopLists, factorLists)) {
    level.loops = loops;
    level.factors = factors;
  }
  return MappingAttr::getChecked(
      [&] { return parser.emitError(parser.getNameLoc()); }, ctx, levels);
}

void MappingAttr::print(AsmPrinter &printer) const {
  printer << "<";
  for (auto [i, level] : llvm::enumerate(getLevels())) {
    if (i)
      printer << " ";
    printer.printKeywordOrString(level.name.getValue());
    printer << "[";
    for (auto [j, entry] :
         llvm::enumerate(llvm::zip(level.loops, level.factors)))
      printer << (j ? " " : "") << std::get<0>(entry).getValue() << ":"
              << std::get<1>(entry);
    if (level.bypass) {
      printer << (level.loops.empty() ? "| bypass" : " | bypass");
      for (unsigned k = 0; k < kNumDataSpaces; ++k)
        if (level.bypass & (1u << k))
          printer << " " << kDataSpaceNames[k];
    }
    printer << "]";
  }
  printer << ">";
}

LogicalResult MappingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<MappingLevel> levels) {
  for (auto [i, level] : llvm::enumerate(levels)) {
    StringRef name = level.name.getValue();
    if (name.empty())
      return emitError() << "mapping level " << i << " has no name";
    // The axes X and Y appear once per fan-out; memory levels once.
    for (unsigned j = 0; j < i; ++j)
      if (levels[j].name == level.name && !level.isSpatial())
        return emitError() << "mapping lists '" << name << "' twice";
    if (level.loops.size() != level.factors.size())
      return emitError() << "mapping level '" << name
                         << "' has a different number of loops and factors";
    for (auto [j, loop] : llvm::enumerate(level.loops)) {
      if (level.factors[j] < 1)
        return emitError() << "mapping factor of " << loop.getValue() << " at "
                           << name << " must be positive, not "
                           << level.factors[j];
      for (unsigned k = 0; k < j; ++k)
        if (level.loops[k] == loop)
          return emitError()
                 << "mapping lists " << loop.getValue() << " twice at " << name;
    }
    if (level.isSpatial() && level.bypass)
      return emitError() << "the array axis " << name
                         << " holds no data and cannot bypass any";
  }
  return success();
}

const MappingLevel *MappingAttr::lookup(StringRef name) const {
  for (const MappingLevel &level : getLevels())
    if (level.name.getValue() == name)
      return &level;
  return nullptr;
}

std::string MappingAttr::getBody() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << *this;
  // "#accel.mapping<BODY>" -> "BODY"
  StringRef body(text);
  body = body.drop_front(body.find('<') + 1).drop_back();
  return body.str();
}

LogicalResult AccelDialect::verifyOperationAttribute(Operation *op,
                                                     NamedAttribute attr) {
  if (attr.getName() == kWeightEncodingAttr)
    return verifyWeightEncoding(op, attr.getValue());
  if (attr.getName() != "accel.mapping")
    return success();
  auto mapping = dyn_cast<MappingAttr>(attr.getValue());
  if (!mapping)
    return op->emitOpError("'accel.mapping' must be an #accel.mapping");
  auto nestOp = dyn_cast<LoopNestOpInterface>(op);
  if (!nestOp)
    return op->emitOpError("has an 'accel.mapping' but no loop nest to map");
  LoopNest nest = nestOp.getLoopNest();
  std::string loops;
  for (const LoopDim &d : nest.dims)
    loops += (loops.empty() ? "" : " ") + d.name;
  // Each op loop is tiled on its own or inside one flattened loop ("R*S*C",
  // tiled as one index over the members' product).
  llvm::StringMap<std::string> tiledAs;
  for (const MappingLevel &level : mapping.getLevels())
    for (StringAttr loop : level.loops) {
      SmallVector<StringRef> members;
      loop.getValue().split(members, '*');
      for (StringRef member : members) {
        if (!nest.lookupDim(member))
          return op->emitOpError("'accel.mapping' names loop '")
                 << member << "' at " << level.name.getValue()
                 << ", which the op does not have (its loops: " << loops << ")";
        auto [it, inserted] = tiledAs.try_emplace(member, loop.getValue());
        if (!inserted && it->second != loop.getValue())
          return op->emitOpError("'accel.mapping' tiles loop ")
                 << member << " both as " << it->second << " and as "
                 << loop.getValue();
        if (members.size() > 1 && llvm::count(members, member) > 1)
          return op->emitOpError("'accel.mapping' flattens loop ")
                 << member << " twice in " << loop.getValue();
      }
    }
  auto extentOf = [&](StringRef tiled) {
    SmallVector<StringRef> members;
    tiled.split(members, '*');
    uint64_t extent = 1;
    for (StringRef member : members)
      extent = llvm::SaturatingMultiply<uint64_t>(
          extent, uint64_t(nest.dims[*nest.lookupDim(member)].extent));
    return extent;
  };
  for (const LoopDim &d : nest.dims) {
    auto it = tiledAs.find(d.name);
    StringRef tiled = it == tiledAs.end() ? StringRef(d.name) : it->second;
    // Saturating: a hand-written mapping may multiply past int64.
    uint64_t product = 1;
    for (const MappingLevel &level : mapping.getLevels())
      product =
          llvm::SaturatingMultiply<uint64_t>(product, level.getFactor(tiled));
    uint64_t extent =
        it == tiledAs.end() ? uint64_t(d.extent) : extentOf(tiled);
    if (product < extent)
      return op->emitOpError("'accel.mapping' factors of loop ")
             << tiled << " multiply to " << product << ", less than its extent "
             << extent;
  }
  return success();
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
