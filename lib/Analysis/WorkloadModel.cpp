//===- WorkloadModel.cpp - A module as the accelerator sees it ------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Fusion follows what accelerators do in their output path (TPU's activation
// pipeline, NVDLA's SDP): the element-wise ops that consume a contraction's
// result are applied as the result streams out of the array, so their
// intermediate tensors never reach memory. A group grows from the
// contraction through element-wise consumers (and reshapes, which move no
// data) for as long as it still has a single value that leaves it; a second
// activation an op needs (the skip connection of a residual add) is read
// from DRAM. A batch norm right after the contraction folds into its weights
// and bias.
//
// Placement: a contraction runs on the PE array when its widths are
// supported, else on the host; each fused op stays in the output stage while
// the target's post-processing unit has its operations (the rest of the
// group runs on its own); other ops run on the post-processing unit when it
// has their operations, else on the host. Costs (docs/cost-model.md):
//   array row:  max(array cycles, output-stage cycles, DRAM cycles with the
//               fused operands' traffic); energy summed;
//   post-processing row: operands read from and result written to DRAM,
//               max(lane cycles, DRAM cycles);
//   host row:   bytes / bandwidth + operations / rate.
//
//===----------------------------------------------------------------------===//

#include "tandem/Analysis/WorkloadModel.h"
#include "tandem/Analysis/MappingAttrConversion.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Dialect/Accel/IR/ShapeUtils.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <functional>

using namespace mlir;
using namespace tandem;
using namespace tandem::workload;
using accel::OpCounts;
using accel::OperandRole;

OperandFormat workload::getOperandFormat(Type type) {
  if (auto q = dyn_cast<quant::QuantizedType>(type))
    return {false, q.getStorageTypeIntegralWidth()};
  if (auto i = dyn_cast<IntegerType>(type))
    return {false, i.getWidth()};
  if (auto f = dyn_cast<FloatType>(type))
    return {true, f.getWidth()};
  return {true, 32};
}

llvm::StringRef workload::stringifyUnit(Unit unit) {
  switch (unit) {
  case Unit::Array:
    return "array";
  case Unit::PostProcessing:
    return "post-processing";
  case Unit::Host:
    return "host";
  }
  return "";
}

int64_t Layer::getOutputElements() const {
  int64_t elements = 0;
  for (const Operand &o : operands)
    if (o.role == OperandRole::Output)
      elements += o.elements;
  return elements;
}

double workload::getVectorEnergyPJ(const OpCounts &c,
                                   const hw::Target &target) {
  using hw::VectorOp;
  auto e = [&](VectorOp op) { return target.getVectorOpEnergyPJ(op); };
  return double(c.adds) * e(VectorOp::Add) +
         double(c.compares) * e(VectorOp::Compare) +
         double(c.muls) * e(VectorOp::Multiply) +
         double(c.macs) * (e(VectorOp::Multiply) + e(VectorOp::Add)) +
         double(c.divs) * e(VectorOp::Divide) +
         double(c.transcendentals) * e(VectorOp::Transcendental);
}

//===----------------------------------------------------------------------===//
// The target-independent model
//===----------------------------------------------------------------------===//

WorkloadModel::WorkloadModel(Operation *root, AnalysisManager &) {
  build(root);
}

WorkloadModel::WorkloadModel(Operation *root) { build(root); }

std::optional<unsigned> WorkloadModel::lookup(Operation *op) const {
  auto it = layerOf.find(op);
  if (it == layerOf.end())
    return std::nullopt;
  return it->second;
}

/// Elements of `v`, or 0 when its shape is not static (only an
/// accel.onnx_op can have such a result; hostRowCaveat() says so).
static int64_t elementsOf(Value v) {
  if (auto type = dyn_cast<ShapedType>(v.getType()))
    return type.hasStaticShape() ? accel::getNumElements(type.getShape()) : 0;
  return 1;
}

