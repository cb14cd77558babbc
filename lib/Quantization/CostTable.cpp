//===- CostTable.cpp - Per-layer latency and energy at every width --------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/CostTable.h"
#include "tandem/Analysis/WorkloadModel.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Quantization/Quantize.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"

#include <atomic>
#include <chrono>
#include <thread>

using namespace mlir;
using namespace tandem;
using namespace tandem::quant;
using llvm::Expected;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

int64_t product(llvm::ArrayRef<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

bool isConstant(Value v) {
  Operation *def = v.getDefiningOp();
  while (def && def->getNumOperands() == 1 &&
         !isa<accel::Conv2DOp, accel::MatmulOp>(def))
    def = def->getOperand(0).getDefiningOp();
  return def && def->hasTrait<OpTrait::ConstantLike>();
}

LayerInfo describe(Operation *op) {
  LayerInfo info;
  info.name = accel::getDisplayName(op);
  if (auto conv = dyn_cast<accel::Conv2DOp>(op)) {
    auto in = cast<RankedTensorType>(conv.getInput().getType()).getShape();
    auto w = cast<RankedTensorType>(conv.getWeight().getType()).getShape();
    info.kind = "conv2d";
    info.inChannels = in[1];
    info.outChannels = w[0];
    info.depthwise = conv.getGroups() > 1 && conv.getGroups() == in[1];
    info.stride = conv.getStrides()[0];
    info.kernel = std::max(w[2], w[3]);
    info.params = product(w);
    info.inputSize = in[2] * in[3];
    info.macs = product(cast<RankedTensorType>(conv.getType()).getShape()) *
                w[1] * w[2] * w[3];
  } else {
    auto mm = cast<accel::MatmulOp>(op);
    auto lhs = cast<RankedTensorType>(mm.getLhs().getType()).getShape();
    auto rhs = cast<RankedTensorType>(mm.getRhs().getType()).getShape();
    info.kind = "matmul";
    info.inChannels = lhs.back();
    info.outChannels = rhs.back();
    info.params = isConstant(mm.getRhs()) ? product(rhs) : 0;
    info.inputSize = lhs[lhs.size() - 2];
    info.macs =
        product(cast<RankedTensorType>(mm.getType()).getShape()) * lhs.back();
  }
  return info;
}

} // namespace

std::vector<LayerInfo> tandem::quant::getLayerInfos(ModuleOp module) {
  std::vector<LayerInfo> infos;
  llvm::StringMap<unsigned> seen;
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return infos;
  main.walk([&](Operation *op) {
    if (!isa<accel::Conv2DOp, accel::MatmulOp>(op))
      return;
    LayerInfo info = describe(op);
    auto [it, inserted] = seen.try_emplace(info.name, infos.size());
    if (inserted) {
      infos.push_back(std::move(info));
      return;
    }
    // Layers of one name share their widths: count them as one.
    LayerInfo &first = infos[it->second];
    first.params += info.params;
    first.macs += info.macs;
  });
  return infos;
}

bool CostTable::supports(LayerBits b) const {
  return llvm::is_contained(bits, b.weightBits) &&
         llvm::is_contained(bits, b.activationBits);
}

Expected<cost::Mapping> MappingCache::get(const cost::Problem &problem) {
  mapping::MappingCache::Entry entry = cache.get(problem, target);
  if (!entry.found)
    return fail(entry.why);
  return entry.mapping;
}

Expected<ModelCost> tandem::quant::costModule(ModuleOp quantized,
                                              llvm::ArrayRef<LayerInfo> layers,
                                              MappingCache &cache) {
  workload::WorkloadModel model(quantized);
  return costWorkload(model, layers, cache.getTarget(),
                      [&](const cost::Problem &p) { return cache.get(p); }, {});
}

Expected<ModelCost> tandem::quant::costWorkload(
    const workload::WorkloadModel &model, llvm::ArrayRef<LayerInfo> layers,
    const hw::Target &target, workload::MappingProvider provider,
    workload::CostOptions options) {
  options.useMappingAttributes = false;
  workload::WorkloadCost cost = model.evaluate(target, options, provider);
  if (cost.failed())
    return fail((cost.errorOp ? accel::getDisplayName(cost.errorOp) + ": "
                              : std::string()) +
                cost.error);
  llvm::StringMap<unsigned> index;
  for (auto [i, l] : llvm::enumerate(layers))
    index[l.name] = i;
  ModelCost result;
  result.total = {cost.cycles, cost.energyPJ};
  result.perLayer.assign(layers.size(), {0, 0});
  result.hostReasons.assign(layers.size(), "");
  result.rest = {0, 0};
  for (const workload::Row &row : cost.rows) {
    const workload::Layer &l = model.getLayers()[row.layer];
    auto it = index.find(l.name);
    bool searched =
        it != index.end() && isa<accel::Conv2DOp, accel::MatmulOp>(l.op);
    CostEntry &e = searched ? result.perLayer[it->second] : result.rest;
    e.cycles += row.cycles;
    e.energyPJ += row.energyPJ;
    if (row.unit == workload::Unit::Array) {
      e.arithmeticPJ += row.array.computeEnergyPJ;
      result.total.arithmeticPJ += row.array.computeEnergyPJ;
    }
    if (row.unit == workload::Unit::Host) {
      if (searched)
        result.hostReasons[it->second] = row.hostReason;
      else
        ++result.restHostRows;
    }
  }
  return result;
}

