//===- Target.cpp - Validation and the default energy and area tables -----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Default numbers, all at 45 nm (docs/targets.md lists the sources):
//  - arithmetic energy: Horowitz, "Computing's energy problem", ISSCC 2014:
//    8-bit int multiply 0.2 pJ, add 0.03 pJ; 32-bit int 3.1 / 0.1 pJ; 16-bit
//    float 1.1 / 0.4 pJ; 32-bit float 3.7 / 0.9 pJ; shifts 0.024 pJ (8-bit)
//    and 0.13 pJ (32-bit) as ShiftAddNet uses them. Multiplies scale with the
//    product of the operand widths (0.2 * 16 = 3.2 ~ 3.1 pJ at 32 bits),
//    adds and shifts linearly with the width.
//  - SRAM energy: Horowitz's 64-bit reads, 10 pJ (8 KB), 20 pJ (32 KB),
//    100 pJ (1 MB), fit by 10 pJ * sqrt(capacity / 8 KB); DRAM 2 nJ per 64
//    bits (the middle of Horowitz's 1.3-2.6 nJ). Energy scales with the word
//    width.
//  - network: Eyeriss's normalized costs put one hop of the array network at
//    2x a MAC (Chen et al., ISCA 2016).
//  - post-processing unit: adds, compares (a subtract) and multiplies at
//    its width from the same table; a divide as a Newton-Raphson reciprocal
//    (two iterations of two multiplies and an add, then a multiply: 5
//    multiplies and 2 adds) and a transcendental as a piecewise-linear table
//    lookup (2 multiplies and 2 adds): Tandem's estimates, not measured.
//  - host: 250 pJ per byte (DRAM, 2 nJ per 64 bits) and 70 pJ per
//    operation (a general-purpose core's instruction energy, Horowitz 2014).
//  - area: Horowitz's 45 nm arithmetic areas (8-bit multiply 282 um^2, add
//    36 um^2; 16-bit float multiply 1640 + add 1360 um^2; 32-bit float 7700 +
//    4184 um^2) and SRAM at 0.7 um^2 per bit (a 0.346 um^2 6T cell, Intel
//    45 nm, with 2x array overhead).
//
//===----------------------------------------------------------------------===//

#include "tandem/Hardware/Target.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

using namespace llvm;
using namespace tandem::hw;

namespace {

Error fieldError(const Twine &field, const Twine &message) {
  return createStringError(inconvertibleErrorCode(),
                           "'" + field + "' " + message);
}

double intMulPJ(double w, double a) { return 0.2 * (w * a) / 64.0; }
double intAddPJ(double bits) { return 0.03 * bits / 8.0; }
double shiftPJ(double bits) {
  return 0.024 + (bits - 8.0) * (0.13 - 0.024) / 24.0;
}
double floatMacPJ(double bits) { return bits <= 16 ? 1.1 + 0.4 : 3.7 + 0.9; }

/// Bricks a BitFusion unit fuses for one w x a multiply.
double bitFusionBricks(int64_t w, int64_t a) {
  return double((w + 1) / 2) * double((a + 1) / 2);
}

double sramAccessPJ(int64_t capacityBytes, int64_t wordBits) {
  double per64 = capacityBytes == 0
                     ? 2000.0
                     : 10.0 * std::sqrt(double(capacityBytes) / 8192.0);
  return per64 * double(wordBits) / 64.0;
}

constexpr double kSramUm2PerBit = 0.7;

double intMulUm2(double bits) { return 282 * bits * bits / 64; }
double intAddUm2(double bits) { return 36 * bits / 8; }

} // namespace

unsigned Target::getFirstPerPELevel() const {
  for (auto [i, level] : llvm::enumerate(levels))
    if (level.perPE)
      return i;
  return levels.size();
}

int64_t Target::getInstancesX(unsigned level) const {
  return levels[level].perPE ? array.cols : levels[level].instancesX;
}

int64_t Target::getInstancesY(unsigned level) const {
  return levels[level].perPE ? array.rows : levels[level].instancesY;
}

