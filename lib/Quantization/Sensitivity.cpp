//===- Sensitivity.cpp - What quantizing one layer costs in accuracy ------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/Sensitivity.h"
#include "tandem/Support/FileIO.h"
#include "tandem/Support/Limits.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <chrono>

using namespace tandem;
using namespace tandem::quant;
using llvm::Expected;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

/// The width that stands for "not quantized" while one layer is measured.
constexpr int64_t kNearlyFloatBits = 16;

} // namespace

double Quality::getSQNR() const {
  return noise > 0 ? -10 * std::log10(noise) : INFINITY;
}

const Quality *Sensitivity::getWeightQuality(unsigned layer,
                                             LayerBits bits) const {
  if (bits.encoding == EncodingKind::Multiply)
    return bits.weightBits <= kMaxTableBits
               ? &weight[layer][bits.weightBits - 1]
               : nullptr;
  for (auto [e, encoding] : llvm::enumerate(encodings))
    if (encoding == bits.getWeightEncoding())
      return &encodedWeight[layer][e];
  return nullptr;
}

double Sensitivity::estimateNoise(llvm::ArrayRef<LayerBits> bits) const {
  double total = reference.noise;
  for (auto [i, b] : llvm::enumerate(bits)) {
    if (const Quality *w = getWeightQuality(i, b))
      total += std::max(0.0, w->noise - reference.noise);
    if (b.activationBits <= kMaxTableBits)
      total += std::max(0.0, activation[i][b.activationBits - 1].noise -
                                 reference.noise);
  }
  return total;
}

double Sensitivity::getScoreDrop(unsigned layer, LayerBits bits) const {
  double drop = 0;
  if (const Quality *w = getWeightQuality(layer, bits))
    drop += std::max(0.0, reference.score() - w->score());
  if (bits.activationBits <= kMaxTableBits)
    drop +=
        std::max(0.0, reference.score() -
                          activation[layer][bits.activationBits - 1].score());
  return drop;
}

double Sensitivity::estimateScore(llvm::ArrayRef<LayerBits> bits) const {
  double score = reference.score();
  for (auto [i, b] : llvm::enumerate(bits))
    score -= getScoreDrop(i, b);
  return score;
}

Expected<Sensitivity> tandem::quant::measureSensitivity(
    AccuracyOracle &oracle, llvm::ArrayRef<LayerInfo> layers,
    llvm::ArrayRef<int64_t> bits, llvm::ArrayRef<WeightEncoding> encodings,
    llvm::ArrayRef<ActivationClipping> activationClippings,
    const Policy &options, int64_t samples,
    llvm::function_ref<bool(unsigned, unsigned)> progress) {
  auto start = std::chrono::steady_clock::now();
  Sensitivity s;
  s.bits.assign(bits.begin(), bits.end());
  s.encodings.assign(encodings.begin(), encodings.end());
  s.samples = samples;
  s.weight.resize(layers.size());
  s.activation.resize(layers.size());
  s.encodedWeight.assign(layers.size(), std::vector<Quality>(encodings.size()));
  s.activationClippings.assign(activationClippings.begin(),
                               activationClippings.end());
  if (!activationClippings.empty())
    s.activationClipping.resize(layers.size());
  // Clipping stays at its defaults (the benchmarks' tables were measured
  // so; with the run's percentile clipping the CNN's ILP on BitFusion chose
  // a policy 0.4 points worse); bias correction, which changes what an
  // encoding costs in accuracy, and per-channel depthwise inputs, which
  // change what a depthwise layer's narrow activations cost, follow the run.
  Policy base = uniformPolicy(kNearlyFloatBits, kNearlyFloatBits);
  base.biasCorrection = options.biasCorrection;
  base.depthwiseInputsPerChannel = options.depthwiseInputsPerChannel;
  auto reference = oracle.measure(base);
  if (!reference)
    return reference.takeError();
  s.reference = *reference;
  for (const LayerInfo &layer : layers)
    s.layers.push_back(layer.name);
  // Less the reference, measured above.
  unsigned total = s.getNumModels() - 1, done = 0;
  auto interrupted = [&] {
    return fail(llvm::formatv("interrupted after {0} of {1} sensitivity "
                              "measurements",
                              done, total)
                    .str());
  };
  for (auto [i, layer] : llvm::enumerate(layers)) {
    // Only the weights encoded (layers without weights cannot be).
    for (auto [e, encoding] : llvm::enumerate(encodings)) {
      Policy p = base;
      if (layer.params > 0) {
        p.layers[layer.name] = LayerBits::get(encoding, kNearlyFloatBits);
        auto q = oracle.measure(p);
        if (!q)
          return q.takeError();
        s.encodedWeight[i][e] = *q;
      } else {
        s.encodedWeight[i][e] = s.reference;
      }
      if (!progress(++done, total))
        return interrupted();
    }
    for (int64_t b : bits) {
      Policy p = base;
      p.layers[layer.name] = LayerBits{b, kNearlyFloatBits};
      auto w = oracle.measure(p);
      if (!w)
        return w.takeError();
      s.weight[i][b - 1] = *w;
      if (!progress(++done, total))
        return interrupted();
      // The activations once per clipping: the most accurate is kept (the
      // least noise among equals).
      p.layers[layer.name] = LayerBits{kNearlyFloatBits, b};
      ActivationClipping own = base.getActivationClipping(layer.name);
      for (auto [c, clipping] :
           llvm::enumerate(activationClippings.empty()
                               ? llvm::ArrayRef<ActivationClipping>(own)
                               : activationClippings)) {
        if (!activationClippings.empty())
          p.layerActivationClipping[layer.name] = clipping;
        auto q = oracle.measure(p);
        if (!q)
          return q.takeError();
        Quality &best = s.activation[i][b - 1];
        if (c == 0 || q->score() > best.score() ||
            (q->score() == best.score() && q->noise < best.noise)) {
          best = *q;
          if (!activationClippings.empty())
            s.activationClipping[i][b - 1] = clipping;
        }
        if (!progress(++done, total))
          return interrupted();
      }
    }
  }
  s.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return s;
}

