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
  const auto fanouts = target.getFanouts();
  Mapping m = Mapping::identity(numLevels);
  // Memory brackets come outermost first; an axis bracket belongs to the
  // first fan-out at or below the last level listed (the array's, on a
  // target with one).
  int lastLevel = -1;
  unsigned nextFanout = 0;
  int axisFanout = -1;
  bool sawX = false, sawY = false;
  auto describeFanouts = [&] {
    std::string where;
    for (const hw::Target::Fanout &f : fanouts)
      where += (where.empty() ? "" : ", ") +
               ("below " + target.levels[f.above].name);
    return where;
  };
  for (const MappingLevel &bracket : attr.getLevels()) {
    StringRef name = bracket.name.getValue();
    if (bracket.isSpatial()) {
      // An empty axis spreads nothing, wherever it is written.
      if (bracket.loops.empty())
        continue;
      bool isX = name == "X";
      // Another bracket for the same axis starts the next fan-out.
      if (axisFanout < 0 || (isX ? sawX : sawY)) {
        unsigned f = nextFanout;
        while (f < fanouts.size() && int(fanouts[f].above) < lastLevel)
          ++f;
        if (f >= fanouts.size()) {
          std::string after = lastLevel >= 0 ? target.levels[lastLevel].name
                                             : std::string("nothing");
          if (fanouts.size() == 1 && axisFanout < 0)
            return conversionError(
                "mapping writes " + name + "[...] after " + after +
                ", but the array of target '" + target.name + "' sits " +
                (fanouts[0].above + 1 < numLevels
                     ? "above " + target.levels[fanouts[0].above + 1].name
                     : "below " + target.levels[fanouts[0].above].name));
          return conversionError(
              "mapping writes " + name + "[...] after " + after +
              ", but target '" + target.name + "' fans out only " +
              (fanouts.empty() ? std::string("nowhere") : describeFanouts()) +
              (axisFanout >= 0
                   ? " (and that fan-out has its " + name + " already)"
                   : ""));
        }
        axisFanout = f;
        nextFanout = f + 1;
        sawX = sawY = false;
      }
      (isX ? sawX : sawY) = true;
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
      if (axisFanout >= 0 && level <= int(fanouts[axisFanout].above))
        return conversionError(
            "mapping lists " + name +
            (fanouts.size() == 1
                 ? " after the array's axes, but on target '" + target.name +
                       "' it is above the array"
                 : " after the axes of the fan-out below " +
                       target.levels[fanouts[axisFanout].above].name +
                       ", but on target '" + target.name +
                       "' it is above that fan-out"));
      lastLevel = level;
      axisFanout = -1;
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
        m.spatialX[axisFanout][*d] = factor;
      else if (name == "Y")
        m.spatialY[axisFanout][*d] = factor;
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
  const auto fanouts = target.getFanouts();
  for (unsigned l = 0; l < m.numLevels; ++l) {
    SmallVector<unsigned> order(m.order[l].begin(),
                                m.order[l].begin() + p.numDims);
    add(target.levels[l].name, order, m.factors[l], m.bypass[l]);
    // The fan-out below this level: its axes (an axis it does not have is
    // left out, unless the target has a single fan-out, the array's).
    for (auto [f, fanout] : llvm::enumerate(fanouts))
      if (fanout.above == l) {
        if (fanout.x > 1 || fanouts.size() == 1)
          add("X", identityOrder, m.spatialX[f], 0);
        if (fanout.y > 1 || fanouts.size() == 1)
          add("Y", identityOrder, m.spatialY[f], 0);
      }
  }
  for (auto [level, loops, factors] :
       llvm::zip(levels, loopLists, factorLists)) {
    level.loops = loops;
    level.factors = factors;
  }
  return accel::MappingAttr::get(ctx, levels);
}
