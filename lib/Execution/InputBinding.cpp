//===- InputBinding.cpp - A model's inputs and outputs from files ---------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Execution/InputBinding.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <map>
#include <random>

using namespace llvm;
using namespace tandem;
using namespace tandem::exec;

static Error bindingError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

Expected<Tensor> exec::parseInlineValues(const TensorSignature &sig,
                                         StringRef text) {
  Tensor t(sig.type, sig.shape);
  SmallVector<StringRef> items;
  SplitString(text, items, ", ");
  int64_t n = t.getNumElements();
  if (items.size() != 1 && static_cast<int64_t>(items.size()) != n)
    return bindingError("--values for '" + sig.name + "' gives " +
                        Twine(items.size()) + " values; " + sig.describe() +
                        " needs " + Twine(n) + " (or one for all)");
  for (int64_t i = 0; i < n; ++i) {
    StringRef item = items[items.size() == 1 ? 0 : i];
    double v;
    if (item.getAsDouble(v) || !std::isfinite(v))
      return bindingError("--values for '" + sig.name + "': '" + item +
                          "' is not a finite number");
    // Integers must be exact and within the element type.
    if (!isFloat(sig.type)) {
      int bits = sig.type == ElementType::I1 ? 1 : 8 * getElementSize(sig.type);
      double lo = bits == 1 ? 0 : -std::ldexp(1.0, bits - 1),
             hi = bits == 1 ? 1 : std::ldexp(1.0, bits - 1) - 1;
      if (v != std::trunc(v) || v < lo || v > hi)
        return bindingError("--values for '" + sig.name + "': '" + item +
                            "' is not a " + getElementTypeName(sig.type) +
                            " value");
    }
    t.setFromDouble(i, v);
  }
  return t;
}

Expected<std::vector<Tensor>> exec::bindInputs(ArrayRef<TensorSignature> sigs,
                                               const InputSources &sources,
                                               TensorFileReader readFile) {
  std::map<std::string, Tensor> given;
  auto indexOf = [&](StringRef name) -> int {
    for (auto [i, s] : llvm::enumerate(sigs))
      if (s.name == name)
        return i;
    return -1;
  };
  auto unknown = [&](StringRef name) {
    std::string names;
    for (const TensorSignature &s : sigs)
      names += " '" + s.name + "'";
    return bindingError("the model has no input '" + name +
                        "'; its inputs are:" + names);
  };
  for (const auto &[name, path] : sources.files) {
    if (indexOf(name) < 0)
      return unknown(name);
    auto t = readFile(path);
    if (!t)
      return t.takeError();
    given[name] = std::move(*t);
  }
  for (const auto &[name, text] : sources.values) {
    int i = indexOf(name);
    if (i < 0)
      return unknown(name);
    auto t = parseInlineValues(sigs[i], text);
    if (!t)
      return t.takeError();
    given[name] = std::move(*t);
  }
  if (sources.positional.size() > sigs.size())
    return bindingError("got " + Twine(sources.positional.size()) +
                        " input files for a model with " + Twine(sigs.size()) +
                        " inputs");
  for (auto [i, path] : llvm::enumerate(sources.positional)) {
    auto t = readFile(path);
    if (!t)
      return t.takeError();
    given[sigs[i].name] = std::move(*t);
  }
  std::mt19937 rng(sources.seed);
  std::vector<Tensor> inputs;
  for (const TensorSignature &sig : sigs) {
    auto it = given.find(sig.name);
    if (it != given.end()) {
      const Tensor &t = it->second;
      if (t.type != sig.type ||
          ArrayRef<int64_t>(t.shape) != ArrayRef<int64_t>(sig.shape))
        return bindingError("input '" + sig.name + "' must be " +
                            sig.describe() + ", but the given value is " +
                            t.describe());
      inputs.push_back(t);
      continue;
    }
    if (!sources.random)
      return bindingError("no value for input '" + sig.name + "' (" +
                          sig.describe() + "); give it with --input " +
                          sig.name +
                          "=FILE, positionally, or use --random-inputs");
    Tensor t(sig.type, sig.shape);
    std::uniform_real_distribution<double> real(-1.0, 1.0);
    std::uniform_int_distribution<int> integer(0, 9);
    for (int64_t k = 0; k < t.getNumElements(); ++k)
      t.setFromDouble(k, isFloat(sig.type) ? real(rng) : integer(rng));
    inputs.push_back(std::move(t));
  }
  return inputs;
}

static std::string formatIndex(ArrayRef<int64_t> shape, int64_t flat) {
  SmallVector<int64_t> index(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  std::string s = "[";
  for (auto [k, v] : llvm::enumerate(index))
    s += (k ? ", " : "") + std::to_string(v);
  return s + "]";
}

Error exec::compareTensors(StringRef name, StringRef file, const Tensor &actual,
                           const Tensor &expected, double rtol, double atol) {
  if (ArrayRef<int64_t>(actual.shape) != ArrayRef<int64_t>(expected.shape) ||
      actual.type != expected.type)
    return bindingError("output '" + name + "' is " + actual.describe() +
                        ", but '" + file + "' holds " + expected.describe());
  int64_t worst = -1, bad = 0;
  double worstExcess = 0;
  for (int64_t i = 0, e = actual.getNumElements(); i < e; ++i) {
    double a = actual.getAsDouble(i), x = expected.getAsDouble(i);
    if (std::isnan(a) && std::isnan(x))
      continue;
    double allowed = atol + rtol * std::fabs(x);
    double diff = std::fabs(a - x);
    if (std::isnan(diff) || diff > allowed) {
      ++bad;
      double excess = std::isnan(diff) ? INFINITY : diff - allowed;
      if (worst < 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (bad == 0)
    return Error::success();
  double a = actual.getAsDouble(worst), x = expected.getAsDouble(worst);
  std::string message;
  raw_string_ostream os(message);
  os << "output '" << name << "' differs from '" << file << "': " << bad
     << " of " << actual.getNumElements() << " elements are outside rtol "
     << format("%g", rtol) << " / atol " << format("%g", atol)
     << "; the worst is at " << formatIndex(actual.shape, worst) << ": got "
     << format("%.9g", a) << ", expected " << format("%.9g", x) << " (|diff| "
     << format("%.3g", std::fabs(a - x)) << ")";
  return bindingError(message);
}
