//===- DesignSpace.cpp - Design spaces from YAML, points to targets -------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Parsed with the YAML node API rather than YAMLTraits: a value may be a list,
// a range or a single scalar, and every error should name the field it is
// about ("parameters.levels.GLB.capacity_bytes: ...").
//
//===----------------------------------------------------------------------===//

#include "tandem/CoDesign/DesignSpace.h"
#include "tandem/Support/FileIO.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/GlobPattern.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLParser.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace llvm;
using namespace tandem;
using namespace tandem::codesign;

//===----------------------------------------------------------------------===//
// Parameters and points
//===----------------------------------------------------------------------===//

size_t Parameter::size() const {
  switch (kind) {
  case Kind::Dataflow:
    return dataflows.size();
  case Kind::Mac:
    return macs.size();
  case Kind::SupportedBits:
    return bitLists.size();
  case Kind::Layer:
    return choices.size();
  default:
    return numbers.size();
  }
}

json::Value Parameter::getValue(size_t i) const {
  switch (kind) {
  case Kind::Dataflow:
    return hw::stringifyDataflow(dataflows[i]);
  case Kind::Mac:
    return hw::stringifyMacKind(macs[i]);
  case Kind::SupportedBits: {
    json::Array list;
    for (int64_t b : bitLists[i])
      list.push_back(b);
    return list;
  }
  case Kind::Layer:
    return getChoiceLabel(choices[i]);
  case Kind::Clock:
  case Kind::ReadBandwidth:
  case Kind::WriteBandwidth:
    return numbers[i];
  default:
    return int64_t(numbers[i]);
  }
}

std::string Parameter::getLabel(size_t i) const {
  switch (kind) {
  case Kind::Dataflow:
    return hw::stringifyDataflow(dataflows[i]).str();
  case Kind::Mac:
    return hw::stringifyMacKind(macs[i]).str();
  case Kind::SupportedBits: {
    std::string text;
    for (int64_t b : bitLists[i])
      text += (text.empty() ? "" : " ") + std::to_string(b);
    return text;
  }
  case Kind::Layer:
    return getChoiceLabel(choices[i]);
  default:
    return formatv("{0}", format("%g", numbers[i])).str();
  }
}

std::string codesign::getChoiceLabel(const quant::LayerBits &bits) {
  return getEncodingLabel(bits.getWeightEncoding()) + "/A" +
         std::to_string(bits.activationBits);
}

uint64_t DesignSpace::size() const {
  uint64_t n = 1;
  for (const Parameter &p : parameters)
    n = SaturatingMultiply<uint64_t>(n, p.size());
  return n;
}

Point DesignSpace::getPoint(uint64_t id) const {
  Point point(parameters.size());
  for (size_t i = parameters.size(); i-- > 0;) {
    point[i] = id % parameters[i].size();
    id /= parameters[i].size();
  }
  return point;
}

uint64_t DesignSpace::getHardwareSize() const {
  uint64_t n = 1;
  for (unsigned i = 0; i < numHardwareParameters; ++i)
    n = SaturatingMultiply<uint64_t>(n, parameters[i].size());
  return n;
}

std::optional<uint64_t>
DesignSpace::getPointId(uint64_t hardwareId,
                        ArrayRef<quant::LayerBits> bits) const {
  // Hardware parameters come first: their digits are hardwareId's.
  uint64_t id = hardwareId;
  std::vector<unsigned> digits(parameters.size());
  for (size_t i = numHardwareParameters; i < parameters.size(); ++i) {
    const Parameter &p = parameters[i];
    auto it = llvm::find(p.choices, bits[p.level]);
    if (it == p.choices.end())
      return std::nullopt;
    digits[i] = it - p.choices.begin();
    id = id * p.size() + digits[i];
  }
  for (auto [i, l] : llvm::enumerate(layers)) {
    const quant::LayerBits &want =
        l.parameter < 0 ? l.fixed
                        : parameters[l.parameter].choices[digits[l.parameter]];
    if (!(bits[i] == want))
      return std::nullopt;
  }
  return id;
}

std::vector<quant::LayerBits> DesignSpace::getDistinctChoices() const {
  std::vector<quant::LayerBits> all = {quant::LayerBits{8, 8}};
  for (const NetworkLayer &l : layers)
    all.push_back(l.fixed);
  for (const Parameter &p : parameters)
    all.insert(all.end(), p.choices.begin(), p.choices.end());
  std::vector<quant::LayerBits> distinct;
  for (const quant::LayerBits &b : all)
    if (!llvm::is_contained(distinct, b))
      distinct.push_back(b);
  return distinct;
}

std::vector<quant::LayerBits>
DesignSpace::getLayerBits(const Point &point) const {
  std::vector<quant::LayerBits> bits;
  for (const NetworkLayer &l : layers)
    bits.push_back(l.parameter < 0
                       ? l.fixed
                       : parameters[l.parameter].choices[point[l.parameter]]);
  return bits;
}

