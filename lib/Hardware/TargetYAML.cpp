//===- TargetYAML.cpp - Targets to and from YAML, presets by name ---------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Hardware/Target.h"
#include "tandem/Support/FileIO.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLTraits.h"
#include "llvm/Support/raw_ostream.h"

#include <vector>

using namespace llvm;
using namespace tandem::hw;

namespace {
/// A level as written in YAML: `holds` is a list of tensor names.
struct LevelYAML {
  MemoryLevel level;
  std::vector<std::string> holds;
  /// [X, Y]: instances along the array's columns and rows.
  std::vector<int64_t> instances;
};
/// The post-processing unit as written: operations by name, energies by
/// operation name.
struct VectorEnergiesYAML {
  std::array<std::optional<double>, kNumVectorOps> energyPJ;
};
struct PostProcessingYAML {
  PostProcessing unit;
  std::vector<std::string> ops;
  std::optional<VectorEnergiesYAML> energies;
};
struct TargetYAML {
  Target target;
  std::vector<LevelYAML> levels;
  std::optional<PostProcessingYAML> postProcessing;
};
} // namespace

LLVM_YAML_IS_SEQUENCE_VECTOR(LevelYAML)

namespace llvm::yaml {

template <> struct ScalarEnumerationTraits<MacKind> {
  static void enumeration(IO &io, MacKind &kind) {
    for (MacKind k : {MacKind::Integer, MacKind::Float, MacKind::BitFusion,
                      MacKind::BitSerial, MacKind::ShiftAdd})
      io.enumCase(kind, stringifyMacKind(k).data(), k);
  }
};

template <> struct ScalarEnumerationTraits<Dataflow> {
  static void enumeration(IO &io, Dataflow &dataflow) {
    for (Dataflow d : {Dataflow::WeightStationary, Dataflow::OutputStationary,
                       Dataflow::InputStationary, Dataflow::RowStationary})
      io.enumCase(dataflow, stringifyDataflow(d).data(), d);
  }
};

template <> struct MappingTraits<PEArray> {
  static void mapping(IO &io, PEArray &a) {
    io.mapRequired("rows", a.rows);
    io.mapRequired("cols", a.cols);
    io.mapRequired("mac", a.mac);
    io.mapRequired("bits", a.bits);
    io.mapOptional("supported_bits", a.supportedBits);
    io.mapOptional("lanes", a.lanes, int64_t(64));
    io.mapOptional("multipliers", a.multipliers, int64_t(1));
    io.mapOptional("shifters", a.shifters, int64_t(1));
    io.mapRequired("dataflow", a.dataflow);
    io.mapOptional("flexible_dataflow", a.flexibleDataflow, false);
    io.mapOptional("systolic", a.systolic, false);
    io.mapOptional("multicast", a.multicast, true);
    io.mapOptional("spatial_reduction", a.spatialReduction, true);
    io.mapOptional("special_functions", a.specialFunctions, false);
    io.mapOptional("network_energy_pj", a.networkEnergyPJ);
  }
};

template <> struct MappingTraits<ComputeCosts> {
  static void mapping(IO &io, ComputeCosts &c) {
    io.mapOptional("mac_energy_pj", c.macEnergyPJ);
    io.mapOptional("pe_area_mm2", c.peAreaMM2);
  }
};

template <> struct MappingTraits<VectorEnergiesYAML> {
  static void mapping(IO &io, VectorEnergiesYAML &e) {
    for (unsigned op = 0; op < kNumVectorOps; ++op)
      io.mapOptional(stringifyVectorOp(VectorOp(op)).data(), e.energyPJ[op]);
  }
};

template <> struct MappingTraits<PostProcessingYAML> {
  static void mapping(IO &io, PostProcessingYAML &p) {
    io.mapRequired("lanes", p.unit.lanes);
    io.mapOptional("bits", p.unit.bits, int64_t(0));
    io.mapOptional("ops", p.ops);
    io.mapOptional("energy_pj", p.energies);
  }
};

template <> struct MappingTraits<HostModel> {
  static void mapping(IO &io, HostModel &h) {
    HostModel defaults;
    io.mapOptional("bandwidth_gb_per_s", h.bandwidthGBps,
                   defaults.bandwidthGBps);
    io.mapOptional("gop_per_s", h.gops, defaults.gops);
    io.mapOptional("energy_pj_per_byte", h.energyPJPerByte,
                   defaults.energyPJPerByte);
    io.mapOptional("energy_pj_per_op", h.energyPJPerOp, defaults.energyPJPerOp);
  }
};

template <> struct MappingTraits<LevelYAML> {
  static void mapping(IO &io, LevelYAML &l) {
    io.mapRequired("name", l.level.name);
    io.mapRequired("capacity_bytes", l.level.capacityBytes);
    io.mapOptional("per_pe", l.level.perPE, false);
    io.mapOptional("instances", l.instances);
    io.mapRequired("word_bits", l.level.wordBits);
    io.mapRequired("read_bandwidth", l.level.readBandwidth);
    io.mapRequired("write_bandwidth", l.level.writeBandwidth);
    io.mapOptional("read_energy_pj", l.level.readEnergyPJ);
    io.mapOptional("write_energy_pj", l.level.writeEnergyPJ);
    io.mapRequired("holds", l.holds);
    io.mapOptional("area_mm2", l.level.areaMM2);
  }
};

template <> struct MappingTraits<TargetYAML> {
  static void mapping(IO &io, TargetYAML &t) {
    io.mapRequired("name", t.target.name);
    io.mapOptional("source", t.target.source, std::string());
    io.mapRequired("clock_mhz", t.target.clockMHz);
    io.mapRequired("array", t.target.array);
    io.mapOptional("compute", t.target.compute);
    io.mapOptional("post_processing", t.postProcessing);
    io.mapOptional("host", t.target.host);
    io.mapRequired("levels", t.levels);
  }
};

} // namespace llvm::yaml

