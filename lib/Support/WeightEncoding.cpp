//===- WeightEncoding.cpp - Shift-add encodings of integer weights --------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Support/WeightEncoding.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <array>
#include <cmath>
#include <cstdlib>

using namespace llvm;

namespace tandem {

StringRef stringifyEncodingKind(EncodingKind kind) {
  switch (kind) {
  case EncodingKind::Multiply:
    return "multiply";
  case EncodingKind::PowerOfTwo:
    return "pot";
  case EncodingKind::APoT:
    return "apot";
  case EncodingKind::CSD:
    return "csd";
  }
  return "";
}

std::string printEncodingChoice(EncodingKind kind, int64_t maxDigits) {
  std::string text = stringifyEncodingKind(kind).str();
  if (kind == EncodingKind::CSD && maxDigits > 0)
    text += "-" + std::to_string(maxDigits);
  return text;
}

Error parseEncodingChoice(StringRef text, EncodingKind &kind,
                          int64_t &maxDigits) {
  maxDigits = 0;
  auto [name, digits] = text.split('-');
  if (name == "multiply" && digits.empty())
    kind = EncodingKind::Multiply;
  else if (name == "pot" && digits.empty())
    kind = EncodingKind::PowerOfTwo;
  else if (name == "apot" && digits.empty())
    kind = EncodingKind::APoT;
  else if (name == "csd" &&
           (!text.contains('-') ||
            (!digits.getAsInteger(10, maxDigits) && maxDigits >= 1)))
    kind = EncodingKind::CSD;
  else
    return createStringError(
        inconvertibleErrorCode(),
        "unknown encoding '%s': expected multiply, pot, apot, csd or csd-T "
        "(at most T non-zero digits, T >= 1)",
        text.str().c_str());
  return Error::success();
}

Expected<WeightEncoding> parseEncodingOption(StringRef text) {
  auto [choice, width] = text.split(':');
  WeightEncoding e;
  if (Error err = parseEncodingChoice(choice, e.kind, e.maxDigits))
    return std::move(err);
  if (e.kind == EncodingKind::Multiply)
    return createStringError(inconvertibleErrorCode(),
                             "'multiply' is not an encoding: the widths are "
                             "the multiply choices");
  e.bits = e.kind == EncodingKind::CSD ? 8 : 5;
  if (text.contains(':') && width.getAsInteger(10, e.bits))
    return createStringError(inconvertibleErrorCode(),
                             "'%s': expected ENCODING[:BITS], e.g. pot:4",
                             text.str().c_str());
  if (Error err = checkEncoding(e))
    return std::move(err);
  return e;
}

std::string getEncodingLabel(const WeightEncoding &e) {
  switch (e.kind) {
  case EncodingKind::Multiply:
    return formatv("W{0}", e.bits).str();
  case EncodingKind::PowerOfTwo:
    return formatv("PoT-{0}", e.bits).str();
  case EncodingKind::APoT:
    return formatv("APoT-{0}", e.bits).str();
  case EncodingKind::CSD:
    return e.maxDigits > 0 ? formatv("CSD{0}-{1}", e.bits, e.maxDigits).str()
                           : formatv("CSD{0}", e.bits).str();
  }
  return "";
}

Error checkEncoding(const WeightEncoding &e) {
  auto fail = [&](const Twine &why) {
    return createStringError(inconvertibleErrorCode(), why.str());
  };
  switch (e.kind) {
  case EncodingKind::PowerOfTwo:
    // 6 bits would need exponents down to -31: integers beyond 32 bits.
    if (e.bits < 2 || e.bits > 5)
      return fail(formatv("pot takes 2 to 5 bits (sign and exponent), got {0}",
                          e.bits));
    break;
  case EncodingKind::APoT:
    if (e.bits < 3 || e.bits > 8)
      return fail(formatv(
          "apot takes 3 to 8 bits (sign and 2 to 7 magnitude bits), got {0}",
          e.bits));
    break;
  case EncodingKind::CSD:
  case EncodingKind::Multiply:
    if (e.bits < 2 || e.bits > 16)
      return fail(formatv("{0} takes 2 to 16 bits, got {1}",
                          stringifyEncodingKind(e.kind), e.bits));
    if (e.maxDigits > 0 && e.maxDigits > (e.bits + 1) / 2)
      return fail(formatv("a {0}-bit integer has at most {1} non-zero CSD "
                          "digits; csd-{2} limits nothing",
                          e.bits, (e.bits + 1) / 2, e.maxDigits));
    break;
  }
  if (e.maxDigits < 0 || (e.maxDigits > 0 && e.kind != EncodingKind::CSD))
    return fail("only csd takes a digit limit");
  return Error::success();
}

/// APoT's terms for `bits`: n = ceil(m / 2) terms over m = bits - 1
/// magnitude bits, two bits each (the last one bit when m is odd).
static unsigned getAPoTTerms(int64_t bits) { return unsigned(bits) / 2; }
static int64_t getAPoTTermBits(int64_t bits, unsigned term) {
  int64_t m = bits - 1;
  return (m % 2 && term + 1 == getAPoTTerms(bits)) ? 1 : 2;
}

SmallVector<int64_t, 64> getAPoTMagnitudes(int64_t bits) {
  unsigned n = getAPoTTerms(bits);
  // Term i (1-based) takes 2^-(i + j n) for j < 2^k - 1; the smallest of
  // all is 2^-deepest, and every level times 2^deepest is an integer.
  int64_t deepest = 0;
  for (unsigned t = 0; t < n; ++t)
    deepest = std::max<int64_t>(
        deepest,
        int64_t(t + 1) +
            ((int64_t(1) << getAPoTTermBits(bits, t)) - 2) * int64_t(n));
  SmallVector<int64_t, 64> levels = {0};
  for (unsigned t = 0; t < n; ++t) {
    SmallVector<int64_t, 64> next;
    int64_t choices = (int64_t(1) << getAPoTTermBits(bits, t)) - 1;
    for (int64_t level : levels) {
      next.push_back(level);
      for (int64_t j = 0; j < choices; ++j)
        next.push_back(level +
                       (int64_t(1) << (deepest - (int64_t(t + 1) + j * n))));
    }
    levels = std::move(next);
  }
  llvm::sort(levels);
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  return levels;
}

/// getAPoTMagnitudes for every width, computed once (encoding a model
/// looks them up per weight).
static ArrayRef<int64_t> lookupAPoTMagnitudes(int64_t bits) {
  static const auto table = [] {
    std::array<SmallVector<int64_t, 64>, 9> t;
    for (int64_t b = 3; b <= 8; ++b)
      t[b] = getAPoTMagnitudes(b);
    return t;
  }();
  return table[bits];
}

int64_t getLargestMagnitude(const WeightEncoding &e) {
  switch (e.kind) {
  case EncodingKind::PowerOfTwo:
    return int64_t(1) << ((int64_t(1) << (e.bits - 1)) - 1);
  case EncodingKind::APoT:
    return lookupAPoTMagnitudes(e.bits).back();
  case EncodingKind::CSD: {
    // The largest b-bit integer with few enough digits (int8, one digit:
    // 64, since 128 is out of range).
    int64_t top = (int64_t(1) << (e.bits - 1)) - 1;
    while (e.maxDigits > 0 && countCSDDigits(top) > e.maxDigits)
      --top;
    return top;
  }
  case EncodingKind::Multiply:
    return (int64_t(1) << (e.bits - 1)) - 1;
  }
  return 0;
}

int64_t getValueBits(const WeightEncoding &e) {
  return int64_t(Log2_64_Ceil(uint64_t(getLargestMagnitude(e)) + 1)) + 1;
}

SmallVector<int8_t, 20> getCSDDigits(int64_t v) {
  SmallVector<int8_t, 20> digits;
  while (v != 0) {
    int8_t d = 0;
    if (v & 1) {
      // v = 1 (mod 4): digit +1; v = 3 (mod 4): digit -1, so that the next
      // digit is 0 (no two adjacent non-zeros).
      d = (v & 3) == 1 ? 1 : -1;
      v -= d;
    }
    digits.push_back(d);
    v /= 2;
  }
  return digits;
}

/// |v| without overflow (a crafted i64 constant may hold INT64_MIN).
static uint64_t magnitude(int64_t v) {
  return v < 0 ? 0 - uint64_t(v) : uint64_t(v);
}

int64_t countCSDDigits(int64_t v) {
  // The non-adjacent form's digits are where x/2 and 3x/2 differ (Hacker's
  // Delight's NAF construction); checked against getCSDDigits in tests.
  uint64_t x = magnitude(v);
  return int64_t(llvm::popcount((x >> 1) ^ (x + (x >> 1))));
}

int64_t roundToCSDDigits(int64_t v, int64_t maxDigits, int64_t limit) {
  v = std::clamp(v, -limit, limit);
  if (maxDigits <= 0)
    return v;
  // Outward from v, the side toward zero first; 0 always qualifies.
  int64_t towardZero = v >= 0 ? -1 : 1;
  for (int64_t d = 0;; ++d)
    for (int64_t c : {v + towardZero * d, v - towardZero * d})
      if (std::abs(c) <= limit && countCSDDigits(c) <= maxDigits)
        return c;
}

bool isRepresentable(const WeightEncoding &e, int64_t q) {
  int64_t limit = getLargestMagnitude(e);
  if (magnitude(q) > uint64_t(limit))
    return false;
  switch (e.kind) {
  case EncodingKind::PowerOfTwo:
    return q == 0 || isPowerOf2_64(magnitude(q));
  case EncodingKind::APoT:
    return llvm::is_contained(lookupAPoTMagnitudes(e.bits),
                              int64_t(magnitude(q)));
  case EncodingKind::CSD:
    return e.maxDigits <= 0 || countCSDDigits(q) <= e.maxDigits;
  case EncodingKind::Multiply:
    return true;
  }
  return false;
}

int64_t countTerms(const WeightEncoding &e, int64_t q) {
  switch (e.kind) {
  case EncodingKind::PowerOfTwo:
    return q != 0;
  case EncodingKind::APoT:
    // Every term's powers are distinct from every other's: a level's terms
    // are its binary ones.
    return int64_t(llvm::popcount(magnitude(q)));
  case EncodingKind::CSD:
  case EncodingKind::Multiply:
    return countCSDDigits(q);
  }
  return 0;
}

int64_t encodeReal(const WeightEncoding &e, double r) {
  int64_t limit = getLargestMagnitude(e);
  double magnitude = std::fabs(r);
  int64_t sign = r < 0 ? -1 : 1;
  switch (e.kind) {
  case EncodingKind::PowerOfTwo: {
    if (!(magnitude >= 0.5))
      return 0;
    double k = std::round(std::log2(magnitude));
    int64_t top = (int64_t(1) << (e.bits - 1)) - 1;
    return sign * (int64_t(1) << int64_t(std::clamp(k, 0.0, double(top))));
  }
  case EncodingKind::APoT: {
    int64_t best = 0;
    for (int64_t level : lookupAPoTMagnitudes(e.bits))
      if (std::fabs(double(level) - magnitude) <
          std::fabs(double(best) - magnitude))
        best = level;
    return sign * best;
  }
  case EncodingKind::CSD:
  case EncodingKind::Multiply: {
    double clamped =
        std::clamp(std::nearbyint(r), -double(limit), double(limit));
    return roundToCSDDigits(int64_t(clamped), e.maxDigits, limit);
  }
  }
  return 0;
}

} // namespace tandem