/// Whether `selector` picks layer `index` of `all`.
static Expected<bool> selects(StringRef selector, ArrayRef<NetworkLayer> all,
                              size_t index) {
  const NetworkLayer &l = all[index];
  std::optional<bool> kind =
      StringSwitch<std::optional<bool>>(selector)
          .Case("all", true)
          .Case("first", index == 0)
          .Case("last", index + 1 == all.size())
          .Case("conv", l.kind == "conv2d")
          .Case("matmul", l.kind == "matmul")
          .Case("depthwise", l.depthwise)
          .Case("pointwise", l.pointwise)
          .Case("attention", l.kind == "matmul" && l.params == 0)
          .Default(std::nullopt);
  if (kind)
    return *kind;
  auto pattern = GlobPattern::create(selector);
  if (!pattern)
    return pattern.takeError();
  return pattern->match(l.name);
}

Error DesignSpace::bindNetwork(ArrayRef<NetworkLayer> modelLayers,
                               StringRef modelName) {
  layers.assign(modelLayers.begin(), modelLayers.end());
  parameters.resize(numHardwareParameters);
  std::vector<const NetworkGroup *> chosen(layers.size(), nullptr);
  for (const NetworkGroup &g : networkGroups) {
    bool any = false;
    for (size_t i = 0; i < layers.size(); ++i) {
      bool hit = false;
      for (const std::string &selector : g.selectors) {
        auto match = selects(selector, layers, i);
        if (!match)
          return createStringError(inconvertibleErrorCode(),
                                   file + ": " + g.where + ": layers: '" +
                                       selector + "' is not a selector (" +
                                       toString(match.takeError()) + ")");
        hit |= *match;
      }
      if (hit)
        chosen[i] = &g;
      any |= hit;
    }
    if (!any)
      return createStringError(
          inconvertibleErrorCode(),
          file + ": " + g.where + ": layers: '" + join(g.selectors, ", ") +
              "' selects no compute layer of model '" + modelName +
              "' (selectors: all, first, last, conv, matmul, depthwise, "
              "pointwise, attention, or a pattern on layer names such as "
              "'/layer1/*')");
  }
  // A shared group's parameter, made for its first layer.
  DenseMap<const NetworkGroup *, int> sharedParameter;
  for (auto [i, l] : llvm::enumerate(layers)) {
    l.parameter = -1;
    l.fixed = quant::LayerBits{8, 8};
    const NetworkGroup *g = chosen[i];
    if (!g)
      continue;
    if (g->choices.size() == 1) {
      l.fixed = g->choices.front();
      continue;
    }
    if (g->shared) {
      auto [it, inserted] = sharedParameter.try_emplace(g, parameters.size());
      l.parameter = it->second;
      if (!inserted)
        continue;
    }
    Parameter p;
    p.kind = Parameter::Kind::Layer;
    p.name = "network." + (!g->shared         ? l.name
                           : !g->name.empty() ? g->name
                                              : join(g->selectors, ","));
    p.level = i;
    p.choices = g->choices;
    for (const Parameter &other : parameters)
      if (other.name == p.name)
        return createStringError(inconvertibleErrorCode(),
                                 file + ": " + g->where + ": its parameter '" +
                                     p.name + "' is another's as well: give " +
                                     "a shared group a `name` of its own");
    l.parameter = parameters.size();
    parameters.push_back(std::move(p));
  }
  // Said here, before the sensitivity is measured (minutes on a large
  // model), not when the search starts.
  uint64_t hardware = 1;
  for (size_t i = 0; i < numHardwareParameters; ++i)
    hardware = SaturatingMultiply<uint64_t>(hardware, parameters[i].size());
  if (hardware != UINT64_MAX && size() == UINT64_MAX)
    return createStringError(
        inconvertibleErrorCode(),
        file + ": with model '" + modelName + "' the space has more than " +
            "2^64 points (" + Twine(parameters.size() - numHardwareParameters) +
            " layers or shared groups with choices of their own): give the " +
            "layers fewer choices, one to some of them in a later group, " +
            "or make groups `shared: true`");
  return Error::success();
}

uint64_t DesignSpace::getId(const Point &point) const {
  uint64_t id = 0;
  for (auto [p, v] : llvm::zip(parameters, point))
    id = id * p.size() + v;
  return id;
}

