//===- MappingRules.cpp - What makes a mapping valid on a target ----------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Analysis/CostModel.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <numeric>

using namespace llvm;
using namespace tandem;
using namespace tandem::cost;
using hw::TensorKind;

Mapping Mapping::identity(unsigned numLevels) {
  Mapping m; // no bypass
  m.numLevels = numLevels;
  for (unsigned l = 0; l < kMaxLevels; ++l)
    for (unsigned d = 0; d < kMaxDims; ++d) {
      m.factors[l][d] = 1;
      m.order[l][d] = d;
    }
  for (unsigned f = 0; f < kMaxFanouts; ++f) {
    m.spatialX[f].fill(1);
    m.spatialY[f].fill(1);
  }
  return m;
}

int64_t Mapping::getSpatialX(unsigned fanout, unsigned numDims) const {
  int64_t x = 1;
  for (unsigned d = 0; d < numDims; ++d)
    x *= spatialX[fanout][d];
  return x;
}

int64_t Mapping::getSpatialY(unsigned fanout, unsigned numDims) const {
  int64_t y = 1;
  for (unsigned d = 0; d < numDims; ++d)
    y *= spatialY[fanout][d];
  return y;
}

/// How a fan-out is named in messages: "X" on a target with one, "X below
/// GLB" where there are several.
static std::string axisName(const hw::Target &target, unsigned fanout, bool x) {
  auto fanouts = target.getFanouts();
  std::string name = x ? "X" : "Y";
  if (fanouts.size() > 1)
    name += " below " + target.levels[fanouts[fanout].above].name;
  return name;
}

static Error mappingError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

using Reporter = function_ref<void(const Twine &)>;

/// Reports a broken rule (when asked for a message) and returns false.
static bool fail(Reporter report, const Twine &why) {
  if (report)
    report(why);
  return false;
}

/// The rules on loop `d`'s factors: at least 1, covering its extent, none
/// entirely padding.
static bool checkLoop(const Problem &p, const Mapping &m,
                      const hw::Target &target, unsigned d, Reporter report) {
  const std::string &dim = p.dimNames[d];
  for (unsigned f = 0; f < kMaxFanouts; ++f)
    if (m.spatialX[f][d] < 1 || m.spatialY[f][d] < 1)
      return fail(report, "spatial factor of " + dim + " must be at least 1");
  // Saturating: a hand-written mapping may multiply past int64.
  uint64_t total = 1;
  for (unsigned f = 0; f < kMaxFanouts; ++f)
    total = SaturatingMultiply<uint64_t>(
        total,
        SaturatingMultiply<uint64_t>(m.spatialX[f][d], m.spatialY[f][d]));
  for (unsigned l = 0; l < m.numLevels; ++l) {
    if (m.factors[l][d] < 1)
      return fail(report, "factor of " + dim + " at " + target.levels[l].name +
                              " must be at least 1");
    total = SaturatingMultiply<uint64_t>(total, m.factors[l][d]);
  }
  if (total < uint64_t(p.extents[d]))
    return fail(report, "the factors of " + dim + " multiply to " +
                            Twine(total) + ", less than its extent " +
                            Twine(p.extents[d]));
  // Remainder policy: the last tile may be partial, but no factor may be
  // entirely padding.
  // `where` names the factor's place; it is built only for a broken rule
  // (a fan-out's name walks the target: not for every valid mapping).
  auto needed = [&](int64_t f, function_ref<std::string()> where) -> bool {
    if (f <= p.extents[d] &&
        !(f > 1 && total / uint64_t(f) >= uint64_t(p.extents[d])))
      return true;
    if (f > p.extents[d])
      return fail(report, "factor " + Twine(f) + " of " + dim + " at " +
                              where() + " is larger than its extent " +
                              Twine(p.extents[d]));
    return fail(report, "factor " + Twine(f) + " of " + dim + " at " + where() +
                            " is not needed: the other factors "
                            "already cover its extent " +
                            Twine(p.extents[d]));
  };
  for (unsigned l = 0; l < m.numLevels; ++l)
    if (!needed(m.factors[l][d], [&] { return target.levels[l].name; }))
      return false;
  const unsigned numFanouts = target.getNumFanouts();
  for (unsigned f = 0; f < kMaxFanouts; ++f) {
    if (f >= numFanouts && (m.spatialX[f][d] > 1 || m.spatialY[f][d] > 1))
      return fail(report, "spatial factor of " + dim +
                              " on a fan-out that "
                              "target '" +
                              target.name + "' does not have");
    if (f < numFanouts &&
        (!needed(m.spatialX[f][d], [&] { return axisName(target, f, true); }) ||
         !needed(m.spatialY[f][d], [&] { return axisName(target, f, false); })))
      return false;
  }
  return true;
}

