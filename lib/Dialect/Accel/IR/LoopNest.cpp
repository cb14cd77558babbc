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

int64_t LoopNest::getNumIterations() const {
  int64_t n = 1;
  for (const LoopDim &d : dims)
    n *= d.extent;
  return n;
}

int64_t LoopNest::getNumOutputElements() const {
  for (const TensorAccess &t : tensors)
    if (t.isOutput)
      return getNumElements(t.shape);
  return 0;
}

OpCounts LoopNest::getTotalCounts() const {
  OpCounts total = perIteration.scaled(getNumIterations());
  total += perOutput.scaled(getNumOutputElements());
  return total;
}

std::optional<unsigned> LoopNest::lookupDim(llvm::StringRef name) const {
  for (auto [i, d] : llvm::enumerate(dims))
    if (d.name == name)
      return i;
  return std::nullopt;
}

std::optional<unsigned> LoopNest::lookupTensor(llvm::StringRef name) const {
  for (auto [i, t] : llvm::enumerate(tensors))
    if (t.name == name)
      return i;
  return std::nullopt;
}

int64_t LoopNest::getTileFootprint(unsigned tensorIndex,
                                   llvm::ArrayRef<int64_t> tile) const {
  assert(tile.size() == dims.size() && "one tile extent per loop");
  const TensorAccess &t = tensors[tensorIndex];
  int64_t footprint = 1;
  for (auto [expr, size] : llvm::zip(t.map.getResults(), t.shape)) {
    int64_t span = size;
    if (auto coeffs = getLinearCoefficients(expr, dims.size())) {
      span = 1;
      for (auto [d, c] : llvm::enumerate(*coeffs)) {
        int64_t extent =
            std::min(std::max<int64_t>(tile[d], 1), dims[d].extent);
        span += std::abs(c) * (extent - 1);
      }
      span = std::min(span, size);
    }
    footprint *= span;
  }
  return footprint;
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