Expected<hw::Target> DesignSpace::instantiate(const Point &point,
                                              StringRef name) const {
  hw::Target t = base;
  t.name = name.str();
  for (auto [p, v] : llvm::zip(parameters, point)) {
    switch (p.kind) {
    case Parameter::Kind::Rows:
      t.array.rows = int64_t(p.numbers[v]);
      break;
    case Parameter::Kind::Cols:
      t.array.cols = int64_t(p.numbers[v]);
      break;
    case Parameter::Kind::Bits:
      t.array.bits = int64_t(p.numbers[v]);
      break;
    case Parameter::Kind::Lanes:
      t.array.lanes = int64_t(p.numbers[v]);
      break;
    case Parameter::Kind::PostProcessingLanes:
      // A base without the unit (bismo) gets the default one: add,
      // multiply and compare at the array's width.
      if (t.postProcessing.lanes == 0 && t.postProcessing.ops == 0)
        t.postProcessing = hw::getDefaultPostProcessing(t.array);
      t.postProcessing.lanes = int64_t(p.numbers[v]);
      break;
    case Parameter::Kind::SupportedBits:
      t.array.supportedBits = p.bitLists[v];
      break;
    case Parameter::Kind::Clock:
      t.clockMHz = p.numbers[v];
      break;
    case Parameter::Kind::Dataflow:
      t.array.dataflow = p.dataflows[v];
      break;
    case Parameter::Kind::Mac:
      t.array.mac = p.macs[v];
      break;
    case Parameter::Kind::Capacity:
      t.levels[p.level].capacityBytes = int64_t(p.numbers[v]);
      break;
    case Parameter::Kind::ReadBandwidth:
      t.levels[p.level].readBandwidth = p.numbers[v];
      break;
    case Parameter::Kind::WriteBandwidth:
      t.levels[p.level].writeBandwidth = p.numbers[v];
      break;
    case Parameter::Kind::Layer:
      break;
    }
  }
  if (Error err = t.validate()) {
    std::string values;
    for (auto [p, v] : llvm::zip(
             ArrayRef(parameters).take_front(numHardwareParameters), point))
      values += (values.empty() ? "" : ", ") + p.name + "=" + p.getLabel(v);
    return createStringError(
        inconvertibleErrorCode(),
        "the point (" + values +
            ") is not a valid target: " + toString(std::move(err)));
  }
  return t;
}

//===----------------------------------------------------------------------===//
// YAML
//===----------------------------------------------------------------------===//

namespace {

/// Walks the YAML tree; the first error wins and names file, line and field.
class SpaceParser {
public:
  SpaceParser(StringRef yaml, StringRef fileName)
      : fileName(fileName), yaml(yaml) {
    sm.setDiagHandler(
        [](const SMDiagnostic &diag, void *context) {
          auto *self = static_cast<SpaceParser *>(context);
          if (self->error.empty())
            self->error =
                formatv("{0}:{1}:{2}: {3}", self->fileName, diag.getLineNo(),
                        diag.getColumnNo() + 1, diag.getMessage())
                    .str();
        },
        this);
  }

  Expected<DesignSpace> parse();

private:
  bool fail(yaml::Node *node, const Twine &field, const Twine &message) {
    if (!error.empty())
      return false;
    // A node the YAML parser gave up on (a syntax error inside a map) is
    // null or points nowhere in the text: say what is wrong without a
    // position.
    if (!node || !sm.FindBufferContainingLoc(node->getSourceRange().Start)) {
      error =
          formatv("{0}: {1}: {2}", fileName, field.str(), message.str()).str();
      return false;
    }
    auto [line, col] = sm.getLineAndColumn(node->getSourceRange().Start);
    error = formatv("{0}:{1}:{2}: {3}: {4}", fileName, line, col, field.str(),
                    message.str())
                .str();
    return false;
  }

  std::optional<std::string> scalar(yaml::Node *node, const Twine &field) {
    auto *s = dyn_cast_or_null<yaml::ScalarNode>(node);
    if (!s) {
      fail(node, field, "expected a single value");
      return std::nullopt;
    }
    SmallString<32> storage;
    return s->getValue(storage).str();
  }

  std::optional<double> number(yaml::Node *node, const Twine &field) {
    auto text = scalar(node, field);
    if (!text)
      return std::nullopt;
    double value;
    if (StringRef(*text).trim().getAsDouble(value) || !std::isfinite(value)) {
      fail(node, field, "'" + *text + "' is not a number");
      return std::nullopt;
    }
    return value;
  }

  bool parseValues(yaml::Node *node, const Twine &field, bool integral,
                   std::vector<double> &out);
  bool parseBitLists(yaml::Node *node, const Twine &field,
                     std::vector<std::vector<int64_t>> &out);
  bool loadBase(yaml::Node *node, DesignSpace &space);
  bool parseParameters(yaml::Node *node, DesignSpace &space);
  bool parseObjectives(yaml::Node *node, DesignSpace &space);
  bool parsePrefer(yaml::Node *node, DesignSpace &space);
  bool parseLevels(yaml::Node *node, DesignSpace &space);
  bool parseConstraints(yaml::Node *node, DesignSpace &space);
  bool parseNetwork(yaml::Node *node, DesignSpace &space);
  bool parseNetworkGroup(yaml::Node *node, const std::string &where,
                         NetworkGroup &group);
  /// A list of scalars, or one.
  std::optional<std::vector<std::pair<std::string, yaml::Node *>>>
  scalars(yaml::Node *node, const Twine &field);

  std::string fileName, error;
  StringRef yaml;
  SourceMgr sm;
};

} // namespace

