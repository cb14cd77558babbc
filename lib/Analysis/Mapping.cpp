//===- Mapping.cpp - Mappings: text form, verification, defaults ----------===//
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
  Mapping m;
  m.numLevels = numLevels;
  for (unsigned l = 0; l < kMaxLevels; ++l)
    for (unsigned d = 0; d < kMaxDims; ++d) {
      m.factors[l][d] = 1;
      m.order[l][d] = d;
    }
  m.spatialX.fill(1);
  m.spatialY.fill(1);
  return m;
}

int64_t Mapping::getSpatialX(unsigned numDims) const {
  int64_t x = 1;
  for (unsigned d = 0; d < numDims; ++d)
    x *= spatialX[d];
  return x;
}

int64_t Mapping::getSpatialY(unsigned numDims) const {
  int64_t y = 1;
  for (unsigned d = 0; d < numDims; ++d)
    y *= spatialY[d];
  return y;
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
  if (m.spatialX[d] < 1 || m.spatialY[d] < 1)
    return fail(report, "spatial factor of " + dim + " must be at least 1");
  // Saturating: a hand-written mapping may multiply past int64.
  uint64_t total = SaturatingMultiply<uint64_t>(m.spatialX[d], m.spatialY[d]);
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
  auto needed = [&](int64_t f, const Twine &where) -> bool {
    if (f > 1 && total / uint64_t(f) >= uint64_t(p.extents[d]))
      return fail(report, "factor " + Twine(f) + " of " + dim + " at " + where +
                              " is not needed: the other factors "
                              "already cover its extent " +
                              Twine(p.extents[d]));
    return true;
  };
  for (unsigned l = 0; l < m.numLevels; ++l)
    if (!needed(m.factors[l][d], target.levels[l].name))
      return false;
  return needed(m.spatialX[d], "X") && needed(m.spatialY[d], "Y");
}

/// Whether the tiles of levels 1 to `last` fit their buffers.
static bool checkBuffers(const Problem &p, const Mapping &m,
                         const hw::Target &target, unsigned last,
                         Reporter report) {
  TileExtents tiles;
  getTileExtents(p, m, target.getFirstPerPELevel(), tiles);
  for (unsigned c = 1; c <= last; ++c) {
    const hw::MemoryLevel &level = target.levels[c];
    if (level.capacityBytes == 0)
      continue;
    const int64_t *tile = tiles[c].data();
    int64_t bytes = 0, perTensor[kNumTensorKinds] = {0, 0, 0};
    for (unsigned k = 0; k < kNumTensorKinds; ++k) {
      if (!p.tensors[k].present || !level.holdsKind(TensorKind(k)))
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
           (level.perPE ? " per PE" : ""));
    return false;
  }
  return true;
}

