//===- Policy.cpp - Per-layer quantization policies -----------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/Policy.h"
#include "tandem/Support/FileIO.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include <cstdio>

using namespace llvm;
using namespace tandem;
using namespace tandem::quant;

static constexpr StringLiteral kFormat = "tandem-quantization-policy/1";

StringRef quant::stringifyClipping(Clipping clipping) {
  switch (clipping) {
  case Clipping::MinMax:
    return "minmax";
  case Clipping::Percentile:
    return "percentile";
  case Clipping::MSE:
    return "mse";
  case Clipping::KL:
    return "kl";
  }
  return "";
}

std::optional<Clipping> quant::parseClipping(StringRef text) {
  return StringSwitch<std::optional<Clipping>>(text)
      .Case("minmax", Clipping::MinMax)
      .Case("percentile", Clipping::Percentile)
      .Case("mse", Clipping::MSE)
      .Case("kl", Clipping::KL)
      .Default(std::nullopt);
}

bool quant::isSupportedBits(int64_t bits) {
  return (bits >= 2 && bits <= 8) || bits == 16;
}

LayerBits Policy::getBits(StringRef layer) const {
  auto it = layers.find(layer.str());
  return it == layers.end() ? defaults : it->second;
}

std::string ActivationClipping::str() const {
  std::string name = stringifyClipping(method).str();
  if (method == Clipping::Percentile) {
    char digits[32];
    snprintf(digits, sizeof(digits), "%.10g", percentile);
    name += ":" + std::string(digits);
  }
  return name;
}

ActivationClipping Policy::getActivationClipping(StringRef layer) const {
  auto it = layerActivationClipping.find(layer.str());
  if (it == layerActivationClipping.end())
    return {activationClipping, percentile};
  return it->second;
}

Policy quant::uniformPolicy(int64_t weightBits, int64_t activationBits) {
  Policy policy;
  policy.defaults = {weightBits, activationBits};
  return policy;
}

namespace {

/// Reads one JSON object strictly: every key must be known, every error
/// names the file and the field's path.
class ObjectReader {
public:
  ObjectReader(const json::Object &object, std::string path, StringRef source,
               std::string &error)
      : object(object), path(std::move(path)), source(source), error(error) {}

  /// Fails on keys not in `known`.
  bool checkKeys(ArrayRef<StringRef> known) {
    for (const auto &entry : object) {
      StringRef key = entry.first;
      if (!llvm::is_contained(known, key))
        return fail(field(key), formatv("unknown field (known: {0})",
                                        llvm::join(known, ", ")));
    }
    return true;
  }

  bool readBits(StringRef key, int64_t &out) {
    const json::Value *v = object.get(key);
    if (!v)
      return true;
    std::optional<int64_t> bits = v->getAsInteger();
    if (!bits || !isSupportedBits(*bits))
      return fail(field(key),
                  "expected an integer number of bits, 2..8 or 16, got " +
                      describe(*v));
    out = *bits;
    return true;
  }

  bool readEncoding(StringRef key, EncodingKind &kind, int64_t &maxDigits) {
    const json::Value *v = object.get(key);
    if (!v)
      return true;
    std::optional<StringRef> s = v->getAsString();
    if (!s)
      return fail(field(key),
                  "expected a string such as \"csd-2\", got " + describe(*v));
    if (Error err = parseEncodingChoice(*s, kind, maxDigits))
      return fail(field(key), toString(std::move(err)));
    return true;
  }

  bool readBool(StringRef key, bool &out) {
    const json::Value *v = object.get(key);
    if (!v)
      return true;
    std::optional<bool> b = v->getAsBoolean();
    if (!b)
      return fail(field(key), "expected true or false, got " + describe(*v));
    out = *b;
    return true;
  }

  bool readClipping(StringRef key, Clipping &out) {
    const json::Value *v = object.get(key);
    if (!v)
      return true;
    std::optional<StringRef> s = v->getAsString();
    std::optional<Clipping> c = s ? parseClipping(*s) : std::nullopt;
    if (!c)
      return fail(
          field(key),
          "expected \"minmax\", \"percentile\", \"mse\" or \"kl\", got " +
              describe(*v));
    out = *c;
    return true;
  }

  bool readGranularity(StringRef key, bool &perChannel) {
    const json::Value *v = object.get(key);
    if (!v)
      return true;
    std::optional<StringRef> s = v->getAsString();
    if (!s || (*s != "per-channel" && *s != "per-tensor"))
      return fail(field(key),
                  "expected \"per-channel\" or \"per-tensor\", got " +
                      describe(*v));
    perChannel = *s == "per-channel";
    return true;
  }

  bool readRounding(StringRef key, WeightRounding &rounding) {
    const json::Value *v = object.get(key);
    if (!v)
      return true;
    std::optional<StringRef> s = v->getAsString();
    std::optional<WeightRounding> r;
    if (s)
      r = parseWeightRounding(*s);
    if (!r)
      return fail(
          field(key),
          "expected \"nearest\", \"gptq\" or \"gptq-sequential\", got " +
              describe(*v));
    rounding = *r;
    return true;
  }