/// A list `[a, b, ...]`, a range `{min: A, max: B, step: S}` or
/// `{min: A, max: B, factor: F}`, or one value.
bool SpaceParser::parseValues(yaml::Node *node, const Twine &field,
                              bool integral, std::vector<double> &out) {
  std::string name = field.str();
  auto check = [&](yaml::Node *at, double v) {
    if (!(v > 0))
      return fail(at, name, formatv("{0} is not positive", format("%g", v)));
    if (integral && v != std::floor(v))
      return fail(at, name, formatv("{0} is not an integer", format("%g", v)));
    if (v > 1e15)
      return fail(at, name, formatv("{0} is too large", format("%g", v)));
    return true;
  };
  // More values than this on one axis is a mistake, not a search.
  constexpr size_t kMaxValues = 100000;
  if (auto *seq = dyn_cast_or_null<yaml::SequenceNode>(node)) {
    for (yaml::Node &item : *seq) {
      if (out.size() == kMaxValues)
        return fail(&item, name,
                    formatv("lists more than the {0} values an axis may have",
                            kMaxValues));
      auto v = number(&item, name);
      if (!v || !check(&item, *v))
        return false;
      if (llvm::is_contained(out, *v))
        return fail(&item, name, formatv("lists {0} twice", format("%g", *v)));
      out.push_back(*v);
    }
    if (out.empty())
      return fail(node, name, "the list of values is empty");
    return error.empty();
  }
  if (auto *map = dyn_cast_or_null<yaml::MappingNode>(node)) {
    std::optional<double> lo, hi, step, factor;
    for (yaml::KeyValueNode &kv : *map) {
      auto key = scalar(kv.getKey(), name);
      if (!key)
        return false;
      auto v = number(kv.getValue(), name + "." + *key);
      if (!v)
        return false;
      if (*key == "min")
        lo = v;
      else if (*key == "max")
        hi = v;
      else if (*key == "step")
        step = v;
      else if (*key == "factor")
        factor = v;
      else
        return fail(kv.getKey(), name,
                    "unknown key '" + *key +
                        "' in a range (expected min, max, and step or factor)");
    }
    if (!lo || !hi || (!step == !factor))
      return fail(node, name,
                  "a range needs min, max, and one of step or factor");
    if (!check(node, *lo) || !check(node, *hi))
      return false;
    if (*hi < *lo)
      return fail(node, name, "max is less than min");
    if (step && !(*step > 0))
      return fail(node, name + ".step", "must be positive");
    if (factor && !(*factor > 1))
      return fail(node, name + ".factor", "must be greater than 1");
    // Count the values first: a step too small to move a double (1e-300)
    // or a factor of 1.0000000001 would otherwise loop for ages.
    double count = std::floor(step ? (*hi - *lo) / *step
                                   : std::log(*hi / *lo) / std::log(*factor)) +
                   1;
    if (!(count <= double(kMaxValues)))
      return fail(node, name,
                  formatv("the range has {0} values, more than the {1} an "
                          "axis may have",
                          format("%g", count), kMaxValues));
    for (int64_t i = 0; i < int64_t(count) + 1; ++i) {
      double v =
          step ? *lo + double(i) * *step : *lo * std::pow(*factor, double(i));
      if (v > *hi * (1 + 1e-12))
        break;
      double rounded = integral ? std::round(v) : v;
      if (!check(node, rounded))
        return false;
      // A slow geometric range rounds to the same integer more than once.
      if (out.empty() || out.back() != rounded)
        out.push_back(rounded);
    }
    return true;
  }
  auto v = number(node, name);
  if (!v || !check(node, *v))
    return false;
  out.push_back(*v);
  return true;
}

/// A list of lists of operand widths: `[[8], [4, 8], [2, 4, 8]]`.
bool SpaceParser::parseBitLists(yaml::Node *node, const Twine &field,
                                std::vector<std::vector<int64_t>> &out) {
  std::string name = field.str();
  auto *seq = dyn_cast_or_null<yaml::SequenceNode>(node);
  if (!seq)
    return fail(node, name,
                "expected a list of width lists, e.g. [[8], [4, 8]]");
  for (yaml::Node &item : *seq) {
    std::vector<double> widths;
    auto *inner = dyn_cast_or_null<yaml::SequenceNode>(&item);
    if (!inner)
      return fail(&item, name, "each value is a list of widths, e.g. [4, 8]");
    if (!parseValues(inner, name, /*integral=*/true, widths))
      return false;
    std::vector<int64_t> bits(widths.begin(), widths.end());
    llvm::sort(bits);
    out.push_back(bits);
  }
  if (out.empty())
    return fail(node, name, "the list of values is empty");
  return true;
}