void WorkloadModel::build(Operation *root) {
  root->walk([&](Operation *op) {
    if (!isa<accel::AccelDialect>(op->getDialect()))
      return;
    Layer l;
    l.op = op;
    l.name = accel::getDisplayName(op);
    l.kind = op->getName().stripDialect().str();
    if (auto nestOp = dyn_cast<accel::LoopNestOpInterface>(op)) {
      l.category = Layer::Category::Compute;
      l.nest = nestOp.getLoopNest();
      for (auto [i, t] : llvm::enumerate(l.nest->tensors)) {
        Value v =
            i < op->getNumOperands() ? op->getOperand(i) : op->getResult(0);
        OperandFormat format = getOperandFormat(t.elementType);
        // Encoded weights move through memory as their codes.
        if (l.nest->shiftAdd && t.role == OperandRole::Weight) {
          format.bits = l.nest->shiftAdd->encoding.bits;
          format.encoding = l.nest->shiftAdd->encoding;
          format.termsPerWeight = l.nest->shiftAdd->termsPerIteration;
        }
        l.operands.push_back(
            {t.role, format, accel::getNumElements(t.shape), v});
      }
      if (l.isContraction()) {
        auto problem = cost::buildProblem(*l.nest, 8, 8, 8);
        if (problem)
          l.problem = std::move(*problem);
        else
          l.problemError = llvm::toString(problem.takeError());
        auto spaces = cost::getDataSpaces(*l.nest);
        for (unsigned k = 0; k < cost::kNumTensorKinds; ++k)
          if (spaces[k])
            l.spaceFormats[k] = l.operands[*spaces[k]].format;
      }
    } else if (auto onnx = dyn_cast<accel::OnnxOp>(op)) {
      l.category = Layer::Category::Unmodelled;
      l.kind += " " + onnx.getOpType().str();
      for (Value v : op->getOperands())
        l.operands.push_back({OperandRole::Input,
                              getOperandFormat(getElementTypeOrSelf(v)),
                              elementsOf(v), v});
      for (Value v : op->getResults())
        l.operands.push_back({OperandRole::Output,
                              getOperandFormat(getElementTypeOrSelf(v)),
                              elementsOf(v), v});
    } else {
      l.category = Layer::Category::DataMovement;
    }
    layerOf[op] = layers.size();
    layers.push_back(std::move(l));
  });
  buildFusionGroups();
}

/// Whether `op` can join a group whose values all have `groupElements`
/// elements, taking `member` (a value of the group) as an operand: an
/// element-wise op over the whole result, or a reshape (which moves no
/// data).
static bool canFuse(const Layer &layer, Value member, int64_t groupElements) {
  Operation *op = layer.op;
  if (op->getNumResults() != 1 || elementsOf(op->getResult(0)) != groupElements)
    return false;
  if (isa<accel::ReshapeOp>(op))
    return true;
  if (!layer.nest || layer.nest->kind != accel::ComputeKind::Elementwise)
    return false;
  // The group's value must be used whole, not broadcast.
  return elementsOf(member) == groupElements;
}