Expected<Target> tandem::hw::parseTarget(StringRef yaml, StringRef fileName) {
  std::string diagnostics;
  auto handler = [](const SMDiagnostic &diag, void *context) {
    raw_string_ostream os(*static_cast<std::string *>(context));
    diag.print(nullptr, os, /*ShowColors=*/false);
  };
  TargetYAML parsed;
  yaml::Input in(MemoryBufferRef(yaml, fileName), nullptr, handler,
                 &diagnostics);
  in >> parsed;
  if (in.error()) {
    std::string message = StringRef(diagnostics).rtrim().str();
    if (message.empty())
      message = (fileName + ": not a target description").str();
    // "file:line:col: error: what" -> "file:line:col: what"
    if (size_t at = message.find(": error: "); at != std::string::npos)
      message.erase(at, 7);
    if (message.find("unknown enumerated scalar") != std::string::npos)
      message += "\n(array.mac is one of int, float, bit-fusion, bit-serial, "
                 "shift-add; array.dataflow one of ws, os, is, rs)";
    return createStringError(inconvertibleErrorCode(), message);
  }
  Target target = std::move(parsed.target);
  if (!parsed.postProcessing) {
    target.postProcessing = getDefaultPostProcessing(target.array);
  } else {
    target.postProcessing = parsed.postProcessing->unit;
    for (const std::string &name : parsed.postProcessing->ops) {
      std::optional<VectorOp> op;
      for (unsigned k = 0; k < kNumVectorOps; ++k)
        if (name == stringifyVectorOp(VectorOp(k)))
          op = VectorOp(k);
      if (!op)
        return createStringError(
            inconvertibleErrorCode(),
            "%s: 'post_processing.ops' names '%s'; expected add, multiply, "
            "compare, divide or transcendental",
            fileName.str().c_str(), name.c_str());
      target.postProcessing.ops |= 1u << unsigned(*op);
    }
    if (parsed.postProcessing->energies)
      target.postProcessing.energyPJ =
          parsed.postProcessing->energies->energyPJ;
  }
  for (auto [i, l] : llvm::enumerate(parsed.levels)) {
    MemoryLevel level = l.level;
    if (!l.instances.empty()) {
      if (l.instances.size() != 2)
        return createStringError(
            inconvertibleErrorCode(),
            "%s: 'levels[%zu].instances' has %zu entries; expected [X, Y] "
            "(instances along the array's columns and rows)",
            fileName.str().c_str(), i, l.instances.size());
      level.instancesX = l.instances[0];
      level.instancesY = l.instances[1];
    }
    level.holds = 0;
    for (const std::string &h : l.holds) {
      if (h == "input")
        level.holds |= 1u << Input;
      else if (h == "weight")
        level.holds |= 1u << Weight;
      else if (h == "output")
        level.holds |= 1u << Output;
      else
        return createStringError(
            inconvertibleErrorCode(),
            "%s: 'levels[%zu].holds' names '%s'; expected input, weight or "
            "output",
            fileName.str().c_str(), i, h.c_str());
    }
    target.levels.push_back(std::move(level));
  }
  if (Error err = target.validate())
    return createStringError(inconvertibleErrorCode(),
                             fileName + ": " + toString(std::move(err)));
  return target;
}