unsigned Target::getNumFanouts() const {
  unsigned n = 0;
  for (unsigned l = 0; l < levels.size(); ++l) {
    bool last = l + 1 == levels.size();
    n += (last ? array.cols * array.rows : getInstances(l + 1)) >
         getInstances(l);
  }
  return n;
}

SmallVector<Target::Fanout, kMaxFanouts> Target::getFanouts() const {
  SmallVector<Fanout, kMaxFanouts> fanouts;
  for (unsigned l = 0; l < levels.size(); ++l) {
    bool last = l + 1 == levels.size();
    int64_t x = (last ? array.cols : getInstancesX(l + 1)) / getInstancesX(l);
    int64_t y = (last ? array.rows : getInstancesY(l + 1)) / getInstancesY(l);
    if (x * y > 1)
      fanouts.push_back({l, x, y});
  }
  return fanouts;
}

Error Target::validate() const {
  if (name.empty())
    return fieldError("name", "must not be empty");
  // Real-valued fields stay within bounds that keep every cycle and energy
  // count finite and far from int64's limits (1e-300 words per cycle would
  // make a layer take 2^63 cycles).
  auto outside = [](double v, double lo, double hi) {
    return !(v >= lo && v <= hi);
  };
  auto range = [](double lo, double hi) {
    return formatv("must be between {0} and {1}", format("%g", lo),
                   format("%g", hi))
        .str();
  };
  if (outside(clockMHz, 1e-3, 1e6))
    return fieldError("clock_mhz", range(1e-3, 1e6));
  if (array.rows < 1 || array.rows > kMaxArraySide)
    return fieldError("array.rows",
                      "must be between 1 and " + Twine(kMaxArraySide));
  if (array.cols < 1 || array.cols > kMaxArraySide)
    return fieldError("array.cols",
                      "must be between 1 and " + Twine(kMaxArraySide));
  if (array.bits < 1 || array.bits > 64)
    return fieldError("array.bits", "must be between 1 and 64");
  if (array.mac == MacKind::BitSerial && array.lanes < 1)
    return fieldError("array.lanes", "must be at least 1");
  if (array.multipliers < 0 || array.multipliers > 64)
    return fieldError("array.multipliers", "must be between 0 and 64");
  if (array.shifters < 0 || array.shifters > 64)
    return fieldError("array.shifters", "must be between 0 and 64");
  if (array.mac == MacKind::ShiftAdd && array.multipliers == 0 &&
      array.shifters == 0)
    return fieldError("array.shifters",
                      "and array.multipliers are both 0: the PEs compute "
                      "nothing");
  for (auto [i, b] : llvm::enumerate(array.supportedBits))
    if (b < 1 || b > array.bits)
      return fieldError("array.supported_bits[" + Twine(i) + "]",
                        "is " + Twine(b) +
                            "; it must be between 1 and "
                            "array.bits (" +
                            Twine(array.bits) + ")");
  if (array.networkEnergyPJ && outside(*array.networkEnergyPJ, 0, 1e9))
    return fieldError("array.network_energy_pj", range(0, 1e9));
  if (compute.macEnergyPJ && outside(*compute.macEnergyPJ, 0, 1e9))
    return fieldError("compute.mac_energy_pj", range(0, 1e9));
  if (compute.peAreaMM2 && outside(*compute.peAreaMM2, 0, 1e6))
    return fieldError("compute.pe_area_mm2", range(0, 1e6));
  if (levels.empty() || levels.size() > kMaxMemoryLevels)
    return fieldError("levels",
                      "must list between 1 and " + Twine(kMaxMemoryLevels) +
                          " memory levels, not " + Twine(levels.size()));
  bool seenPerPE = false;
  for (auto [i, level] : llvm::enumerate(levels)) {
    std::string at = ("levels[" + Twine(i) + "]").str();
    if (level.name.empty())
      return fieldError(at + ".name", "must not be empty");
    for (unsigned j = 0; j < i; ++j)
      if (levels[j].name == level.name)
        return fieldError(at + ".name", "repeats the name '" + level.name +
                                            "' of levels[" + Twine(j) + "]");
    if (level.capacityBytes < 0)
      return fieldError(at + ".capacity_bytes", "must not be negative");
    if (level.capacityBytes == 0 && i != 0 && level.holds != 0)
      return fieldError(at + ".capacity_bytes",
                        "is 0 (unbounded), which only the outermost level "
                        "(DRAM) may be");
    if (level.wordBits < 1)
      return fieldError(at + ".word_bits", "must be at least 1");
    if (outside(level.readBandwidth, 1e-6, 1e9))
      return fieldError(at + ".read_bandwidth", range(1e-6, 1e9));
    if (outside(level.writeBandwidth, 1e-6, 1e9))
      return fieldError(at + ".write_bandwidth", range(1e-6, 1e9));
    if (level.readEnergyPJ && outside(*level.readEnergyPJ, 0, 1e9))
      return fieldError(at + ".read_energy_pj", range(0, 1e9));
    if (level.writeEnergyPJ && outside(*level.writeEnergyPJ, 0, 1e9))
      return fieldError(at + ".write_energy_pj", range(0, 1e9));
    if (seenPerPE && !level.perPE)
      return fieldError(at + ".per_pe",
                        "is false below a per-PE level; shared levels come "
                        "first, then the per-PE ones");
    if (level.perPE && i == 0)
      return fieldError(at + ".per_pe",
                        "is true for the outermost level; it must be shared");
    seenPerPE |= level.perPE;
    if (level.perPE && (level.instancesX != 1 || level.instancesY != 1))
      return fieldError(at + ".instances",
                        "is set on a per-PE level, which has one instance "
                        "per PE; give per_pe or instances, not both");
    if (level.instancesX < 1 || array.cols % level.instancesX)
      return fieldError(at + ".instances",
                        "has " + Twine(level.instancesX) +
                            " along X; it must divide the array's " +
                            Twine(array.cols) + " columns");
    if (level.instancesY < 1 || array.rows % level.instancesY)
      return fieldError(at + ".instances",
                        "has " + Twine(level.instancesY) +
                            " along Y; it must divide the array's " +
                            Twine(array.rows) + " rows");
    if (i > 0 && (getInstancesX(i) % getInstancesX(i - 1) ||
                  getInstancesY(i) % getInstancesY(i - 1)))
      return fieldError(
          at + ".instances",
          "gives " + Twine(getInstancesX(i)) + " x " + Twine(getInstancesY(i)) +
              " instances, not a multiple of the " +
              Twine(getInstancesX(i - 1)) + " x " +
              Twine(getInstancesY(i - 1)) + " of " + levels[i - 1].name +
              " above it: each instance feeds a grid below");
  }
  for (auto [i, level] : llvm::enumerate(levels))
    if (level.name == "X" || level.name == "Y")
      return fieldError("levels[" + Twine(i) + "].name",
                        "is '" + level.name +
                            "', which mappings use for the array's axes; "
                            "choose another name");
  const PostProcessing &pp = postProcessing;
  if (pp.lanes < 0 || pp.lanes > kMaxArraySide * kMaxArraySide)
    return fieldError("post_processing.lanes",
                      "must be between 0 and " +
                          Twine(kMaxArraySide * kMaxArraySide));
  if (pp.bits < 0 || pp.bits > 64)
    return fieldError("post_processing.bits",
                      "must be between 1 and 64 (or 0: the array's width)");
  if (pp.lanes > 0 && pp.ops == 0)
    return fieldError("post_processing.ops",
                      "must name at least one operation when lanes > 0");
  for (unsigned op = 0; op < kNumVectorOps; ++op)
    if (pp.energyPJ[op] && outside(*pp.energyPJ[op], 0, 1e9))
      return fieldError("post_processing.energy_pj." +
                            stringifyVectorOp(VectorOp(op)),
                        range(0, 1e9));
  if (outside(host.bandwidthGBps, 1e-6, 1e9))
    return fieldError("host.bandwidth_gb_per_s", range(1e-6, 1e9));
  if (outside(host.gops, 1e-6, 1e9))
    return fieldError("host.gop_per_s", range(1e-6, 1e9));
  if (outside(host.energyPJPerByte, 0, 1e9))
    return fieldError("host.energy_pj_per_byte", range(0, 1e9));
  if (outside(host.energyPJPerOp, 0, 1e9))
    return fieldError("host.energy_pj_per_op", range(0, 1e9));
  if (levels.front().holds != 0b111)
    return fieldError("levels[0].holds",
                      "must hold input, weight and output: the outermost "
                      "level is where every tensor lives");
  if (levels.front().instancesX != 1 || levels.front().instancesY != 1)
    return fieldError("levels[0].instances",
                      "must be [1, 1]: the outermost level is shared");
  auto fanouts = getFanouts();
  if (fanouts.size() > kMaxFanouts)
    return fieldError("levels", "have " + Twine(fanouts.size()) +
                                    " fan-outs (levels whose instances "
                                    "grow); at most " +
                                    Twine(kMaxFanouts) + " are supported");
  if (array.systolic && fanouts.size() > 1)
    return fieldError("array.systolic",
                      "is true, but the levels fan out " +
                          Twine(fanouts.size()) +
                          " times; a systolic array has one fan-out (shared "
                          "levels, then per-PE ones)");
  return Error::success();
}