namespace {

llvm::json::Value toJSON(const Quality &q) {
  auto number = [](double v) -> llvm::json::Value {
    return std::isnan(v) ? llvm::json::Value(nullptr) : llvm::json::Value(v);
  };
  return llvm::json::Object{{"accuracy", number(q.accuracy)},
                            {"agreement", number(q.agreement)},
                            {"noise", number(q.noise)}};
}

bool fromJSON(const llvm::json::Value *v, Quality &q) {
  const llvm::json::Object *o = v ? v->getAsObject() : nullptr;
  if (!o)
    return false;
  auto read = [&](llvm::StringRef key, double &out) {
    const llvm::json::Value *x = o->get(key);
    if (!x)
      return false;
    if (x->getAsNull()) {
      out = NAN;
      return true;
    }
    auto d = x->getAsNumber();
    if (d)
      out = *d;
    return d.has_value();
  };
  return read("accuracy", q.accuracy) && read("agreement", q.agreement) &&
         read("noise", q.noise);
}

} // namespace

std::string tandem::quant::printSensitivity(const Sensitivity &s,
                                            llvm::StringRef key) {
  llvm::json::Array layers;
  for (auto [i, name] : llvm::enumerate(s.layers)) {
    llvm::json::Object weights, activations;
    for (int64_t b : s.bits) {
      weights[std::to_string(b)] = toJSON(s.weight[i][b - 1]);
      llvm::json::Value a = toJSON(s.activation[i][b - 1]);
      if (std::optional<ActivationClipping> c = s.getActivationClipping(i, b)) {
        (*a.getAsObject())["clipping"] = stringifyClipping(c->method);
        if (c->method == Clipping::Percentile)
          (*a.getAsObject())["percentile"] = c->percentile;
      }
      activations[std::to_string(b)] = std::move(a);
    }
    // Encoded weights under their labels ("PoT-5", "CSD8-2").
    for (auto [e, encoding] : llvm::enumerate(s.encodings))
      weights[getEncodingLabel(encoding)] = toJSON(s.encodedWeight[i][e]);
    layers.push_back(
        llvm::json::Object{{"name", name},
                           {"weights", std::move(weights)},
                           {"activations", std::move(activations)}});
  }
  llvm::json::Object root{{"format", "tandem-sensitivity/1"},
                          {"key", key},
                          {"bits", llvm::json::Array(s.bits)},
                          {"samples", s.samples},
                          {"seconds", s.seconds},
                          {"reference_w16a16", toJSON(s.reference)},
                          {"fp32", toJSON(s.fp32)},
                          {"layers", std::move(layers)}};
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  return out;
}

