//===- WeightEncoding.h - Shift-add encodings of integer weights -*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The arithmetic of shift-add weights (docs/shift-add.md), with no MLIR in
// it: which integers an encoding can hold, how a real weight rounds to one,
// and how many non-zero power-of-two terms (shifts) each costs.
//
// A layer's encoded weights are integers q with a per-channel scale, so that
// weight = scale * q, exactly as quantized weights are; the encoding limits
// which integers may occur:
//   pot  (DeepShift-Q)  q = s * 2^k, s in {-1, 0, +1}, k in [0, P] with
//                       P = 2^(b-1) - 1 (b bits: p = k - P in [-P, 0]);
//   apot (APoT)         |q| a sum of n power-of-two terms, one from each
//                       term's level set, n = ceil((b-1)/2);
//   csd                 any b-bit integer, optionally only those with at
//                       most T non-zero canonical-signed-digit digits.
// A product x * q then costs `countTerms(q)` shifts of x and as many adds
// (the terms combined, then accumulated).
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_SUPPORT_WEIGHTENCODING_H
#define TANDEM_SUPPORT_WEIGHTENCODING_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace tandem {

enum class EncodingKind : uint8_t {
  /// Plain integers, multiplied.
  Multiply,
  /// Signed powers of two (DeepShift-Q).
  PowerOfTwo,
  /// Additive powers of two (APoT).
  APoT,
  /// Canonical signed digits of the integer, at most `maxDigits` non-zero.
  CSD,
};

/// An encoding with its width. `bits` is the width of the stored code
/// (pot, apot: sign included) or of the integer (csd, multiply).
struct WeightEncoding {
  EncodingKind kind = EncodingKind::Multiply;
  int64_t bits = 8;
  /// CSD: the most non-zero digits a weight may have (0: no limit).
  int64_t maxDigits = 0;

  bool isShiftAdd() const { return kind != EncodingKind::Multiply; }
  bool operator==(const WeightEncoding &o) const {
    return kind == o.kind && bits == o.bits && maxDigits == o.maxDigits;
  }
};

/// "multiply", "pot", "apot", "csd".
llvm::StringRef stringifyEncodingKind(EncodingKind kind);
/// The choice without its width: "pot", "csd", "csd-2" (at most 2 digits).
std::string printEncodingChoice(EncodingKind kind, int64_t maxDigits);
/// Parses printEncodingChoice's form; the error lists the forms.
llvm::Error parseEncodingChoice(llvm::StringRef text, EncodingKind &kind,
                                int64_t &maxDigits);
/// An encoding with its width as options write it: CHOICE[:BITS] ("pot",
/// "apot:6", "csd-2"); without BITS, pot and apot take 5 bits and csd 8.
/// Checked by checkEncoding; multiply is refused (it is not an encoding).
llvm::Expected<WeightEncoding> parseEncodingOption(llvm::StringRef text);

/// A short name with the width, for reports: "W8", "PoT-5", "APoT-5",
/// "CSD8-2".
std::string getEncodingLabel(const WeightEncoding &encoding);

/// Checks the width against the encoding (pot: 2..5 bits, apot: 3..8,
/// csd: 2..16 with 1 <= maxDigits <= (bits + 1) / 2 when limited); the
/// message says what is allowed.
llvm::Error checkEncoding(const WeightEncoding &encoding);

/// The largest |q| the encoding holds (its code's top level): pot 2^P, apot
/// the top level, multiply 2^(b-1) - 1, csd the largest integer up to that
/// with at most maxDigits digits (int8, one digit: 64).
int64_t getLargestMagnitude(const WeightEncoding &encoding);
/// Width of a signed integer that holds every q (the multiplier a target
/// without shifters needs).
int64_t getValueBits(const WeightEncoding &encoding);

/// Whether q is one of the encoding's integers.
bool isRepresentable(const WeightEncoding &encoding, int64_t q);
/// Non-zero power-of-two terms of q as the encoding computes with it: pot 1
/// (0 for 0), apot the terms of its sum (its binary ones), csd and multiply
/// its non-zero canonical-signed-digit digits.
int64_t countTerms(const WeightEncoding &encoding, int64_t q);

/// The canonical signed digits of v (non-adjacent form), least significant
/// first, each -1, 0 or +1.
llvm::SmallVector<int8_t, 20> getCSDDigits(int64_t v);
int64_t countCSDDigits(int64_t v);
/// The integer nearest v with at most `maxDigits` non-zero CSD digits and
/// |result| <= limit; ties go toward zero.
int64_t roundToCSDDigits(int64_t v, int64_t maxDigits, int64_t limit);

/// APoT's magnitudes for `bits` (sign included) as integers, ascending, 0
/// first: sums of one level from each term's set {0, 2^-i, 2^-(i+n), ...},
/// scaled by the smallest term's inverse.
llvm::SmallVector<int64_t, 64> getAPoTMagnitudes(int64_t bits);

/// Rounds r (a weight over its channel's scale, in units of q) to the
/// encoding's integer: pot to the nearest power of two in the log domain
/// (|r| < 1/2 to 0), apot to the nearest magnitude (ties toward zero), csd
/// and multiply to the nearest integer (ties to even) and then to at most
/// maxDigits digits. Results are clamped to +-getLargestMagnitude().
int64_t encodeReal(const WeightEncoding &encoding, double r);

} // namespace tandem

#endif // TANDEM_SUPPORT_WEIGHTENCODING_H
