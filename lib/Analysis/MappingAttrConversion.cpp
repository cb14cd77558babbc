//===- MappingAttrConversion.cpp - #accel.mapping <-> cost::Mapping -------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Analysis/MappingAttrConversion.h"

#include "llvm/ADT/Twine.h"

using namespace llvm;
using namespace mlir;
using namespace tandem;
using namespace tandem::cost;
using tandem::accel::MappingLevel;

static Error conversionError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

static std::string listLevels(const hw::Target &target) {
  std::string names;
  for (const hw::MemoryLevel &l : target.levels)
    names += (names.empty() ? "" : ", ") + l.name;
  return names;
}

Expected<Problem> cost::getMappedProblem(accel::MappingAttr attr,
                                         const Problem &problem) {
  SmallVector<SmallVector<unsigned, kMaxDims>, 2> groups;
  SmallVector<StringRef> seen;
  for (const MappingLevel &bracket : attr.getLevels())
    for (StringAttr loop : bracket.loops) {
      StringRef name = loop.getValue();
      if (!name.contains('*') || llvm::is_contained(seen, name))
        continue;
      seen.push_back(name);
      SmallVector<StringRef> parts;
      name.split(parts, '*');
      SmallVector<unsigned, kMaxDims> members;
      for (StringRef part : parts) {
        std::optional<unsigned> d;
        for (unsigned s = 0; s < problem.getNumSourceDims(); ++s)
          if (problem.getSourceName(s) == part)
            d = s;
        if (!d)
          return conversionError("mapping flattens loop '" + part + "' in " +
                                 name + ", which the op does not have");
        for (auto [g, other] : llvm::enumerate(groups))
          if (llvm::is_contained(other, *d))
            return conversionError("mapping flattens loop '" + part +
                                   "' into both " + seen[g] + " and " + name);
        if (llvm::is_contained(members, *d))
          return conversionError("mapping lists loop '" + part + "' twice in " +
                                 name);
        members.push_back(*d);
      }
      groups.push_back(std::move(members));
    }
  return flattenLoops(problem, groups);
}

Expected<Mapping> cost::fromMappingAttr(accel::MappingAttr attr,
                                        const Problem &p,
                                        const hw::Target &target) {
  const unsigned numLevels = target.levels.size();
  const unsigned firstPerPE = target.getFirstPerPELevel();
  Mapping m = Mapping::identity(numLevels);
  // Memory brackets must come outermost first; the array's axes between the
  // last shared level and the first per-PE one.
  int lastLevel = -1;
  bool sawAxis = false;
  for (const MappingLevel &bracket : attr.getLevels()) {
    StringRef name = bracket.name.getValue();
    if (bracket.isSpatial()) {
      if (lastLevel >= int(firstPerPE))
        return conversionError(
            "mapping writes " + name + "[...] after " +
            target.levels[lastLevel].name + ", but the array of target '" +
            target.name + "' sits " +
            (firstPerPE < numLevels ? "above " + target.levels[firstPerPE].name
                                    : "below " + target.levels.back().name));
      sawAxis = true;
    } else {
      auto it = llvm::find_if(target.levels, [&](const hw::MemoryLevel &l) {
        return l.name == name;
      });
      if (it == target.levels.end())
        return conversionError(
            "mapping names level '" + name + "', which target '" + target.name +
            "' does not have (levels: " + listLevels(target) +
            "; X and Y for the array)");
      int level = it - target.levels.begin();
      if (level <= lastLevel)
        return conversionError("mapping lists " + name + " after " +
                               target.levels[lastLevel].name +
                               "; levels go outermost first (" +
                               listLevels(target) + ")");
      if (sawAxis && level < int(firstPerPE))
        return conversionError("mapping lists " + name +
                               " after the array's axes, but on target '" +
                               target.name + "' it is above the array");
      lastLevel = level;
      m.bypass[level] = bracket.bypass;
    }
    uint32_t listed = 0;
    unsigned position = 0;
    for (auto [loopName, factor] : llvm::zip(bracket.loops, bracket.factors)) {
      std::optional<unsigned> d = p.lookupDim(loopName.getValue());
      if (!d) {
        for (unsigned g = 0; g < p.numDims; ++g)
          for (uint8_t member : p.getMembers(g))
            if (p.getMembers(g).size() > 1 &&
                p.getSourceName(member) == loopName.getValue())
              return conversionError(
                  "mapping names loop '" + loopName.getValue() + "' at " +
                  name + ", but it also flattens it into " + p.dimNames[g] +
                  "; a flattened loop is tiled as one");
        return conversionError("mapping names loop '" + loopName.getValue() +
                               "' at " + name + ", which the op does not have");
      }
      listed |= 1u << *d;
      if (name == "X")
        m.spatialX[*d] = factor;
      else if (name == "Y")
        m.spatialY[*d] = factor;
      else {
        m.factors[lastLevel][*d] = factor;
        m.order[lastLevel][position++] = *d;
      }
    }
    if (!bracket.isSpatial())
      for (unsigned d = 0; d < p.numDims; ++d)
        if (!(listed & (1u << d)))
          m.order[lastLevel][position++] = d;
  }
  return m;
}

accel::MappingAttr cost::toMappingAttr(MLIRContext *ctx, const Mapping &m,
                                       const Problem &p,
                                       const hw::Target &target) {
  // Storage for the brackets' arrays until the attribute copies them.
  SmallVector<SmallVector<StringAttr>> loopLists;
  SmallVector<SmallVector<int64_t>> factorLists;
  SmallVector<MappingLevel> levels;
  auto add = [&](StringRef name, ArrayRef<unsigned> dims,
                 ArrayRef<int64_t> factorOf, unsigned bypass) {
    SmallVector<StringAttr> loops;
    SmallVector<int64_t> factors;
    for (unsigned d : dims)
      if (factorOf[d] > 1) {
        loops.push_back(StringAttr::get(ctx, p.dimNames[d]));
        factors.push_back(factorOf[d]);
      }
    loopLists.push_back(std::move(loops));
    factorLists.push_back(std::move(factors));
    levels.push_back({StringAttr::get(ctx, name), {}, {}, bypass});
  };
  SmallVector<unsigned> identityOrder;
  for (unsigned d = 0; d < p.numDims; ++d)
    identityOrder.push_back(d);
  auto addAxes = [&] {
    add("X", identityOrder, m.spatialX, 0);
    add("Y", identityOrder, m.spatialY, 0);
  };
  unsigned firstPerPE = target.getFirstPerPELevel();
  for (unsigned l = 0; l < m.numLevels; ++l) {
    if (l == firstPerPE)
      addAxes();
    SmallVector<unsigned> order(m.order[l].begin(),
                                m.order[l].begin() + p.numDims);
    add(target.levels[l].name, order, m.factors[l], m.bypass[l]);
  }
  if (firstPerPE >= m.numLevels)
    addAxes();
  for (auto [level, loops, factors] :
       llvm::zip(levels, loopLists, factorLists)) {
    level.loops = loops;
    level.factors = factors;
  }
  return accel::MappingAttr::get(ctx, levels);
}