bool SpaceParser::parseLevels(yaml::Node *node, DesignSpace &space) {
  auto *map = dyn_cast_or_null<yaml::MappingNode>(node);
  if (!map)
    return fail(node, "parameters.levels",
                "expected a map from level names to their parameters");
  for (yaml::KeyValueNode &kv : *map) {
    auto levelName = scalar(kv.getKey(), "parameters.levels");
    if (!levelName)
      return false;
    std::string at = "parameters.levels." + *levelName;
    auto it = llvm::find_if(space.base.levels, [&](const hw::MemoryLevel &l) {
      return l.name == *levelName;
    });
    if (it == space.base.levels.end()) {
      std::string known;
      for (const hw::MemoryLevel &l : space.base.levels)
        known += (known.empty() ? "" : ", ") + l.name;
      return fail(kv.getKey(), at,
                  "the base target has no level named '" + *levelName +
                      "' (its levels: " + known + ")");
    }
    unsigned level = it - space.base.levels.begin();
    auto *fields = dyn_cast_or_null<yaml::MappingNode>(kv.getValue());
    if (!fields)
      return fail(kv.getValue(), at,
                  "expected capacity_bytes, read_bandwidth or "
                  "write_bandwidth");
    for (yaml::KeyValueNode &f : *fields) {
      auto key = scalar(f.getKey(), at);
      if (!key)
        return false;
      std::string field = at + "." + *key;
      Parameter p;
      p.level = level;
      p.name = *levelName + "." + *key;
      if (*key == "capacity_bytes")
        p.kind = Parameter::Kind::Capacity;
      else if (*key == "read_bandwidth")
        p.kind = Parameter::Kind::ReadBandwidth;
      else if (*key == "write_bandwidth")
        p.kind = Parameter::Kind::WriteBandwidth;
      else
        return fail(f.getKey(), field,
                    "unknown level parameter (expected capacity_bytes, "
                    "read_bandwidth or write_bandwidth)");
      if (p.kind == Parameter::Kind::Capacity && level == 0)
        return fail(f.getKey(), field,
                    "the outermost level (DRAM) is unbounded; its capacity "
                    "is not a design parameter");
      if (!parseValues(f.getValue(), field, p.kind == Parameter::Kind::Capacity,
                       p.numbers))
        return false;
      if (p.kind == Parameter::Kind::Capacity) {
        // A fixed per-access energy or area would not follow the capacity:
        // drop it so the 45 nm defaults (which scale with size) apply.
        hw::MemoryLevel &l = space.base.levels[level];
        if (l.readEnergyPJ || l.writeEnergyPJ || l.areaMM2)
          space.rescaledLevels.push_back(l.name);
        l.readEnergyPJ.reset();
        l.writeEnergyPJ.reset();
        l.areaMM2.reset();
      }
      space.parameters.push_back(std::move(p));
    }
  }
  return true;
}

bool SpaceParser::parseParameters(yaml::Node *node, DesignSpace &space) {
  auto *map = dyn_cast_or_null<yaml::MappingNode>(node);
  if (!map)
    return fail(node, "parameters", "expected a map of parameters to values");
  for (yaml::KeyValueNode &kv : *map) {
    auto key = scalar(kv.getKey(), "parameters");
    if (!key)
      return false;
    std::string field = "parameters." + *key;
    yaml::Node *value = kv.getValue();
    if (*key == "levels") {
      if (!parseLevels(value, space))
        return false;
      continue;
    }
    Parameter p;
    p.name = *key;
    auto kind =
        StringSwitch<std::optional<Parameter::Kind>>(*key)
            .Case("rows", Parameter::Kind::Rows)
            .Case("cols", Parameter::Kind::Cols)
            .Case("bits", Parameter::Kind::Bits)
            .Case("supported_bits", Parameter::Kind::SupportedBits)
            .Case("lanes", Parameter::Kind::Lanes)
            .Case("post_processing_lanes", Parameter::Kind::PostProcessingLanes)
            .Case("clock_mhz", Parameter::Kind::Clock)
            .Case("dataflow", Parameter::Kind::Dataflow)
            .Case("mac", Parameter::Kind::Mac)
            .Default(std::nullopt);
    if (!kind)
      return fail(kv.getKey(), field,
                  "unknown parameter (expected rows, cols, bits, "
                  "supported_bits, lanes, post_processing_lanes, clock_mhz, "
                  "dataflow, mac or levels)");
    p.kind = *kind;
    if (llvm::any_of(space.parameters,
                     [&](const Parameter &q) { return q.name == p.name; }))
      return fail(kv.getKey(), field, "is given twice");
    if (p.kind == Parameter::Kind::Dataflow || p.kind == Parameter::Kind::Mac) {
      auto values = scalars(value, field);
      if (!values)
        return false;
      for (auto &[name, item] : *values) {
        const std::string *text = &name;
        bool known = false, twice = false;
        if (p.kind == Parameter::Kind::Dataflow) {
          for (hw::Dataflow d :
               {hw::Dataflow::WeightStationary, hw::Dataflow::OutputStationary,
                hw::Dataflow::InputStationary, hw::Dataflow::RowStationary})
            if (hw::stringifyDataflow(d) == *text) {
              known = true;
              twice = llvm::is_contained(p.dataflows, d);
              p.dataflows.push_back(d);
            }
        } else {
          for (hw::MacKind m : {hw::MacKind::Integer, hw::MacKind::Float,
                                hw::MacKind::BitFusion, hw::MacKind::BitSerial,
                                hw::MacKind::ShiftAdd})
            if (hw::stringifyMacKind(m) == *text) {
              known = true;
              twice = llvm::is_contained(p.macs, m);
              p.macs.push_back(m);
            }
        }
        if (!known)
          return fail(item, field,
                      "'" + *text + "' is not a " +
                          (p.kind == Parameter::Kind::Dataflow
                               ? "dataflow (ws, os, is, rs)"
                               : "MAC kind (int, float, bit-fusion, "
                                 "bit-serial, shift-add)"));
        if (twice)
          return fail(item, field, "lists '" + *text + "' twice");
      }
    } else if (p.kind == Parameter::Kind::SupportedBits) {
      if (!parseBitLists(value, field, p.bitLists))
        return false;
    } else {
      if (!parseValues(value, field, p.kind != Parameter::Kind::Clock,
                       p.numbers))
        return false;
      if ((p.kind == Parameter::Kind::Rows ||
           p.kind == Parameter::Kind::Cols) &&
          p.numbers.back() > double(hw::kMaxArraySide))
        return fail(value, field,
                    formatv("values may be at most {0}", hw::kMaxArraySide));
    }
    space.parameters.push_back(std::move(p));
  }
  if (space.parameters.empty())
    return fail(node, "parameters", "lists no parameter");
  return true;
}