bool Target::supportsBits(int64_t w, int64_t a) const {
  auto ok = [&](int64_t b) {
    if (b < 1 || b > array.bits)
      return false;
    return array.supportedBits.empty() ||
           llvm::is_contained(array.supportedBits, b);
  };
  return ok(w) && ok(a);
}

std::optional<std::string> Target::explainUnsupported(const MacOperands &mac,
                                                      StringRef what) const {
  const int64_t a = mac.activationBits;
  if (array.mac == MacKind::ShiftAdd && mac.encoded && array.shifters > 0) {
    if (supportsBits(1, a))
      return std::nullopt;
    return formatv("{0}-bit activations are not supported by the shift-add "
                   "units",
                   a)
        .str();
  }
  if (array.mac == MacKind::ShiftAdd && array.multipliers == 0)
    return formatv("{0} need multipliers, which the shift-add PEs of target "
                   "'{1}' do not have (encode the weights with "
                   "--accel-shift-add to run on its shifters)",
                   what, name)
        .str();
  if (array.mac == MacKind::BitSerial && mac.encoded) {
    // A term-serial unit takes the codes as they are.
    if (supportsBits(1, a))
      return std::nullopt;
    return formatv("{0}-bit activations are not supported by the bit-serial "
                   "MAC units",
                   a)
        .str();
  }
  // Multipliers: encoded weights at the width of their integers.
  int64_t w = mac.encoded ? mac.valueBits : mac.weightBits;
  if (supportsBits(w, a))
    return std::nullopt;
  if (mac.encoded)
    return formatv("{0} stand for {1}-bit integers; {1}-bit x {2}-bit "
                   "products are not supported by the {3} MAC units",
                   what, w, a, stringifyMacKind(array.mac))
        .str();
  if (what.empty())
    return formatv("{0}-bit x {1}-bit activations (a product of two "
                   "activations) are not supported by the {2} MAC units",
                   w, a, stringifyMacKind(array.mac))
        .str();
  return formatv("{0}-bit {1} x {2}-bit activations are not supported by "
                 "the {3} MAC units",
                 w, what, a, stringifyMacKind(array.mac))
      .str();
}