/// Whether the tiles of levels 1 to `last` fit their buffers.
static bool checkBuffers(const Problem &p, const Mapping &m,
                         const hw::Target &target, unsigned last,
                         Reporter report) {
  TileExtents tiles;
  getTileExtents(p, m, target, tiles);
  for (unsigned c = 1; c <= last; ++c) {
    const hw::MemoryLevel &level = target.levels[c];
    if (level.capacityBytes == 0)
      continue;
    const int64_t *tile = tiles[c].data();
    int64_t bytes = 0, perTensor[kNumTensorKinds] = {0, 0, 0};
    for (unsigned k = 0; k < kNumTensorKinds; ++k) {
      if (!p.tensors[k].present || !m.holds(target, c, TensorKind(k)))
        continue;
      perTensor[k] =
          (p.footprint(TensorKind(k), tile) * p.tensors[k].bits + 7) / 8;
      bytes += perTensor[k];
    }
    if (bytes <= level.capacityBytes)
      continue;
    if (!report)
      return false; // searches only ask whether; skip the message
    std::string parts;
    for (unsigned k = 0; k < kNumTensorKinds; ++k)
      if (perTensor[k])
        parts += formatv("{0}{1} {2}", parts.empty() ? "" : ", ",
                         hw::stringifyTensorKind(TensorKind(k)), perTensor[k])
                     .str();
    report("the tiles at " + level.name + " take " + Twine(bytes) + " bytes (" +
           parts + ") but it holds " + Twine(level.capacityBytes) +
           (level.perPE                  ? " per PE"
            : target.getInstances(c) > 1 ? " per instance"
                                         : ""));
    return false;
  }
  return true;
}

/// The rules that involve several loops: the spatial factors fit the array
/// and the tiles fit every buffer.
static bool checkArrayAndBuffers(const Problem &p, const Mapping &m,
                                 const hw::Target &target, Reporter report) {
  auto fanouts = target.getFanouts();
  for (auto [f, fanout] : llvm::enumerate(fanouts))
    for (bool isX : {true, false}) {
      int64_t used =
          isX ? m.getSpatialX(f, p.numDims) : m.getSpatialY(f, p.numDims);
      int64_t size = isX ? fanout.x : fanout.y;
      if (used > size)
        return fail(report,
                    "the " + axisName(target, f, isX) +
                        (isX ? " (column)" : " (row)") +
                        " factors multiply to " + Twine(used) + " but " +
                        (fanouts.size() == 1
                             ? "the array has " + Twine(size) +
                                   (isX ? " columns" : " rows")
                             : Twine(size) + " instances fan out there"));
    }
  return checkBuffers(p, m, target, m.numLevels - 1, report);
}

/// Bypasses only drop what the target keeps at a level, never at the
/// outermost level, where every tensor lives.
static bool checkBypass(const Mapping &m, const hw::Target &target,
                        Reporter report) {
  if (m.bypass[0])
    return fail(report, "the outermost level " + target.levels[0].name +
                            " holds every tensor; it cannot bypass one");
  for (unsigned l = 1; l < m.numLevels; ++l)
    for (unsigned k = 0; k < kNumTensorKinds; ++k)
      if ((m.bypass[l] & (1u << k)) &&
          !target.levels[l].holdsKind(TensorKind(k)))
        return fail(report, "the mapping bypasses " +
                                hw::stringifyTensorKind(TensorKind(k)) +
                                " at " + target.levels[l].name +
                                ", which target '" + target.name +
                                "' does not keep there anyway");
  return true;
}

/// The rules of verifyMapping(); `report` (if given) gets the message of the
/// first one broken. Without it no message is built, so the mapper's fast
/// path allocates nothing.
static bool checkMapping(const Problem &p, const Mapping &m,
                         const hw::Target &target, Reporter report) {
  if (m.numLevels != target.levels.size())
    return fail(report, "the mapping has " + Twine(m.numLevels) +
                            " levels but target '" + target.name + "' has " +
                            Twine(target.levels.size()));
  if (!checkBypass(m, target, report))
    return false;
  // Every factor is at most its loop's extent and needed (checkLoop), so a
  // loop's factors multiply to less than its extent squared; the padded
  // iteration space must still fit the cost model's 64-bit counts.
  uint64_t padded = 1;
  for (unsigned d = 0; d < p.numDims; ++d) {
    if (!checkLoop(p, m, target, d, report))
      return false;
    for (unsigned f = 0; f < kMaxFanouts; ++f)
      padded = SaturatingMultiply<uint64_t>(
          padded,
          SaturatingMultiply<uint64_t>(m.spatialX[f][d], m.spatialY[f][d]));
    for (unsigned l = 0; l < m.numLevels; ++l)
      padded = SaturatingMultiply<uint64_t>(padded, m.factors[l][d]);
  }
  if (padded > (uint64_t(1) << 62))
    return fail(report, "the factors multiply to more than 2^62 iterations "
                        "with their padding");
  for (unsigned l = 0; l < m.numLevels; ++l) {
    uint32_t seen = 0;
    for (unsigned i = 0; i < p.numDims; ++i)
      if (m.order[l][i] < p.numDims)
        seen |= 1u << m.order[l][i];
    if (seen != (1u << p.numDims) - 1)
      return fail(report, "the loop order at " + target.levels[l].name +
                              " is not a permutation of the loops");
  }
  return checkArrayAndBuffers(p, m, target, report);
}

bool cost::isValidMapping(const Problem &p, const Mapping &m,
                          const hw::Target &target) {
  return checkMapping(p, m, target, nullptr);
}

bool cost::fitsArrayAndBuffers(const Problem &p, const Mapping &m,
                               const hw::Target &target) {
  return checkArrayAndBuffers(p, m, target, nullptr);
}

Error cost::verifyMapping(const Problem &p, const Mapping &m,
                          const hw::Target &target) {
  std::string message;
  if (checkMapping(p, m, target,
                   [&](const Twine &why) { message = why.str(); }))
    return Error::success();
  return mappingError(message);
}

bool cost::isValidLoop(const Problem &p, const Mapping &m,
                       const hw::Target &target, unsigned d) {
  return checkLoop(p, m, target, d, nullptr);
}

bool cost::fitsBuffers(const Problem &p, const Mapping &m,
                       const hw::Target &target, unsigned last) {
  return checkBuffers(p, m, target, last, nullptr);
}