bool SpaceParser::parseConstraints(yaml::Node *node, DesignSpace &space) {
  auto *map = dyn_cast_or_null<yaml::MappingNode>(node);
  if (!map)
    return fail(node, "constraints",
                "expected a map (max_area_mm2, max_power_mw, max_latency_ms, "
                "max_accuracy_loss, max_model_size_bytes)");
  for (yaml::KeyValueNode &kv : *map) {
    auto key = scalar(kv.getKey(), "constraints");
    if (!key)
      return false;
    std::string field = "constraints." + *key;
    std::optional<double> *slot =
        StringSwitch<std::optional<double> *>(*key)
            .Case("max_area_mm2", &space.maxAreaMM2)
            .Case("max_power_mw", &space.maxPowerMW)
            .Case("max_latency_ms", &space.maxLatencyMs)
            .Case("max_accuracy_loss", &space.maxAccuracyLoss)
            .Case("max_model_size_bytes", &space.maxModelSizeBytes)
            .Default(nullptr);
    if (!slot)
      return fail(kv.getKey(), field,
                  "unknown constraint (expected max_area_mm2, max_power_mw, "
                  "max_latency_ms, max_accuracy_loss or "
                  "max_model_size_bytes)");
    auto v = number(kv.getValue(), field);
    if (!v)
      return false;
    // No accuracy lost is a limit; no area is not.
    if (slot == &space.maxAccuracyLoss ? !(*v >= 0) : !(*v > 0))
      return fail(kv.getValue(), field,
                  slot == &space.maxAccuracyLoss
                      ? "must be at least 0 (percentage points)"
                      : "must be positive");
    *slot = *v;
  }
  return true;
}