void WorkloadModel::buildFusionGroups() {
  llvm::DenseSet<Operation *> taken;
  for (auto [i, layer] : llvm::enumerate(layers)) {
    if (layer.category != Layer::Category::DataMovement)
      singleGroups.push_back({unsigned(i), {}, {}});
  }
  for (auto [i, layer] : llvm::enumerate(layers)) {
    if (layer.category == Layer::Category::DataMovement ||
        taken.contains(layer.op))
      continue;
    FusionGroup group{unsigned(i), {}, {}};
    if (!layer.isContraction() || layer.op->getNumResults() != 1) {
      fusedGroups.push_back(group);
      continue;
    }
    Operation *anchor = layer.op;
    int64_t elements = elementsOf(anchor->getResult(0));
    // Members in order (reshapes included), and the longest prefix that
    // leaves a single value escaping the group.
    SmallVector<Operation *, 8> members = {anchor};
    llvm::SmallPtrSet<Operation *, 8> memberSet = {anchor};
    SmallVector<bool, 8> memberFolded = {false};
    unsigned best = 1;
    // The value a batch norm may fold into: the contraction's result, or a
    // folded batch norm's, used by nothing else; and only when the
    // contraction multiplies by constant weights to fold into.
    auto spaces = cost::getDataSpaces(*layer.nest);
    Value linear;
    if (spaces[hw::Weight] &&
        layer.nest->tensors[*spaces[hw::Weight]].role == OperandRole::Weight)
      linear = anchor->getResult(0);
    auto escaping = [&](unsigned count) {
      llvm::SmallPtrSet<Operation *, 8> set(members.begin(),
                                            members.begin() + count);
      unsigned n = 0;
      for (unsigned m = 0; m < count; ++m)
        for (Value v : members[m]->getResults())
          n += llvm::any_of(v.getUsers(),
                            [&](Operation *u) { return !set.contains(u); });
      return n;
    };
    for (Operation *next = anchor->getNextNode(); next;
         next = next->getNextNode()) {
      Value member;
      for (Value operand : next->getOperands())
        if (Operation *def = operand.getDefiningOp();
            def && memberSet.contains(def)) {
          member = operand;
          break;
        }
      if (!member)
        continue;
      auto it = layerOf.find(next);
      if (it == layerOf.end() || taken.contains(next) ||
          !canFuse(layers[it->second], member, elements))
        break; // a value of the group leaves it here
      bool folded = false;
      if (auto bn = dyn_cast<accel::BatchNormOp>(next)) {
        folded = linear && bn.getInput() == linear && linear.hasOneUse() &&
                 llvm::all_of(next->getOperands().drop_front(), [](Value v) {
                   return matchPattern(v, m_Constant());
                 });
        linear = folded ? next->getResult(0) : Value();
      } else {
        // A reshape may move the channel axis a batch norm scales.
        linear = Value();
      }
      members.push_back(next);
      memberSet.insert(next);
      memberFolded.push_back(folded);
      if (escaping(members.size()) <= 1)
        best = members.size();
    }
    for (unsigned m = 1; m < best; ++m) {
      taken.insert(members[m]);
      if (isa<accel::ReshapeOp>(members[m]))
        continue;
      group.fused.push_back(layerOf.lookup(members[m]));
      group.folded.push_back(memberFolded[m]);
    }
    fusedGroups.push_back(std::move(group));
  }
}

//===----------------------------------------------------------------------===//
// Placement
//===----------------------------------------------------------------------===//

static std::string joinOps(unsigned mask) {
  std::string text;
  for (unsigned op = 0; op < hw::kNumVectorOps; ++op)
    if (mask & (1u << op))
      text += (text.empty() ? "" : ", ") +
              hw::stringifyVectorOp(hw::VectorOp(op)).str();
  return text;
}

std::optional<std::string>
WorkloadModel::explainVectorUnsupported(const OpCounts &c,
                                        const hw::Target &target) const {
  const hw::PostProcessing &pp = target.postProcessing;
  if (pp.lanes == 0)
    return "target '" + target.name + "' has no post-processing unit";
  using hw::VectorOp;
  unsigned needed = 0;
  auto need = [&](int64_t count, VectorOp op) {
    if (count)
      needed |= 1u << unsigned(op);
  };
  need(c.adds + c.macs, VectorOp::Add);
  need(c.muls + c.macs, VectorOp::Multiply);
  need(c.compares, VectorOp::Compare);
  need(c.divs, VectorOp::Divide);
  need(c.transcendentals, VectorOp::Transcendental);
  unsigned missing = needed & ~pp.ops;
  if (!missing)
    return std::nullopt;
  return "needs " + joinOps(missing) +
         ", which the post-processing unit of target '" + target.name +
         "' lacks (it has " + joinOps(pp.ops) + ")";
}

llvm::Expected<cost::Problem>
WorkloadModel::getArrayProblem(unsigned index, const hw::Target &target,
                               int64_t floatBits) const {
  const Layer &l = layers[index];
  if (!l.problem)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   l.problemError);
  int64_t floatWidth = floatBits > 0 ? floatBits : target.array.bits;
  cost::Problem p = *l.problem;
  for (unsigned k = 0; k < cost::kNumTensorKinds; ++k)
    p.tensors[k].bits = l.spaceFormats[k].getCostedBits(floatWidth);
  bool secondIsWeight = true;
  if (auto spaces = cost::getDataSpaces(*l.nest); spaces[hw::Weight])
    secondIsWeight =
        l.nest->tensors[*spaces[hw::Weight]].role == OperandRole::Weight;
  std::string what =
      l.nest->shiftAdd
          ? getEncodingLabel(l.nest->shiftAdd->encoding) + " weights"
          : (secondIsWeight ? "weights" : "");
  if (auto why = target.explainUnsupported(p.getMacOperands(), what))
    return llvm::createStringError(llvm::inconvertibleErrorCode(), *why);
  return cost::prepareProblem(p, target);
}