/// The rules that involve several loops: the spatial factors fit the array
/// and the tiles fit every buffer.
static bool checkArrayAndBuffers(const Problem &p, const Mapping &m,
                                 const hw::Target &target, Reporter report) {
  int64_t x = m.getSpatialX(p.numDims), y = m.getSpatialY(p.numDims);
  if (x > target.array.cols)
    return fail(report, "the X (column) factors multiply to " + Twine(x) +
                            " but the array has " + Twine(target.array.cols) +
                            " columns");
  if (y > target.array.rows)
    return fail(report, "the Y (row) factors multiply to " + Twine(y) +
                            " but the array has " + Twine(target.array.rows) +
                            " rows");
  return checkBuffers(p, m, target, m.numLevels - 1, report);
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
  for (unsigned d = 0; d < p.numDims; ++d)
    if (!checkLoop(p, m, target, d, report))
      return false;
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

Expected<Mapping> cost::parseMapping(StringRef text, const Problem &p,
                                     const hw::Target &target) {
  Mapping m = Mapping::identity(target.levels.size());
  // One flag per level, then X and Y.
  SmallVector<bool, kMaxLevels + 2> seen(target.levels.size() + 2, false);
  StringRef rest = text.trim();
  while (!rest.empty()) {
    size_t open = rest.find('[');
    size_t close = rest.find(']');
    if (open == StringRef::npos || close == StringRef::npos || close < open)
      return mappingError("expected NAME[...] in mapping '" + text + "'");
    StringRef name = rest.take_front(open).trim();
    StringRef body = rest.slice(open + 1, close);
    rest = rest.drop_front(close + 1).trim();
    int level = -1;
    for (auto [i, l] : llvm::enumerate(target.levels))
      if (l.name == name)
        level = i;
    if (level < 0 && name != "X" && name != "Y") {
      std::string known;
      for (const hw::MemoryLevel &l : target.levels)
        known += l.name + ", ";
      return mappingError("mapping names level '" + name + "', which target '" +
                          target.name + "' does not have (levels: " + known +
                          "and X, Y for the array)");
    }
    unsigned slot = level >= 0    ? unsigned(level)
                    : name == "X" ? target.levels.size()
                                  : target.levels.size() + 1;
    if (seen[slot])
      return mappingError("mapping lists '" + name + "' twice");
    seen[slot] = true;
    SmallVector<StringRef> entries;
    body.split(entries, ' ', -1, /*KeepEmpty=*/false);
    uint32_t listed = 0;
    unsigned position = 0;
    for (StringRef entry : entries) {
      auto [dimName, factorText] = entry.split(':');
      std::optional<unsigned> dim = p.lookupDim(dimName);
      if (!dim)
        return mappingError("mapping entry '" + entry + "' at " + name +
                            ": the op has no loop '" + dimName + "'");
      int64_t factor;
      if (factorText.getAsInteger(10, factor) || factor < 1)
        return mappingError("mapping entry '" + entry + "' at " + name +
                            ": expected LOOP:FACTOR with a positive factor");
      if (listed & (1u << *dim))
        return mappingError("mapping lists " + dimName + " twice at " + name);
      listed |= 1u << *dim;
      if (name == "X")
        m.spatialX[*dim] = factor;
      else if (name == "Y")
        m.spatialY[*dim] = factor;
      else {
        m.factors[level][*dim] = factor;
        m.order[level][position++] = *dim;
      }
    }
    if (level >= 0)
      for (unsigned d = 0; d < p.numDims; ++d)
        if (!(listed & (1u << d)))
          m.order[level][position++] = d;
  }
  return m;
}

std::string cost::printMapping(const Mapping &m, const Problem &p,
                               const hw::Target &target) {
  std::string text;
  raw_string_ostream os(text);
  auto spatial = [&](StringRef axis, const std::array<int64_t, kMaxDims> &f) {
    os << axis << "[";
    bool first = true;
    for (unsigned d = 0; d < p.numDims; ++d)
      if (f[d] > 1) {
        os << (first ? "" : " ") << p.dimNames[d] << ":" << f[d];
        first = false;
      }
    os << "] ";
  };
  unsigned firstPerPE = target.getFirstPerPELevel();
  for (unsigned l = 0; l < m.numLevels; ++l) {
    if (l == firstPerPE) {
      spatial("X", m.spatialX);
      spatial("Y", m.spatialY);
    }
    os << target.levels[l].name << "[";
    bool first = true;
    for (unsigned i = 0; i < p.numDims; ++i) {
      unsigned d = m.order[l][i];
      if (m.factors[l][d] > 1) {
        os << (first ? "" : " ") << p.dimNames[d] << ":" << m.factors[l][d];
        first = false;
      }
    }
    os << "] ";
  }
  if (firstPerPE >= m.numLevels) {
    spatial("X", m.spatialX);
    spatial("Y", m.spatialY);
  }
  return StringRef(text).rtrim().str();
}

namespace {

/// Dims by how they index the three data spaces.
struct DimClasses {
  SmallVector<unsigned> outChannels; // weight and output, not input (K)
  SmallVector<unsigned> pixels;      // input and output, not weight (N P Q)
  SmallVector<unsigned> reduction;   // input and weight, not output (C R S)
  SmallVector<unsigned> windows;     // reduction dims sharing an input
                                     // coordinate with a pixel dim (R S)
  SmallVector<unsigned> other;
};

DimClasses classify(const Problem &p) {
  DimClasses c;
  const auto &in = p.tensors[hw::Input], &w = p.tensors[hw::Weight],
             &out = p.tensors[hw::Output];
  for (unsigned d = 0; d < p.numDims; ++d) {
    uint32_t bit = 1u << d;
    bool i = in.present && (in.relevant & bit);
    bool wt = w.present && (w.relevant & bit);
    bool o = out.present && (out.relevant & bit);
    if (wt && o && !i)
      c.outChannels.push_back(d);
    else if (i && o && !wt)
      c.pixels.push_back(d);
    else if (i && wt && !o) {
      bool window = false;
      for (unsigned k = 0; k < in.numCoords; ++k)
        if (in.coeff[k][d] != 0)
          for (unsigned e : c.pixels)
            window |= in.coeff[k][e] != 0;
      // Pixels may come later in loop order; check all dims.
      for (unsigned k = 0; k < in.numCoords && !window; ++k)
        if (in.coeff[k][d] != 0)
          for (unsigned e = 0; e < p.numDims; ++e)
            if (e != d && in.coeff[k][e] != 0 && (out.relevant & (1u << e)))
              window = true;
      (window ? c.windows : c.reduction).push_back(d);
    } else
      c.other.push_back(d);
  }
  return c;
}

} // namespace

DataflowStyle cost::getDataflowStyle(const Problem &p,
                                     const hw::Target &target) {
  DimClasses dims = classify(p);
  auto concat = [](std::initializer_list<const SmallVector<unsigned> *> lists) {
    SmallVector<unsigned, kMaxDims> out;
    for (const auto *l : lists)
      out.append(l->begin(), l->end());
    return out;
  };
  DataflowStyle style;
  style.stationary = hw::getStationaryTensor(target.array.dataflow);
  auto &x = style.x, &y = style.y;
  switch (target.array.dataflow) {
  case hw::Dataflow::WeightStationary:
    y = concat({&dims.reduction, &dims.windows});
    x = concat({&dims.outChannels});
    break;
  case hw::Dataflow::OutputStationary:
    y = concat({&dims.pixels});
    x = concat({&dims.outChannels});
    break;
  case hw::Dataflow::InputStationary:
    y = concat({&dims.reduction, &dims.windows});
    x = concat({&dims.pixels});
    break;
  case hw::Dataflow::RowStationary:
    // Filter rows down the columns; the rest of the window (S) runs inside
    // each PE as a 1-D convolution.
    if (!dims.windows.empty())
      y.push_back(dims.windows.front());
    y.append(dims.reduction.begin(), dims.reduction.end());
    x = concat({&dims.pixels, &dims.outChannels});
    break;
  }
  if (!p.tensors[hw::Weight].present || (x.empty() && y.empty())) {
    // No weights (pooling) or no dim that tells operands apart (elementwise
    // ops): spread the output over the array.
    x = concat({&dims.pixels, &dims.other});
    y = concat({&dims.outChannels, &dims.windows});
    if (y.empty() && x.size() > 1)
      y.push_back(x.pop_back_val());
    style.stationary = hw::Output;
  }
  return style;
}

Mapping cost::defaultMapping(const Problem &p, const hw::Target &target) {
  const unsigned numLevels = target.levels.size(), n = p.numDims;
  Mapping m = Mapping::identity(numLevels);
  DataflowStyle style = getDataflowStyle(p, target);
  const auto &x = style.x, &y = style.y;
  TensorKind stationary = style.stationary;
  // Spatial: fill each axis greedily; the last dim placed may be padded.
  SmallVector<int64_t> remaining(p.extents.begin(), p.extents.begin() + n);
  auto fill = [&](ArrayRef<unsigned> order, int64_t capacity,
                  std::array<int64_t, kMaxDims> &factors) {
    for (unsigned d : order) {
      if (capacity < 2)
        break;
      if (remaining[d] <= 1)
        continue;
      int64_t f = std::min(remaining[d], capacity);
      factors[d] = f;
      remaining[d] = llvm::divideCeilSigned(remaining[d], f);
      capacity /= f;
    }
  };
  fill(y, target.array.rows, m.spatialY);
  fill(x, target.array.cols, m.spatialX);

  // Loop order at every level: loops that index the stationary tensor
  // outermost, the rest innermost, so its tiles stay put across them.
  uint32_t keep =
      p.tensors[stationary].present ? p.tensors[stationary].relevant : 0;
  SmallVector<unsigned> order;
  for (unsigned d = 0; d < n; ++d)
    if (keep & (1u << d))
      order.push_back(d);
  for (unsigned d = 0; d < n; ++d)
    if (!(keep & (1u << d)))
      order.push_back(d);
  for (unsigned l = 0; l < numLevels; ++l)
    for (unsigned i = 0; i < n; ++i)
      m.order[l][i] = order[i];

  for (unsigned d = 0; d < n; ++d)
    m.factors[0][d] = remaining[d];
  growTemporalTiles(p, target, m);
  return m;
}

void cost::getDivisors(int64_t n, SmallVectorImpl<int64_t> &divisors) {
  divisors.clear();
  SmallVector<int64_t, 16> large;
  for (int64_t f = 1; f * f <= n; ++f)
    if (n % f == 0) {
      divisors.push_back(f);
      if (f != n / f)
        large.push_back(n / f);
    }
  divisors.append(large.rbegin(), large.rend());
}

void cost::growTemporalTiles(const Problem &p, const hw::Target &target,
                             Mapping &m, unsigned innermost) {
  const unsigned n = p.numDims;
  for (unsigned c = std::min(innermost, m.numLevels - 1) + 1; c-- > 1;)
    for (unsigned i = n; i-- > 0;) {
      unsigned d = m.order[c][i];
      int64_t rest = m.factors[0][d];
      if (rest == 1)
        continue;
      SmallVector<int64_t, 32> divisors;
      getDivisors(rest, divisors);
      // A larger tile only grows footprints, so validity is monotone in the
      // divisor: binary search for the largest valid one (the cost model's
      // inner loop calls this for every candidate).
      // Moving a factor from DRAM to level c changes only loop d's factors
      // and the tiles of levels 1 to c: the other rules cannot break.
      auto tryFactor = [&](int64_t f) {
        m.factors[c][d] = f;
        m.factors[0][d] = rest / f;
        return checkLoop(p, m, target, d, nullptr) &&
               checkBuffers(p, m, target, c, nullptr);
      };
      size_t lo = 0, hi = divisors.size() - 1;
      if (tryFactor(rest)) // often all of a small loop fits
        continue;
      --hi;
      while (lo < hi) {
        size_t mid = (lo + hi + 1) / 2;
        if (tryFactor(divisors[mid]))
          lo = mid;
        else
          hi = mid - 1;
      }
      m.factors[c][d] = divisors[lo];
      m.factors[0][d] = rest / divisors[lo];
    }
}