Expected<DesignSpace> SpaceParser::parse() {
  auto failure = [&]() -> Expected<DesignSpace> {
    if (error.empty())
      error = fileName + ": not a design space";
    return createStringError(inconvertibleErrorCode(), error);
  };
  DesignSpace space;
  space.file = fileName;
  // The YAML parser streams: a value must be read before the next key. The
  // first pass finds the base target (parameters.levels names its levels),
  // the second reads everything else.
  yaml::Stream first(yaml, sm, false);
  yaml::Node *baseNode = nullptr;
  yaml::MappingNode *root = nullptr;
  auto doc = first.begin();
  if (doc == first.end() || !doc->getRoot())
    return failure();
  root = dyn_cast_or_null<yaml::MappingNode>(doc->getRoot());
  if (!root) {
    fail(doc->getRoot(), "space",
         "expected a map with base, parameters and objectives");
    return failure();
  }
  for (yaml::KeyValueNode &kv : *root) {
    auto key = scalar(kv.getKey(), "space");
    if (!key)
      return failure();
    if (*key != "base") {
      kv.skip();
      continue;
    }
    if (baseNode) {
      fail(kv.getKey(), "base", "is given twice");
      return failure();
    }
    baseNode = kv.getValue();
    if (!loadBase(baseNode, space))
      return failure();
  }
  if (!error.empty())
    return failure();
  if (!baseNode) {
    fail(root, "base", "is required (a preset name or a target YAML file)");
    return failure();
  }

  yaml::Stream second(yaml, sm, false);
  root = dyn_cast_or_null<yaml::MappingNode>(second.begin()->getRoot());
  if (!root) {
    fail(nullptr, "space", "the document changed between two parses");
    return failure();
  }
  bool seen[5] = {false, false, false, false, false};
  for (yaml::KeyValueNode &kv : *root) {
    auto key = scalar(kv.getKey(), "space");
    if (!key)
      return failure();
    int slot = StringSwitch<int>(*key)
                   .Case("parameters", 0)
                   .Case("constraints", 1)
                   .Case("objectives", 2)
                   .Case("prefer", 3)
                   .Case("network", 5)
                   .Case("base", 4)
                   .Default(-1);
    if (slot < 0) {
      fail(kv.getKey(), *key,
           "unknown key (expected base, parameters, network, constraints, "
           "objectives, prefer)");
      return failure();
    }
    if (slot == 4) {
      kv.skip();
      continue;
    }
    if (slot == 5) {
      if (space.hasNetwork()) {
        fail(kv.getKey(), *key, "is given twice");
        return failure();
      }
      if (!parseNetwork(kv.getValue(), space))
        return failure();
      continue;
    }
    if (seen[slot]) {
      fail(kv.getKey(), *key, "is given twice");
      return failure();
    }
    seen[slot] = true;
    yaml::Node *value = kv.getValue();
    bool ok = slot == 0   ? parseParameters(value, space)
              : slot == 1 ? parseConstraints(value, space)
              : slot == 2 ? parseObjectives(value, space)
                          : parsePrefer(value, space);
    if (!ok)
      return failure();
  }
  if (!error.empty())
    return failure();
  if (!seen[0] || !seen[2]) {
    fail(root, !seen[0] ? "parameters" : "objectives", "is required");
    return failure();
  }
  if (!seen[3])
    space.prefer =
        space.objectives.size() == 1 ? space.objectives.front() : Metric::EDP;
  space.numHardwareParameters = space.parameters.size();
  // What only a network section gives meaning to.
  if (!space.hasNetwork()) {
    const char *needs =
        "needs a network section (the choices that change the model)";
    if (llvm::is_contained(space.objectives, Metric::AccuracyLoss))
      fail(root, "objectives", Twine("accuracy_loss ") + needs);
    else if (space.prefer == Metric::AccuracyLoss)
      fail(root, "prefer", Twine("accuracy_loss ") + needs);
    else if (space.maxAccuracyLoss)
      fail(root, "constraints.max_accuracy_loss", needs);
    else if (space.maxModelSizeBytes)
      fail(root, "constraints.max_model_size_bytes", needs);
    if (!error.empty())
      return failure();
  }
  return space;
}

std::optional<std::vector<std::pair<std::string, yaml::Node *>>>
SpaceParser::scalars(yaml::Node *node, const Twine &field) {
  SmallVector<yaml::Node *> items;
  if (auto *seq = dyn_cast_or_null<yaml::SequenceNode>(node))
    for (yaml::Node &item : *seq)
      items.push_back(&item);
  else
    items.push_back(node);
  std::vector<std::pair<std::string, yaml::Node *>> out;
  for (yaml::Node *item : items) {
    auto text = scalar(item, field);
    if (!text)
      return std::nullopt;
    out.push_back({*text, item});
  }
  if (out.empty()) {
    fail(node, field, "the list is empty");
    return std::nullopt;
  }
  return out;
}

bool SpaceParser::parseNetwork(yaml::Node *node, DesignSpace &space) {
  auto *list = dyn_cast_or_null<yaml::SequenceNode>(node);
  if (!list)
    return fail(node, "network",
                "expected a list of groups, each with layers, weight_bits, "
                "activation_bits and encodings");
  for (yaml::Node &item : *list) {
    NetworkGroup group;
    group.where = formatv("network[{0}]", space.networkGroups.size()).str();
    if (!parseNetworkGroup(&item, group.where, group))
      return false;
    space.networkGroups.push_back(std::move(group));
  }
  if (space.networkGroups.empty())
    return fail(node, "network", "the list is empty");
  return true;
}

