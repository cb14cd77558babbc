//===- MappingLevel.h - One bracket of an #accel.mapping --------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The parameter type of #accel.mapping: a memory level's temporal loops, or
// one of the array's axes with its spatial loops. A mapping is a list of
// them, outermost first; where an axis sits in the list is where its array
// sits in the hierarchy, so a target with arrays at several levels needs no
// other representation.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_DIALECT_ACCEL_IR_MAPPINGLEVEL_H
#define TANDEM_DIALECT_ACCEL_IR_MAPPINGLEVEL_H

#include "mlir/IR/AttributeSupport.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/Hashing.h"

namespace tandem::accel {

/// The data spaces a mapping level can bypass, by bit: the names targets use
/// in `holds`.
constexpr unsigned kNumDataSpaces = 3;
constexpr llvm::StringLiteral kDataSpaceNames[kNumDataSpaces] = {
    "input", "weight", "output"};

struct MappingLevel {
  /// The memory level's name as the target spells it, or "X" (the array's
  /// columns) or "Y" (its rows).
  mlir::StringAttr name;
  /// The loops with a factor here, outermost first, and their factors;
  /// loops not listed have factor 1 and come innermost.
  llvm::ArrayRef<mlir::StringAttr> loops;
  llvm::ArrayRef<int64_t> factors;
  /// Bit i: data space i (kDataSpaceNames) passes through this level
  /// without being kept, though the target lets the level hold it.
  unsigned bypass = 0;

  bool isSpatial() const {
    return name && (name.getValue() == "X" || name.getValue() == "Y");
  }
  /// The factor of loop `loop`, or 1 if it is not listed.
  int64_t getFactor(llvm::StringRef loop) const;

  MappingLevel allocateInto(mlir::AttributeStorageAllocator &allocator) const;
  bool operator==(const MappingLevel &other) const {
    return name == other.name && loops == other.loops &&
           factors == other.factors && bypass == other.bypass;
  }
};

inline llvm::hash_code hash_value(const MappingLevel &level) {
  return llvm::hash_combine(
      level.name,
      llvm::hash_combine_range(level.loops.begin(), level.loops.end()),
      llvm::hash_combine_range(level.factors.begin(), level.factors.end()),
      level.bypass);
}

} // namespace tandem::accel

#endif // TANDEM_DIALECT_ACCEL_IR_MAPPINGLEVEL_H