std::string tandem::hw::printTarget(const Target &target) {
  TargetYAML out;
  out.target = target;
  out.target.array.networkEnergyPJ = target.getNetworkEnergyPJ();
  for (auto [i, level] : llvm::enumerate(target.levels)) {
    LevelYAML l{level, {}, {}};
    if (level.instancesX * level.instancesY > 1)
      l.instances = {level.instancesX, level.instancesY};
    l.level.readEnergyPJ = target.getReadEnergyPJ(i);
    l.level.writeEnergyPJ = target.getWriteEnergyPJ(i);
    for (unsigned k = 0; k < kNumTensorKinds; ++k)
      if (level.holdsKind(TensorKind(k)))
        l.holds.push_back(stringifyTensorKind(TensorKind(k)).str());
    out.levels.push_back(std::move(l));
  }
  out.target.levels.clear();
  PostProcessingYAML pp;
  pp.unit = target.postProcessing;
  pp.unit.bits = target.getPostProcessingBits();
  VectorEnergiesYAML energies;
  for (unsigned op = 0; op < kNumVectorOps; ++op)
    if (target.postProcessing.has(VectorOp(op))) {
      pp.ops.push_back(stringifyVectorOp(VectorOp(op)).str());
      energies.energyPJ[op] = target.getVectorOpEnergyPJ(VectorOp(op));
    }
  if (!pp.ops.empty())
    pp.energies = energies;
  out.postProcessing = pp;
  std::string text;
  raw_string_ostream os(text);
  yaml::Output yout(os);
  yout << out;
  return text;
}

/// Directories searched for presets: $TANDEM_TARGETS_DIR, then the source
/// tree's targets/ (compiled in).
static SmallVector<std::string> presetDirs() {
  SmallVector<std::string> dirs;
  if (std::optional<std::string> env =
          sys::Process::GetEnv("TANDEM_TARGETS_DIR"))
    dirs.push_back(*env);
  dirs.push_back(TANDEM_TARGETS_DIR);
  return dirs;
}

SmallVector<std::string> tandem::hw::listPresets() {
  SmallVector<std::string> names;
  for (const std::string &dir : presetDirs()) {
    std::error_code ec;
    for (sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
         it.increment(ec))
      if (sys::path::extension(it->path()) == ".yaml") {
        std::string name = sys::path::stem(it->path()).str();
        if (!llvm::is_contained(names, name))
          names.push_back(name);
      }
  }
  llvm::sort(names);
  return names;
}

Expected<Target> tandem::hw::loadTarget(StringRef nameOrPath) {
  std::string path = nameOrPath.str();
  bool isPath = nameOrPath.contains('/') || nameOrPath.ends_with(".yaml") ||
                nameOrPath.ends_with(".yml");
  if (!isPath) {
    path.clear();
    for (const std::string &dir : presetDirs()) {
      SmallString<256> candidate(dir);
      sys::path::append(candidate, nameOrPath + ".yaml");
      if (sys::fs::exists(candidate)) {
        path = candidate.str().str();
        break;
      }
    }
    if (path.empty()) {
      std::string known;
      for (const std::string &name : listPresets())
        known += (known.empty() ? "" : ", ") + name;
      return createStringError(inconvertibleErrorCode(),
                               "no target preset named '%s' (presets: %s; "
                               "or give a path to a .yaml file)",
                               nameOrPath.str().c_str(), known.c_str());
    }
  }
  auto buffer = readInputFile(path, kMaxTextFileBytes);
  if (!buffer)
    return buffer.takeError();
  return parseTarget((*buffer)->getBuffer(), path);
}