bool SpaceParser::parseNetworkGroup(yaml::Node *node, const std::string &where,
                                    NetworkGroup &group) {
  auto *map = dyn_cast_or_null<yaml::MappingNode>(node);
  if (!map)
    return fail(node, where,
                "expected a map with layers, weight_bits, activation_bits "
                "and encodings");
  std::vector<int64_t> weightBits = {8}, activationBits = {8};
  std::vector<WeightEncoding> encodings;
  bool multiply = true, haveLayers = false, haveWeightBits = false;
  yaml::Node *nameNode = nullptr;
  for (yaml::KeyValueNode &kv : *map) {
    auto key = scalar(kv.getKey(), where);
    if (!key)
      return false;
    std::string field = where + "." + *key;
    if (*key == "shared") {
      auto text = scalar(kv.getValue(), field);
      if (!text)
        return false;
      std::optional<bool> shared = StringSwitch<std::optional<bool>>(*text)
                                       .Case("true", true)
                                       .Case("false", false)
                                       .Default(std::nullopt);
      if (!shared)
        return fail(kv.getValue(), field,
                    "'" + *text + "' is not true or false");
      group.shared = *shared;
      continue;
    }
    if (*key == "name") {
      auto text = scalar(kv.getValue(), field);
      if (!text)
        return false;
      if (StringRef(*text).trim().empty())
        return fail(kv.getValue(), field, "is empty");
      group.name = *text;
      nameNode = kv.getValue();
      continue;
    }
    auto values = scalars(kv.getValue(), field);
    if (!values)
      return false;
    if (*key == "layers") {
      haveLayers = true;
      for (auto &[text, item] : *values)
        group.selectors.push_back(text);
    } else if (*key == "weight_bits" || *key == "activation_bits") {
      std::vector<int64_t> &bits =
          *key == "weight_bits" ? weightBits : activationBits;
      haveWeightBits |= *key == "weight_bits";
      bits.clear();
      for (auto &[text, item] : *values) {
        int64_t b;
        if (StringRef(text).trim().getAsInteger(10, b) || b < 2 || b > 8)
          return fail(item, field,
                      "'" + text + "' is not a width from 2 to 8 bits");
        if (llvm::is_contained(bits, b))
          return fail(item, field, "lists " + text + " twice");
        bits.push_back(b);
      }
    } else if (*key == "encodings") {
      multiply = false;
      for (auto &[text, item] : *values) {
        if (text == "multiply") {
          multiply = true;
          continue;
        }
        auto e = parseEncodingOption(text);
        if (!e)
          return fail(item, field, toString(e.takeError()));
        if (llvm::is_contained(encodings, *e))
          return fail(item, field, "lists '" + text + "' twice");
        encodings.push_back(*e);
      }
    } else {
      return fail(kv.getKey(), field,
                  "unknown key (expected layers, weight_bits, "
                  "activation_bits, encodings, shared, name)");
    }
  }
  if (!haveLayers)
    return fail(node, where + ".layers",
                "is required (all, first, last, conv, matmul, depthwise, "
                "pointwise, attention, or a pattern on layer names)");
  if (haveWeightBits && !multiply)
    return fail(node, where + ".weight_bits",
                "has no effect: encodings does not list 'multiply'");
  if (nameNode && !group.shared)
    return fail(nameNode, where + ".name",
                "has no effect: only a shared group is one parameter");
  for (int64_t a : activationBits) {
    if (multiply)
      for (int64_t w : weightBits)
        group.choices.push_back({w, a});
    for (const WeightEncoding &e : encodings)
      group.choices.push_back(quant::LayerBits::get(e, a));
  }
  return true;
}

bool SpaceParser::loadBase(yaml::Node *baseNode, DesignSpace &space) {
  auto base = scalar(baseNode, "base");
  if (!base)
    return false;
  space.baseName = *base;
  // A path is relative to the space file; anything else is a preset name.
  std::string basePath = *base;
  if ((StringRef(basePath).contains('/') ||
       StringRef(basePath).ends_with(".yaml")) &&
      sys::path::is_relative(basePath)) {
    SmallString<256> joined = sys::path::parent_path(fileName);
    sys::path::append(joined, basePath);
    basePath = joined.str().str();
  }
  auto target = hw::loadTarget(basePath);
  if (!target)
    return fail(baseNode, "base", toString(target.takeError()));
  space.base = std::move(*target);
  return true;
}

bool SpaceParser::parseObjectives(yaml::Node *node, DesignSpace &space) {
  auto *list = dyn_cast_or_null<yaml::SequenceNode>(node);
  if (!list)
    return fail(node, "objectives",
                "expected a list, e.g. [latency, energy, area]");
  for (yaml::Node &item : *list) {
    auto text = scalar(&item, "objectives");
    if (!text)
      return false;
    auto metric = parseMetric(*text);
    if (!metric)
      return fail(&item, "objectives",
                  "'" + *text +
                      "' is not an objective (latency, energy, area, edp, "
                      "power, accuracy_loss)");
    if (llvm::is_contained(space.objectives, *metric))
      return fail(&item, "objectives", "lists '" + *text + "' twice");
    space.objectives.push_back(*metric);
  }
  if (space.objectives.empty())
    return fail(node, "objectives", "the list is empty");
  return true;
}

bool SpaceParser::parsePrefer(yaml::Node *node, DesignSpace &space) {
  auto text = scalar(node, "prefer");
  if (!text)
    return false;
  auto metric = parseMetric(*text);
  if (!metric)
    return fail(node, "prefer",
                "'" + *text +
                    "' is not a metric (latency, energy, area, edp, power, "
                    "accuracy_loss)");
  space.prefer = *metric;
  return true;
}

Expected<DesignSpace> codesign::parseDesignSpace(StringRef yaml,
                                                 StringRef fileName) {
  auto space = SpaceParser(yaml, fileName).parse();
  if (space)
    space->text = yaml.str();
  return space;
}

Expected<DesignSpace> codesign::loadDesignSpace(StringRef path) {
  auto buffer = readInputFile(path, kMaxTextFileBytes);
  if (!buffer)
    return buffer.takeError();
  return parseDesignSpace((*buffer)->getBuffer(), path);
}