std::vector<Row> WorkloadModel::place(const hw::Target &target,
                                      const CostOptions &options) const {
  std::vector<Row> rows;
  auto standalone = [&](unsigned index) {
    const Layer &l = layers[index];
    Row row;
    row.layer = index;
    if (l.category == Layer::Category::Unmodelled) {
      row.hostReason = "an ONNX operator Tandem does not model";
    } else if (l.isContraction()) {
      auto problem = getArrayProblem(index, target, options.floatBits);
      if (problem) {
        row.unit = Unit::Array;
        row.problem = std::move(*problem);
      } else {
        row.hostReason = llvm::toString(problem.takeError());
      }
    } else if (auto why =
                   explainVectorUnsupported(l.nest->getTotalCounts(), target)) {
      row.hostReason = *why;
    } else {
      row.unit = Unit::PostProcessing;
    }
    return row;
  };
  for (const FusionGroup &g : getGroups(options.fuse)) {
    Row row = standalone(g.anchor);
    size_t kept = 0;
    std::string why;
    if (row.unit == Unit::Array)
      for (; kept < g.fused.size(); ++kept) {
        const Layer &f = layers[g.fused[kept]];
        // A folded batch norm leaves at most a bias add, which the
        // accumulators can take.
        if (!g.folded[kept])
          if (auto reason =
                  explainVectorUnsupported(f.nest->getTotalCounts(), target)) {
            why = *reason;
            break;
          }
        row.fused.push_back(g.fused[kept]);
        row.folded.push_back(g.folded[kept]);
      }
    if (row.unit == Unit::Host) {
      // The host runs the whole group, as the array would have.
      row.fused = g.fused;
      row.folded = g.folded;
      kept = g.fused.size();
    }
    rows.push_back(std::move(row));
    if (kept == g.fused.size())
      continue;
    // The rest of the group, from the first op the output stage cannot run,
    // goes to the host together: its intermediates stay there too.
    Row rest;
    rest.layer = g.fused[kept];
    rest.hostReason = why;
    rest.fused.assign(g.fused.begin() + kept + 1, g.fused.end());
    rest.folded.assign(g.folded.begin() + kept + 1, g.folded.end());
    rows.push_back(std::move(rest));
  }
  llvm::stable_sort(
      rows, [](const Row &a, const Row &b) { return a.layer < b.layer; });
  return rows;
}

//===----------------------------------------------------------------------===//
// Costs
//===----------------------------------------------------------------------===//

/// DRAM traffic of `elements` elements of `bits` bits, in words of `level`.
static double toWords(double elements, int64_t bits,
                      const hw::MemoryLevel &level) {
  return elements * double(bits) / double(level.wordBits);
}

/// Ends a row's figures: the slowest of its parts and their summed energy.
static void finishRow(Row &row, const hw::Target &target, double baseCycles,
                      const std::string &baseBound, double baseReadWords,
                      double baseWriteWords, double baseEnergyPJ) {
  const hw::MemoryLevel &dram = target.levels.front();
  row.dramEnergyPJ = row.dramReadWords * target.getReadEnergyPJ(0) +
                     row.dramWriteWords * target.getWriteEnergyPJ(0);
  double dramCycles = std::ceil(
      std::max((baseReadWords + row.dramReadWords) / dram.readBandwidth,
               (baseWriteWords + row.dramWriteWords) / dram.writeBandwidth));
  row.cycles = baseCycles;
  row.boundBy = baseBound;
  if (row.vectorCycles > row.cycles) {
    row.cycles = row.vectorCycles;
    row.boundBy = "post-processing";
  }
  if (dramCycles > row.cycles) {
    row.cycles = dramCycles;
    row.boundBy = dram.name;
  }
  row.energyPJ = baseEnergyPJ + row.vectorEnergyPJ + row.dramEnergyPJ +
                 row.accumulatorInitEnergyPJ;
}