/// Steps a term-serial unit takes per weight: one per non-zero term, at
/// least one (it moves on to the next weight).
static double termSteps(double terms) { return std::max(terms, 1.0); }

double Target::getMacsPerCycle(const MacOperands &mac) const {
  const int64_t a = mac.activationBits;
  const int64_t w = mac.encoded ? mac.valueBits : mac.weightBits;
  switch (array.mac) {
  case MacKind::BitFusion:
    return 16.0 / bitFusionBricks(w, a);
  case MacKind::BitSerial:
    return double(array.lanes) /
           (mac.encoded ? termSteps(mac.terms) * double(a) : double(w * a));
  case MacKind::ShiftAdd:
    // Each shifter takes one term per cycle; a PE takes at most one weight
    // per cycle.
    if (mac.encoded && array.shifters > 0)
      return std::min(1.0, double(array.shifters) / termSteps(mac.terms));
    return double(std::max<int64_t>(array.multipliers, 1));
  case MacKind::Integer:
  case MacKind::Float:
    return 1.0;
  }
  return 1.0;
}

MacEnergy Target::getMacEnergy(const MacOperands &mac) const {
  const double full = double(array.bits);
  const int64_t a = mac.activationBits;
  const int64_t w = mac.encoded ? mac.valueBits : mac.weightBits;
  // An override is the energy at the array's full width; other widths
  // scale it like the default model does.
  auto scaled = [&](double atFull, MacEnergy e) {
    if (compute.macEnergyPJ) {
      double f = *compute.macEnergyPJ / atFull;
      e.multiplyPJ *= f;
      e.shiftPJ *= f;
      e.addPJ *= f;
    }
    return e;
  };
  // Bit-level units: an 8 x 8 MAC's multiply and add, scaled by `share`.
  auto eightBitShare = [&](double share) {
    return scaled(intMulPJ(8, 8) + intAddPJ(8),
                  MacEnergy{intMulPJ(8, 8) * share, 0, intAddPJ(8) * share});
  };
  switch (array.mac) {
  case MacKind::Integer:
    return scaled(intMulPJ(full, full) + intAddPJ(full),
                  MacEnergy{intMulPJ(w, a), 0, intAddPJ(std::max(w, a))});
  case MacKind::Float:
    return scaled(floatMacPJ(full),
                  MacEnergy{floatMacPJ(full) - (full <= 16 ? 0.4 : 0.9), 0,
                            full <= 16 ? 0.4 : 0.9});
  case MacKind::ShiftAdd: {
    if (mac.encoded && array.shifters > 0) {
      // Each term: the activation shifted, then added (the terms combined
      // and accumulated); adds at the operands' width, as ShiftAddNet
      // counts them.
      double acc = double(std::max(mac.weightBits, a));
      return scaled(shiftPJ(full) + intAddPJ(full),
                    MacEnergy{0, mac.terms * shiftPJ(double(a)),
                              mac.terms * intAddPJ(acc)});
    }
    return scaled(intMulPJ(full, full) + intAddPJ(full),
                  MacEnergy{intMulPJ(w, a), 0, intAddPJ(std::max(w, a))});
  }
  case MacKind::BitFusion:
    // In proportion to the bricks a multiply occupies; 16 bricks make one
    // 8 x 8 MAC.
    return eightBitShare(bitFusionBricks(w, a) / 16.0);
  case MacKind::BitSerial:
    return eightBitShare((mac.encoded ? mac.terms * double(a) : double(w * a)) /
                         64.0);
  }
  return {};
}