  bool readPercentile(StringRef key, double &out) {
    const json::Value *v = object.get(key);
    if (!v)
      return true;
    std::optional<double> p = v->getAsNumber();
    if (!p || !(*p > 50.0 && *p <= 100.0))
      return fail(field(key),
                  "expected a percentage in (50, 100], got " + describe(*v));
    out = *p;
    return true;
  }

  /// A sub-object, or null with an error when the value is not an object.
  const json::Object *getObject(StringRef key, bool &ok) {
    const json::Value *v = object.get(key);
    if (!v)
      return nullptr;
    const json::Object *o = v->getAsObject();
    if (!o)
      ok = fail(field(key), "expected an object, got " + describe(*v));
    return o;
  }

  std::string field(StringRef key) const {
    return path.empty() ? key.str() : path + "." + key.str();
  }

  bool fail(StringRef fieldPath, const Twine &message) {
    error = (source + ": field '" + fieldPath + "': " + message).str();
    return false;
  }

private:
  static std::string describe(const json::Value &v) {
    std::string s;
    raw_string_ostream os(s);
    os << v;
    if (s.size() > 40)
      s = s.substr(0, 37) + "...";
    return s;
  }

  const json::Object &object;
  std::string path;
  StringRef source;
  std::string &error;
};

/// A layer entry's widths and, where `clipping` is given (in `layers`, not
/// `default`), its activation clipping, whose percentile defaults to
/// `clipping`'s.
bool readLayerBits(const json::Object &object, const std::string &path,
                   StringRef source, std::string &error, LayerBits &bits,
                   std::optional<ActivationClipping> *clipping = nullptr) {
  ObjectReader r(object, path, source, error);
  std::vector<StringRef> keys = {"weight_bits", "activation_bits", "encoding"};
  if (clipping) {
    keys.push_back("activation_clipping");
    keys.push_back("activation_percentile");
  }
  if (!r.checkKeys(keys) || !r.readBits("weight_bits", bits.weightBits) ||
      !r.readBits("activation_bits", bits.activationBits) ||
      !r.readEncoding("encoding", bits.encoding, bits.maxDigits))
    return false;
  if (Error err = checkEncoding(bits.getWeightEncoding()))
    return r.fail(r.field("encoding"), "with weight_bits " +
                                           std::to_string(bits.weightBits) +
                                           ": " + toString(std::move(err)));
  if (!clipping)
    return true;
  ActivationClipping c = **clipping;
  bool own =
      object.get("activation_clipping") || object.get("activation_percentile");
  if (!r.readClipping("activation_clipping", c.method) ||
      !r.readPercentile("activation_percentile", c.percentile))
    return false;
  if (object.get("activation_percentile") && c.method != Clipping::Percentile)
    return r.fail(r.field("activation_percentile"),
                  "only with \"activation_clipping\": \"percentile\"");
  if (own)
    *clipping = c;
  else
    clipping->reset();
  return true;
}

} // namespace