/// The ops of a row: its layer's op, the ops fused into it, and the
/// reshapes that pass values between them (which move no data).
static llvm::SmallPtrSet<Operation *, 8> getRowMembers(ArrayRef<Layer> layers,
                                                       const Row &row) {
  llvm::SmallPtrSet<Operation *, 8> members = {layers[row.layer].op};
  for (unsigned f : row.fused)
    members.insert(layers[f].op);
  for (bool grew = true; grew;) {
    grew = false;
    for (Operation *m :
         SmallVector<Operation *, 8>(members.begin(), members.end()))
      for (Operation *user : m->getUsers())
        if (isa<accel::ReshapeOp>(user) && !members.contains(user) &&
            llvm::any_of(user->getUsers(),
                         [&](Operation *u) { return members.contains(u); }))
          grew |= members.insert(user).second;
  }
  return members;
}

/// The values of a row's ops that are used outside it, in program order.
static SmallVector<Value, 2>
getEscapingValues(const llvm::SmallPtrSet<Operation *, 8> &members) {
  SmallVector<Value, 2> escaping;
  for (Operation *m : members)
    for (Value v : m->getResults())
      if (llvm::any_of(v.getUsers(),
                       [&](Operation *u) { return !members.contains(u); }))
        escaping.push_back(v);
  llvm::sort(escaping, [](Value a, Value b) {
    return a.getDefiningOp()->isBeforeInBlock(b.getDefiningOp());
  });
  return escaping;
}