double Target::getAluEnergyPJ(int64_t bits) const {
  if (array.mac == MacKind::Float)
    return bits <= 16 ? 0.4 : 0.9;
  return intAddPJ(double(bits));
}

double Target::getReadEnergyPJ(unsigned level) const {
  const MemoryLevel &l = levels[level];
  return l.readEnergyPJ ? *l.readEnergyPJ
                        : sramAccessPJ(l.capacityBytes, l.wordBits);
}

double Target::getWriteEnergyPJ(unsigned level) const {
  const MemoryLevel &l = levels[level];
  return l.writeEnergyPJ ? *l.writeEnergyPJ : getReadEnergyPJ(level);
}

double Target::getNetworkEnergyPJ() const {
  if (array.networkEnergyPJ)
    return *array.networkEnergyPJ;
  return 2.0 * getMacEnergyPJ(array.bits, array.bits);
}

int64_t Target::getPostProcessingBits() const {
  return postProcessing.bits > 0 ? postProcessing.bits : array.bits;
}

double Target::getVectorOpEnergyPJ(VectorOp op) const {
  if (const std::optional<double> &e = postProcessing.energyPJ[unsigned(op)])
    return *e;
  double bits = double(getPostProcessingBits());
  double add, mul;
  if (array.mac == MacKind::Float) {
    add = bits <= 16 ? 0.4 : 0.9;
    mul = bits <= 16 ? 1.1 : 3.7;
  } else {
    add = intAddPJ(bits);
    mul = intMulPJ(bits, bits);
  }
  switch (op) {
  case VectorOp::Add:
  case VectorOp::Compare:
    return add;
  case VectorOp::Multiply:
    return mul;
  case VectorOp::Divide:
    return 5 * mul + 2 * add;
  case VectorOp::Transcendental:
    return 2 * mul + 2 * add;
  }
  return add;
}