Expected<Sensitivity> tandem::quant::parseSensitivity(
    llvm::StringRef json, llvm::StringRef source, llvm::StringRef key,
    llvm::ArrayRef<WeightEncoding> encodings,
    llvm::ArrayRef<ActivationClipping> activationClippings) {
  auto bad = [&](const llvm::Twine &what) {
    return fail(source + ": " + what);
  };
  Expected<llvm::json::Value> parsed = llvm::json::parse(json);
  if (!parsed)
    return bad("not JSON: " + toString(parsed.takeError()));
  const llvm::json::Object *root = parsed->getAsObject();
  if (!root || root->getString("format") != "tandem-sensitivity/1")
    return bad("not a tandem-sensitivity/1 file");
  if (root->getString("key") != key)
    return bad("measured for another model, dataset or options");
  Sensitivity s;
  s.encodings.assign(encodings.begin(), encodings.end());
  s.activationClippings.assign(activationClippings.begin(),
                               activationClippings.end());
  const llvm::json::Array *bits = root->getArray("bits");
  const llvm::json::Array *layers = root->getArray("layers");
  if (!bits || !layers)
    return bad("field 'bits' or 'layers' missing");
  for (const llvm::json::Value &b : *bits) {
    auto v = b.getAsInteger();
    if (!v || *v < 1 || *v > kMaxTableBits)
      return bad("field 'bits': expected widths 1..8");
    s.bits.push_back(*v);
  }
  s.samples = root->getInteger("samples").value_or(0);
  s.seconds = root->getNumber("seconds").value_or(0);
  if (!fromJSON(root->get("reference_w16a16"), s.reference) ||
      !fromJSON(root->get("fp32"), s.fp32))
    return bad("field 'reference_w16a16' or 'fp32' malformed");
  for (auto [i, l] : llvm::enumerate(*layers)) {
    const llvm::json::Object *o = l.getAsObject();
    auto name = o ? o->getString("name") : std::nullopt;
    const llvm::json::Object *w = o ? o->getObject("weights") : nullptr;
    const llvm::json::Object *a = o ? o->getObject("activations") : nullptr;
    if (!name || !w || !a)
      return bad(llvm::formatv("layers[{0}] malformed", i));
    s.layers.push_back(name->str());
    s.weight.emplace_back();
    s.activation.emplace_back();
    for (int64_t b : s.bits)
      if (!fromJSON(w->get(std::to_string(b)), s.weight.back()[b - 1]) ||
          !fromJSON(a->get(std::to_string(b)), s.activation.back()[b - 1]))
        return bad(llvm::formatv("layers[{0}]: width {1} malformed", i, b));
    if (!activationClippings.empty()) {
      s.activationClipping.emplace_back();
      for (int64_t b : s.bits) {
        const llvm::json::Object *entry = a->getObject(std::to_string(b));
        std::optional<llvm::StringRef> name = entry->getString("clipping");
        std::optional<Clipping> method =
            name ? parseClipping(*name) : std::nullopt;
        ActivationClipping c{method.value_or(Clipping::MinMax),
                             entry->getNumber("percentile").value_or(0)};
        if (!method || !llvm::is_contained(activationClippings, c))
          return bad(llvm::formatv(
              "layers[{0}]: width {1}: activation clipping missing", i, b));
        s.activationClipping.back()[b - 1] = c;
      }
    }
    s.encodedWeight.emplace_back(encodings.size());
    for (auto [e, encoding] : llvm::enumerate(encodings))
      if (!fromJSON(w->get(getEncodingLabel(encoding)),
                    s.encodedWeight.back()[e]))
        return bad(llvm::formatv("layers[{0}]: {1} missing or malformed", i,
                                 getEncodingLabel(encoding)));
  }
  return s;
}

Expected<Sensitivity> tandem::quant::loadOrMeasureSensitivity(
    AccuracyOracle &oracle, llvm::ArrayRef<LayerInfo> layers,
    llvm::ArrayRef<int64_t> bits, llvm::ArrayRef<WeightEncoding> encodings,
    llvm::ArrayRef<ActivationClipping> activationClippings,
    const Policy &options, int64_t samples, const Quality &fp32,
    llvm::StringRef path, llvm::StringRef key,
    llvm::function_ref<void(const llvm::Twine &)> log,
    const std::atomic<bool> *interrupted, bool &reused) {
  reused = false;
  if (!path.empty() && llvm::sys::fs::exists(path)) {
    auto buffer = readInputFile(path, kMaxTextFileBytes);
    if (!buffer)
      return buffer.takeError();
    auto stored = parseSensitivity((*buffer)->getBuffer(), path, key, encodings,
                                   activationClippings);
    if (stored && stored->layers.size() == layers.size() &&
        llvm::ArrayRef(stored->bits) == bits) {
      reused = true;
      log("sensitivity: reusing " + path);
      return std::move(*stored);
    }
    log("sensitivity: not reusing " + path + " (" +
        (stored ? std::string("other layers or widths")
                : toString(stored.takeError())) +
        ")");
  }
  auto s = measureSensitivity(
      oracle, layers, bits, encodings, activationClippings, options, samples,
      [&](unsigned done, unsigned total) {
        if (done % 8 == 0 || done == total)
          log(llvm::formatv("sensitivity: {0}/{1} models measured", done,
                            total));
        return !(interrupted && *interrupted);
      });
  if (!s)
    return s.takeError();
  s->fp32 = fp32;
  if (path.empty())
    return s;
  // Written once everything was checked: a run that fails before it leaves
  // no directory behind.
  if (std::error_code ec =
          llvm::sys::fs::create_directories(llvm::sys::path::parent_path(path)))
    return llvm::createStringError(ec, "cannot create the directory of '" +
                                           path + "': " + ec.message());
  if (llvm::Error err = writeOutputFile(path, [&](llvm::raw_ostream &os) {
        os << printSensitivity(*s, key);
        return llvm::Error::success();
      }))
    return std::move(err);
  return s;
}