void WorkloadModel::costArrayRow(Row &row, const hw::Target &target,
                                 int64_t floatWidth, const CostOptions &options,
                                 MappingProvider provider,
                                 WorkloadCost &result) const {
  const Layer &anchor = layers[row.layer];
  Operation *op = anchor.op;
  // The mapping: the op's own (which says which loops it flattens), else
  // the provider's.
  auto attr = op->getAttrOfType<accel::MappingAttr>("accel.mapping");
  auto getMapping = [&]() -> llvm::Expected<cost::Mapping> {
    if (!options.useMappingAttributes || !attr)
      return provider(*row.problem);
    llvm::Expected<cost::Problem> mapped =
        cost::getMappedProblem(attr, *row.problem);
    if (!mapped)
      return mapped.takeError();
    row.problem = std::move(*mapped);
    return cost::fromMappingAttr(attr, *row.problem, target);
  };
  llvm::Expected<cost::Mapping> mapping = getMapping();
  const cost::Problem &problem = *row.problem;
  if (mapping) {
    if (llvm::Error err = cost::verifyMapping(problem, *mapping, target))
      mapping = std::move(err);
  }
  if (!mapping) {
    if (!result.failed()) {
      result.errorOp = op;
      result.error = (options.useMappingAttributes && attr
                          ? "invalid mapping on target '"
                          : "no valid mapping on target '") +
                     target.name + "': " + llvm::toString(mapping.takeError());
    } else {
      llvm::consumeError(mapping.takeError());
    }
    return;
  }
  row.mapping = *mapping;
  row.array = cost::evaluate(problem, row.mapping, target);
  row.macs = problem.getMacs();

  // The output stage: the contraction's own per-output work (its bias),
  // then the fused ops. Values made inside the group never touch DRAM;
  // other operands of fused ops are read once.
  const hw::MemoryLevel &dram = target.levels.front();
  llvm::SmallPtrSet<Operation *, 8> members = getRowMembers(layers, row);
  llvm::SmallPtrSet<Value, 8> read;
  auto readOnce = [&](const Operand &o) {
    Operation *def = o.value.getDefiningOp();
    if ((def && members.contains(def)) || !read.insert(o.value).second)
      return;
    row.dramReadElements += double(o.elements);
    row.dramReadWords +=
        toWords(double(o.elements), o.format.getCostedBits(floatWidth), dram);
  };
  int64_t outputElements = anchor.getOutputElements();
  OpCounts biasAdds = anchor.nest->perOutput.scaled(outputElements);
  // The contraction's operands outside its data spaces (a bias, constant
  // or not) are read by the output stage.
  auto spaces = cost::getDataSpaces(*anchor.nest);
  bool hasBias = false;
  for (auto [i, o] : llvm::enumerate(anchor.operands))
    if (o.role != OperandRole::Output && !llvm::is_contained(spaces, i)) {
      readOnce(o);
      hasBias = true;
    }
  OpCounts fusedOps;
  for (auto [f, folded] : llvm::zip(row.fused, row.folded)) {
    const Layer &l = layers[f];
    if (folded) {
      // Its statistics fold into the weights and into a bias: one add per
      // output and one vector read, unless the contraction has a bias
      // already.
      if (!hasBias) {
        biasAdds.adds += outputElements;
        readOnce(l.operands[2]);
        hasBias = true;
      }
      continue;
    }
    fusedOps += l.nest->getTotalCounts();
    for (const Operand &o : l.operands)
      if (o.role != OperandRole::Output)
        readOnce(o);
  }
  // The array's output data space writes one value of the contraction's
  // result width: the row's result, the last value to leave it. It is
  // stored at its own width; every other value that leaves the row is
  // written too.
  SmallVector<Value, 2> escaping = getEscapingValues(members);
  const int64_t resultBits = problem.tensors[hw::Output].bits;
  for (auto [i, v] : llvm::enumerate(escaping)) {
    int64_t bits =
        getOperandFormat(getElementTypeOrSelf(v)).getCostedBits(floatWidth);
    double elements = double(elementsOf(v));
    if (i + 1 == escaping.size()) {
      if (bits != resultBits) {
        double words = toWords(elements, bits - resultBits, dram);
        row.dramWriteWords += words;
        row.resultWidthEnergyPJ = words * target.getWriteEnergyPJ(0);
      }
      continue;
    }
    row.dramWriteElements += elements;
    row.dramWriteWords += toWords(elements, bits, dram);
  }
  if (target.postProcessing.lanes > 0 &&
      target.postProcessing.has(hw::VectorOp::Add)) {
    fusedOps += biasAdds;
  } else {
    row.accumulatorInitEnergyPJ =
        double(biasAdds.adds) *
        target.getAluEnergyPJ(problem.tensors[hw::Output].bits);
  }
  row.vectorOps = fusedOps;
  if (target.postProcessing.lanes > 0)
    row.vectorCycles = std::ceil(double(fusedOps.getLaneOps()) /
                                 double(target.postProcessing.lanes));
  row.vectorEnergyPJ = getVectorEnergyPJ(fusedOps, target);
  std::string bound = row.array.bindingLevel < 0
                          ? "compute"
                          : target.levels[row.array.bindingLevel].name;
  finishRow(row, target, row.array.cycles, bound, row.array.readWords[0],
            row.array.writeWords[0], row.array.energyPJ);
}

void WorkloadModel::costVectorRow(Row &row, const hw::Target &target,
                                  int64_t floatWidth) const {
  const Layer &l = layers[row.layer];
  const hw::MemoryLevel &dram = target.levels.front();
  row.vectorOps = l.nest->getTotalCounts();
  row.vectorCycles = std::ceil(double(row.vectorOps.getLaneOps()) /
                               double(target.postProcessing.lanes));
  row.vectorEnergyPJ = getVectorEnergyPJ(row.vectorOps, target);
  llvm::SmallPtrSet<Value, 4> read;
  for (const Operand &o : l.operands) {
    // An operand used twice (x * x) is read once.
    if (o.role != OperandRole::Output && !read.insert(o.value).second)
      continue;
    double words =
        toWords(double(o.elements), o.format.getCostedBits(floatWidth), dram);
    if (o.role == OperandRole::Output) {
      row.dramWriteElements += double(o.elements);
      row.dramWriteWords += words;
    } else {
      row.dramReadElements += double(o.elements);
      row.dramReadWords += words;
    }
  }
  finishRow(row, target, 0, "post-processing", 0, 0, 0);
}