PostProcessing tandem::hw::getDefaultPostProcessing(const PEArray &array) {
  PostProcessing pp;
  pp.lanes = array.cols;
  pp.ops = (1u << unsigned(VectorOp::Add)) |
           (1u << unsigned(VectorOp::Multiply)) |
           (1u << unsigned(VectorOp::Compare));
  return pp;
}

double Target::getAreaMM2() const {
  double pe;
  if (compute.peAreaMM2) {
    pe = *compute.peAreaMM2;
  } else {
    double b = double(array.bits), um2 = 0;
    switch (array.mac) {
    case MacKind::Float:
      um2 = b <= 16 ? 1640 + 1360 : 7700 + 4184;
      break;
    case MacKind::ShiftAdd:
      // Each shift-add unit: a barrel shifter (34 um^2 at 8 bits,
      // Horowitz) and an adder; each multiplier with its adder.
      um2 = double(array.shifters) * (34 * b / 8 + intAddUm2(b)) +
            double(array.multipliers) * (intMulUm2(b) + intAddUm2(b));
      break;
    case MacKind::BitSerial:
      // `lanes` AND gates and a popcount tree: about one adder bit each.
      um2 = 36.0 / 8 * double(array.lanes) * 2;
      break;
    case MacKind::Integer:
    case MacKind::BitFusion:
      um2 = intMulUm2(b) + intAddUm2(b);
      break;
    }
    pe = um2 * 1e-6;
  }
  double area = pe * double(array.getNumPEs());
  // Each post-processing lane: a multiplier and an adder (compares share
  // it); divides and tables are not in the estimate.
  double ppBits = double(getPostProcessingBits());
  area += double(postProcessing.lanes) *
          (intMulUm2(ppBits) + intAddUm2(ppBits)) * 1e-6;
  for (auto [i, level] : llvm::enumerate(levels)) {
    if (level.capacityBytes == 0)
      continue; // off-chip
    double one = level.areaMM2
                     ? *level.areaMM2
                     : double(level.capacityBytes) * 8 * kSramUm2PerBit * 1e-6;
    area += one * double(getInstances(i));
  }
  return area;
}

TensorKind tandem::hw::getStationaryTensor(Dataflow dataflow) {
  switch (dataflow) {
  case Dataflow::OutputStationary:
    return Output;
  case Dataflow::InputStationary:
    return Input;
  case Dataflow::WeightStationary:
  case Dataflow::RowStationary:
    return Weight;
  }
  return Weight;
}

StringRef tandem::hw::stringifyMacKind(MacKind kind) {
  switch (kind) {
  case MacKind::Integer:
    return "int";
  case MacKind::Float:
    return "float";
  case MacKind::BitFusion:
    return "bit-fusion";
  case MacKind::BitSerial:
    return "bit-serial";
  case MacKind::ShiftAdd:
    return "shift-add";
  }
  return "";
}

StringRef tandem::hw::stringifyDataflow(Dataflow dataflow) {
  switch (dataflow) {
  case Dataflow::WeightStationary:
    return "ws";
  case Dataflow::OutputStationary:
    return "os";
  case Dataflow::InputStationary:
    return "is";
  case Dataflow::RowStationary:
    return "rs";
  }
  return "";
}

StringRef tandem::hw::stringifyVectorOp(VectorOp op) {
  switch (op) {
  case VectorOp::Add:
    return "add";
  case VectorOp::Multiply:
    return "multiply";
  case VectorOp::Compare:
    return "compare";
  case VectorOp::Divide:
    return "divide";
  case VectorOp::Transcendental:
    return "transcendental";
  }
  return "";
}

StringRef tandem::hw::stringifyTensorKind(TensorKind kind) {
  switch (kind) {
  case Input:
    return "input";
  case Weight:
    return "weight";
  case Output:
    return "output";
  }
  return "";
}