Expected<Policy> quant::parsePolicy(StringRef text, StringRef source) {
  Expected<json::Value> parsed = json::parse(text);
  if (!parsed)
    return createStringError(inconvertibleErrorCode(), "%s: malformed JSON: %s",
                             source.str().c_str(),
                             toString(parsed.takeError()).c_str());
  const json::Object *root = parsed->getAsObject();
  if (!root)
    return createStringError(inconvertibleErrorCode(),
                             "%s: expected a JSON object at the top level",
                             source.str().c_str());
  Policy policy;
  std::string error;
  ObjectReader r(*root, "", source, error);
  bool ok = r.checkKeys(
      {"format", "default", "layers", "output_bits", "weights", "activations"});
  if (ok) {
    if (const json::Value *f = root->get("format")) {
      std::optional<StringRef> s = f->getAsString();
      if (!s || *s != kFormat)
        ok = r.fail("format", "expected \"" + kFormat + "\"");
    }
  }
  if (ok)
    ok = r.readBits("output_bits", policy.outputBits);
  if (ok) {
    if (const json::Object *d = r.getObject("default", ok))
      ok = readLayerBits(*d, "default", source, error, policy.defaults);
  }
  if (ok) {
    if (const json::Object *w = r.getObject("weights", ok)) {
      ObjectReader wr(*w, "weights", source, error);
      ok = wr.checkKeys({"granularity", "symmetric", "clipping", "rounding",
                         "bias_correction"}) &&
           wr.readGranularity("granularity", policy.weightPerChannel) &&
           wr.readBool("symmetric", policy.weightSymmetric) &&
           wr.readClipping("clipping", policy.weightClipping) &&
           wr.readRounding("rounding", policy.weightRounding) &&
           wr.readBool("bias_correction", policy.biasCorrection);
      if (ok && (policy.weightClipping == Clipping::Percentile ||
                 policy.weightClipping == Clipping::KL))
        ok = wr.fail("weights.clipping",
                     "weights are clipped by \"minmax\" or \"mse\"");
    }
  }
  if (ok) {
    if (const json::Object *a = r.getObject("activations", ok)) {
      ObjectReader ar(*a, "activations", source, error);
      ok = ar.checkKeys(
               {"symmetric", "clipping", "percentile", "depthwise_inputs"}) &&
           ar.readBool("symmetric", policy.activationSymmetric) &&
           ar.readClipping("clipping", policy.activationClipping) &&
           ar.readPercentile("percentile", policy.percentile) &&
           ar.readGranularity("depthwise_inputs",
                              policy.depthwiseInputsPerChannel);
    }
  }
  if (ok) {
    if (const json::Object *layers = r.getObject("layers", ok)) {
      for (const auto &entry : *layers) {
        std::string path = "layers." + entry.first.str();
        const json::Object *o = entry.second.getAsObject();
        if (!o) {
          ok = r.fail(path, "expected an object with weight_bits and "
                            "activation_bits");
          break;
        }
        LayerBits bits = policy.defaults;
        std::optional<ActivationClipping> clipping =
            ActivationClipping{policy.activationClipping, policy.percentile};
        if (!(ok = readLayerBits(*o, path, source, error, bits, &clipping)))
          break;
        policy.layers[entry.first.str()] = bits;
        if (clipping)
          policy.layerActivationClipping[entry.first.str()] = *clipping;
      }
    }
  }
  // A shift-add product has no zero point to subtract.
  auto asymmetricShiftAdd = [&](const LayerBits &bits, StringRef path) {
    if (policy.weightSymmetric || bits.encoding == EncodingKind::Multiply)
      return false;
    ok = r.fail(path, "the shift-add encoding '" +
                          printEncodingChoice(bits.encoding, bits.maxDigits) +
                          "' needs symmetric weights (weights.symmetric: "
                          "true)");
    return true;
  };
  if (ok && !asymmetricShiftAdd(policy.defaults, "default.encoding"))
    for (const auto &[name, bits] : policy.layers)
      if (asymmetricShiftAdd(bits, "layers." + name + ".encoding"))
        break;
  if (!ok)
    return createStringError(inconvertibleErrorCode(), error);
  return policy;
}

std::optional<WeightRounding> quant::parseWeightRounding(StringRef name) {
  if (name == "nearest")
    return WeightRounding::Nearest;
  if (name == "gptq")
    return WeightRounding::GPTQ;
  if (name == "gptq-sequential")
    return WeightRounding::GPTQSequential;
  return std::nullopt;
}

StringRef quant::stringifyWeightRounding(WeightRounding rounding) {
  switch (rounding) {
  case WeightRounding::Nearest:
    return "nearest";
  case WeightRounding::GPTQ:
    return "gptq";
  case WeightRounding::GPTQSequential:
    return "gptq-sequential";
  }
  llvm_unreachable("unknown weight rounding");
}

Expected<Policy> quant::loadPolicy(StringRef path) {
  auto buffer = readInputFile(path, kMaxTextFileBytes);
  if (!buffer)
    return buffer.takeError();
  return parsePolicy((*buffer)->getBuffer(), path);
}

std::string quant::printPolicy(const Policy &policy) {
  auto bits = [](const LayerBits &b) {
    return json::Object{
        {"weight_bits", b.weightBits},
        {"activation_bits", b.activationBits},
        {"encoding", printEncodingChoice(b.encoding, b.maxDigits)}};
  };
  json::Object layers;
  for (const auto &[name, b] : policy.layers)
    layers[name] = bits(b);
  for (const auto &[name, c] : policy.layerActivationClipping) {
    if (!layers.get(name))
      layers[name] = bits(policy.getBits(name));
    json::Object &layer = *layers.getObject(name);
    layer["activation_clipping"] = stringifyClipping(c.method);
    if (c.method == Clipping::Percentile)
      layer["activation_percentile"] = c.percentile;
  }
  json::Object root{
      {"format", kFormat},
      {"default", bits(policy.defaults)},
      {"output_bits", policy.outputBits},
      {"weights",
       json::Object{
           {"granularity",
            policy.weightPerChannel ? "per-channel" : "per-tensor"},
           {"symmetric", policy.weightSymmetric},
           {"clipping", stringifyClipping(policy.weightClipping)},
           {"rounding", stringifyWeightRounding(policy.weightRounding)},
           {"bias_correction", policy.biasCorrection}}},
      {"activations",
       json::Object{{"symmetric", policy.activationSymmetric},
                    {"clipping", stringifyClipping(policy.activationClipping)},
                    {"percentile", policy.percentile},
                    {"depthwise_inputs", policy.depthwiseInputsPerChannel
                                             ? "per-channel"
                                             : "per-tensor"}}},
      {"layers", std::move(layers)},
  };
  std::string out;
  raw_string_ostream os(out);
  os << formatv("{0:2}", json::Value(std::move(root))) << "\n";
  return out;
}