void WorkloadModel::costHostRow(Row &row, const hw::Target &target,
                                int64_t floatWidth) const {
  // The host reads what the row's ops take from outside the row and writes
  // what leaves it, in the accelerator's format (floats at its float
  // width); values made and used inside stay in its memory.
  llvm::SmallPtrSet<Operation *, 8> members = getRowMembers(layers, row);
  llvm::SmallPtrSet<Value, 8> moved;
  bool unknownSizes = false;
  auto bytesOf = [&](Value v) {
    unknownSizes |= !cast<ShapedType>(v.getType()).hasStaticShape();
    return double(elementsOf(v)) *
           double(getOperandFormat(getElementTypeOrSelf(v))
                      .getCostedBits(floatWidth)) /
           8.0;
  };
  for (Operation *op : members)
    for (Value v : op->getOperands()) {
      Operation *def = v.getDefiningOp();
      if ((!def || !members.contains(def)) && moved.insert(v).second)
        row.hostBytes += bytesOf(v);
    }
  for (Value v : getEscapingValues(members))
    row.hostBytes += bytesOf(v);
  if (unknownSizes)
    row.hostReason += " (tensors of dynamic shape are not counted)";
  auto opsOf = [&](const Layer &l) {
    return l.nest ? double(l.nest->getTotalCounts().getTotalOps())
                  : double(l.getOutputElements());
  };
  const Layer &l = layers[row.layer];
  row.hostOps = opsOf(l);
  for (unsigned f : row.fused)
    row.hostOps += opsOf(layers[f]);
  if (l.isContraction())
    row.macs = l.nest->getMacs();
  const hw::HostModel &h = target.host;
  double seconds =
      row.hostBytes / (h.bandwidthGBps * 1e9) + row.hostOps / (h.gops * 1e9);
  // Rounded to a millionth of a cycle first, so that floating-point noise
  // never adds a cycle.
  row.cycles = std::ceil(std::round(seconds * target.clockMHz * 1e12) * 1e-6);
  row.energyPJ =
      row.hostBytes * h.energyPJPerByte + row.hostOps * h.energyPJPerOp;
  row.boundBy = "host";
}

WorkloadCost WorkloadModel::evaluate(const hw::Target &target,
                                     const CostOptions &options,
                                     MappingProvider provider) const {
  WorkloadCost result;
  int64_t floatWidth =
      options.floatBits > 0 ? options.floatBits : target.array.bits;
  result.rows = place(target, options);
  for (const Layer &l : layers)
    result.dataMovement += l.category == Layer::Category::DataMovement;
  for (Row &row : result.rows) {
    switch (row.unit) {
    case Unit::Array:
      costArrayRow(row, target, floatWidth, options, provider, result);
      if (result.failed())
        return result;
      result.partCycles[WorkloadCost::ArrayPart] += row.array.cycles;
      result.partEnergyPJ[WorkloadCost::ArrayPart] +=
          row.array.energyPJ + row.resultWidthEnergyPJ;
      result.partCycles[WorkloadCost::OutputStagePart] +=
          row.cycles - row.array.cycles;
      result.partEnergyPJ[WorkloadCost::OutputStagePart] +=
          row.energyPJ - row.array.energyPJ - row.resultWidthEnergyPJ;
      break;
    case Unit::PostProcessing:
      costVectorRow(row, target, floatWidth);
      result.partCycles[WorkloadCost::PostProcessingPart] += row.cycles;
      result.partEnergyPJ[WorkloadCost::PostProcessingPart] += row.energyPJ;
      break;
    case Unit::Host:
      costHostRow(row, target, floatWidth);
      result.partCycles[WorkloadCost::HostPart] += row.cycles;
      result.partEnergyPJ[WorkloadCost::HostPart] += row.energyPJ;
      break;
    }
    // Reports print counts as int64: refuse what they cannot hold rather
    // than print a wrapped (negative) figure.
    if (!(row.cycles < 0x1p62) || !(row.energyPJ < 0x1p62)) {
      result.errorOp = layers[row.layer].op;
      result.error = llvm::formatv("the cost on target '{0}' overflows: "
                                   "{1:e} cycles and {2:e} pJ, more than "
                                   "2^62 (a layer too large for the target)",
                                   target.name, row.cycles, row.energyPJ)
                         .str();
      return result;
    }
    result.cycles += row.cycles;
    result.energyPJ += row.energyPJ;
    result.macs += row.macs;
  }
  return result;
}
