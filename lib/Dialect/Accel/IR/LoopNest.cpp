//===- LoopNest.cpp - An operator seen as a perfect loop nest -------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Dialect/Accel/IR/LoopNest.h"
#include "tandem/Dialect/Accel/IR/ShapeUtils.h"

#include "mlir/IR/AffineExpr.h"

#include <cstdlib>
#include <functional>

using namespace mlir;
using namespace tandem::accel;

OpCounts OpCounts::scaled(int64_t factor) const {
  OpCounts c = *this;
  c.macs *= factor;
  c.adds *= factor;
  c.muls *= factor;
  c.divs *= factor;
  c.compares *= factor;
  c.transcendentals *= factor;
  return c;
}

OpCounts &OpCounts::operator+=(const OpCounts &other) {
  macs += other.macs;
  adds += other.adds;
  muls += other.muls;
  divs += other.divs;
  compares += other.compares;
  transcendentals += other.transcendentals;
  return *this;
}

llvm::StringRef tandem::accel::stringifyOperandRole(OperandRole role) {
  switch (role) {
  case OperandRole::Input:
    return "input";
  case OperandRole::SecondInput:
    return "second-input";
  case OperandRole::Weight:
    return "weight";
  case OperandRole::Parameter:
    return "parameter";
  case OperandRole::Output:
    return "output";
  }
  return "";
}

void TensorProjection::setCoeff(unsigned coord, unsigned loop, int64_t value) {
  coeff[coord][loop] = value;
  if (value)
    coordLoops[coord] |= 1u << loop;
  else
    coordLoops[coord] &= ~(1u << loop);
  relevant = 0;
  for (uint32_t loops : coordLoops)
    relevant |= loops;
  buildTerms();
}

void TensorProjection::buildTerms(llvm::ArrayRef<int64_t> extents) {
  numSpans = numTerms = 0;
  spanSize.fill(1);
  spanStart.fill(1);
  for (unsigned c = 0; c < rank; ++c) {
    if (!extents.empty() && size[c] == 1)
      continue; // always one position
    const bool whole = (wholeCoords >> c) & 1;
    spanSize[numSpans] = size[c];
    // A whole coordinate starts at its size, so the cap keeps it there.
    spanStart[numSpans] = whole ? size[c] : 1;
    for (unsigned d = 0; d < kMaxLoops && !whole; ++d) {
      if (!coeff[c][d] || (d < extents.size() && extents[d] == 1))
        continue;
      termSpan[numTerms] = numSpans;
      termLoop[numTerms] = d;
      termCoeff[numTerms] = std::abs(coeff[c][d]);
      ++numTerms;
    }
    ++numSpans;
  }
}

std::optional<TensorProjection>
TensorProjection::get(AffineMap map, llvm::ArrayRef<int64_t> shape) {
  if (map.getNumDims() > kMaxLoops || map.getNumResults() > kMaxRank ||
      shape.size() != map.getNumResults())
    return std::nullopt;
  TensorProjection p;
  p.rank = map.getNumResults();
  uint32_t wholeLoops = 0;
  for (unsigned c = 0; c < p.rank; ++c) {
    AffineExpr expr = map.getResult(c);
    p.size[c] = shape[c];
    if (auto coeffs = getLinearCoefficients(expr, map.getNumDims())) {
      for (unsigned d = 0; d < map.getNumDims(); ++d)
        p.setCoeff(c, d, (*coeffs)[d]);
      continue;
    }
    // Not affine-linear: the whole coordinate, indexed by every loop the
    // expression mentions.
    p.wholeCoords |= 1u << c;
    for (unsigned d = 0; d < map.getNumDims(); ++d)
      if (expr.isFunctionOfDim(d))
        wholeLoops |= 1u << d;
  }
  p.relevant |= wholeLoops;
  p.buildTerms();
  return p;
}

int64_t LoopNest::getNumIterations() const {
  int64_t n = 1;
  for (const LoopDim &d : dims)
    n *= d.extent;
  return n;
}

int64_t LoopNest::getNumOutputElements() const {
  if (auto i = lookupRole(OperandRole::Output))
    return getNumElements(tensors[*i].shape);
  return 0;
}

OpCounts LoopNest::getTotalCounts() const {
  OpCounts total = perIteration.scaled(getNumIterations());
  total += perOutput.scaled(getNumOutputElements());
  total += perOp;
  return total;
}

std::optional<unsigned> LoopNest::lookupDim(llvm::StringRef name) const {
  for (auto [i, d] : llvm::enumerate(dims))
    if (d.name == name)
      return i;
  return std::nullopt;
}

std::optional<unsigned> LoopNest::lookupRole(OperandRole role) const {
  for (auto [i, t] : llvm::enumerate(tensors))
    if (t.role == role)
      return i;
  return std::nullopt;
}

std::optional<unsigned> LoopNest::lookupTensor(llvm::StringRef name) const {
  for (auto [i, t] : llvm::enumerate(tensors))
    if (t.name == name)
      return i;
  return std::nullopt;
}

std::optional<int64_t>
LoopNest::getTileFootprint(unsigned tensorIndex,
                           llvm::ArrayRef<int64_t> tile) const {
  assert(tile.size() == dims.size() && "one tile extent per loop");
  const TensorAccess &t = tensors[tensorIndex];
  if (!t.projection)
    return std::nullopt;
  std::array<int64_t, kMaxLoops> clamped;
  for (auto [d, dim] : llvm::enumerate(dims))
    clamped[d] = std::min(std::max<int64_t>(tile[d], 1), dim.extent);
  return t.projection->footprint(clamped.data());
}

std::optional<llvm::SmallVector<int64_t, 8>>
tandem::accel::getLinearCoefficients(AffineExpr expr, unsigned numDims) {
  llvm::SmallVector<int64_t, 8> coeffs(numDims, 0);
  // Accumulates `scale * e` into coeffs; false if `e` is not linear.
  std::function<bool(AffineExpr, int64_t)> visit = [&](AffineExpr e,
                                                       int64_t scale) {
    if (auto dim = dyn_cast<AffineDimExpr>(e)) {
      if (dim.getPosition() >= numDims)
        return false;
      coeffs[dim.getPosition()] += scale;
      return true;
    }
    if (isa<AffineConstantExpr>(e))
      return true;
    auto bin = dyn_cast<AffineBinaryOpExpr>(e);
    if (!bin)
      return false;
    if (e.getKind() == AffineExprKind::Add)
      return visit(bin.getLHS(), scale) && visit(bin.getRHS(), scale);
    if (e.getKind() == AffineExprKind::Mul) {
      // Canonical affine products keep the constant on the right.
      if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()))
        return visit(bin.getLHS(), scale * c.getValue());
      if (auto c = dyn_cast<AffineConstantExpr>(bin.getLHS()))
        return visit(bin.getRHS(), scale * c.getValue());
    }
    return false;
  };
  if (!visit(expr, 1))
    return std::nullopt;
  return coeffs;
}