Expected<ModelCost> tandem::quant::costPolicy(ModuleOp calibrated,
                                              const Policy &policy,
                                              llvm::ArrayRef<LayerInfo> layers,
                                              MappingCache &cache,
                                              WeightCache *weights) {
  OwningOpRef<ModuleOp> clone(cast<ModuleOp>(calibrated->clone()));
  if (failed(quantizeModule(*clone, policy, "policy", weights)))
    return fail("the policy cannot be applied (see the errors above)");
  return costModule(*clone, layers, cache);
}

Expected<CostTable>
tandem::quant::buildCostTable(ModuleOp calibrated, const hw::Target &target,
                              MappingCache &cache, unsigned threads,
                              llvm::ArrayRef<int64_t> widths,
                              llvm::ArrayRef<WeightEncoding> encodings) {
  auto start = std::chrono::steady_clock::now();
  CostTable table;
  table.target = target.name;
  table.clockMHz = target.clockMHz;
  table.layers = getLayerInfos(calibrated);
  if (table.layers.empty())
    return fail("the model has no convolution or matrix product to quantize");
  for (int64_t b = 2; b <= kMaxTableBits; ++b)
    if (target.supportsBits(b, b) &&
        (widths.empty() || llvm::is_contained(widths, b)))
      table.bits.push_back(b);
  if (table.bits.empty())
    return fail("target '" + target.name +
                "' supports none of the requested widths from 2 to 8 bits");
  if (!llvm::is_contained(table.bits, 8))
    return fail("target '" + target.name +
                "' does not support 8 bits, the reference of every budget");

  // Quantize the model at every pair first (single-threaded: one
  // MLIRContext), then map every distinct problem on `threads` threads.
  struct Variant {
    LayerBits bits;
    OwningOpRef<ModuleOp> module;
  };
  std::vector<Variant> variants;
  std::vector<cost::Problem> problems;
  llvm::StringMap<bool> seen;
  WeightCache weights;
  // The pairs: multiply widths, then each encoding at every activation
  // width its units take.
  table.encodings.assign(encodings.begin(), encodings.end());
  std::vector<LayerBits> pairs;
  for (int64_t w : table.bits)
    for (int64_t a : table.bits)
      if (target.supportsBits(w, a))
        pairs.push_back({w, a});
  for (const WeightEncoding &e : encodings)
    for (int64_t a : table.bits)
      if (!target.explainUnsupported(
              hw::MacOperands{e.bits, a, true, 1.0, getValueBits(e)}, ""))
        pairs.push_back(LayerBits::get(e, a));
  for (LayerBits bits : pairs) {
    Policy policy = uniformPolicy(bits.weightBits, bits.activationBits);
    policy.defaults = bits;
    Variant v{bits, OwningOpRef<ModuleOp>(cast<ModuleOp>(calibrated->clone()))};
    if (failed(quantizeModule(*v.module, policy, "policy", &weights)))
      return fail(llvm::formatv("the model cannot be quantized at {0}A{1} "
                                "(see the errors above)",
                                getEncodingLabel(bits.getWeightEncoding()),
                                bits.activationBits)
                      .str());
    workload::WorkloadModel model(*v.module);
    for (const workload::Row &row : model.place(target, {}))
      if (row.problem &&
          seen.try_emplace(mapping::getProblemKey(*row.problem)).second)
        problems.push_back(*row.problem);
    variants.push_back(std::move(v));
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next++) < problems.size();)
      consumeError(cache.get(problems[i]).takeError());
  };
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < std::max(1u, threads); ++t)
    workers.emplace_back(work);
  work();
  for (std::thread &t : workers)
    t.join();

  table.entries.assign(table.layers.size(), BitsGrid());
  table.encoded.assign(
      table.layers.size(),
      std::vector<std::array<CostEntry, kMaxTableBits>>(encodings.size()));
  for (Variant &v : variants) {
    auto cost = costModule(*v.module, table.layers, cache);
    if (!cost)
      return fail(llvm::formatv("{0}A{1} on '{2}': {3}",
                                getEncodingLabel(v.bits.getWeightEncoding()),
                                v.bits.activationBits, target.name,
                                toString(cost.takeError()))
                      .str());
    int64_t w = v.bits.weightBits - 1, a = v.bits.activationBits - 1;
    if (std::optional<unsigned> e = table.findEncoding(v.bits)) {
      for (auto [i, entry] : llvm::enumerate(cost->perLayer))
        table.encoded[i][*e][a] = entry;
      continue;
    }
    table.uniform[w][a] = cost->total;
    for (auto [i, e] : llvm::enumerate(cost->perLayer))
      table.entries[i][w][a] = e;
    if (v.bits == LayerBits{8, 8})
      table.rest = cost->rest;
  }
  table.mapperSearches = cache.getNumSearches();
  table.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return table;
}

//===----------------------------------------------------------------------===//
// Output formats
//===----------------------------------------------------------------------===//

std::string tandem::quant::printCostTableNpy(const CostTable &table,
                                             bool energy) {
  // NPY version 1.0: magic, header length, a Python dict padded with spaces
  // to a multiple of 64 bytes, then little-endian float64 data.
  std::string header = llvm::formatv("{{'descr': '<f8', 'fortran_order': "
                                     "False, 'shape': ({0}, {1}, {1}), }",
                                     table.layers.size(), kMaxTableBits)
                           .str();
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  out += header;
  for (const BitsGrid &grid : table.entries)
    for (const auto &row : grid)
      for (const CostEntry &e : row) {
        double v = !e.isValid() ? 0
                   : energy     ? e.energyPJ * 1e-6
                                : table.toMs(e.cycles);
        out.append(reinterpret_cast<const char *>(&v), sizeof v);
      }
  return out;
}

std::string tandem::quant::printCostTableCSV(const CostTable &table) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "layer,name,weight_bits,activation_bits,cycles,latency_ms,energy_uj,"
        "encoding\n";
  auto row = [&](size_t i, LayerBits b) {
    const CostEntry &e = table.at(i, b);
    if (!e.isValid())
      return;
    os << i << ",\"" << table.layers[i].name << "\"," << b.weightBits << ","
       << b.activationBits << "," << llvm::format("%.0f", e.cycles) << ","
       << llvm::format("%.9g", table.toMs(e.cycles)) << ","
       << llvm::format("%.9g", e.energyPJ * 1e-6) << ","
       << printEncodingChoice(b.encoding, b.maxDigits) << "\n";
  };
  for (size_t i = 0; i < table.layers.size(); ++i) {
    for (int64_t w : table.bits)
      for (int64_t a : table.bits)
        row(i, {w, a});
    for (const WeightEncoding &e : table.encodings)
      for (int64_t a : table.bits)
        row(i, LayerBits::get(e, a));
  }
  return out;
}

namespace {

llvm::json::Value toJSON(const CostEntry &e) {
  return llvm::json::Object{{"cycles", e.cycles}, {"energy_pj", e.energyPJ}};
}

llvm::json::Array gridToJSON(const CostTable &table, const BitsGrid &grid) {
  llvm::json::Array out;
  for (int64_t w : table.bits)
    for (int64_t a : table.bits) {
      const CostEntry &e = grid[w - 1][a - 1];
      if (!e.isValid())
        continue;
      llvm::json::Object o{{"weight_bits", w}, {"activation_bits", a}};
      o["cycles"] = e.cycles;
      o["energy_pj"] = e.energyPJ;
      out.push_back(std::move(o));
    }
  return out;
}

} // namespace

std::string tandem::quant::printCostTableJSON(const CostTable &table) {
  llvm::json::Array layers;
  for (auto [info, grid] : llvm::zip(table.layers, table.entries))
    layers.push_back(llvm::json::Object{{"name", info.name},
                                        {"kind", info.kind},
                                        {"depthwise", info.depthwise},
                                        {"in_channels", info.inChannels},
                                        {"out_channels", info.outChannels},
                                        {"stride", info.stride},
                                        {"kernel", info.kernel},
                                        {"params", info.params},
                                        {"input_size", info.inputSize},
                                        {"macs", info.macs},
                                        {"costs", gridToJSON(table, grid)}});
  // Encoded weights: the same entries with the encoding named.
  for (auto [i, layer] : llvm::enumerate(layers)) {
    llvm::json::Array encoded;
    for (const WeightEncoding &e : table.encodings)
      for (int64_t a : table.bits) {
        const CostEntry &c = table.at(i, LayerBits::get(e, a));
        if (!c.isValid())
          continue;
        encoded.push_back(llvm::json::Object{
            {"encoding", printEncodingChoice(e.kind, e.maxDigits)},
            {"weight_bits", e.bits},
            {"activation_bits", a},
            {"cycles", c.cycles},
            {"energy_pj", c.energyPJ}});
      }
    layer.getAsObject()->try_emplace("encoded_costs", std::move(encoded));
  }
  llvm::json::Array encodingLabels;
  for (const WeightEncoding &e : table.encodings)
    encodingLabels.push_back(getEncodingLabel(e));
  llvm::json::Object root{{"format", "tandem-cost-table/1"},
                          {"target", table.target},
                          {"clock_mhz", table.clockMHz},
                          {"bits", llvm::json::Array(table.bits)},
                          {"encodings", std::move(encodingLabels)},
                          {"layers", std::move(layers)},
                          {"uniform", gridToJSON(table, table.uniform)},
                          {"rest", toJSON(table.rest)},
                          {"mapper_searches", table.mapperSearches},
                          {"seconds", table.seconds}};
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  return out;
}
