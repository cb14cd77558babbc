//===- cost-model-bench.cpp - Evaluations per second of the cost model ----===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Loads a model (.onnx, .onnxtext or .mlir), takes the cost-model problem
// of every conv2d from the workload model (8-bit operands), draws --mappings
// valid random mappings per layer on the target (prime factors of every loop
// spread over the memory levels and the array, random loop orders, kept only if
// verifyMapping accepts them), then evaluates all (layer, mapping) pairs round
// robin on one thread for
// --seconds and prints the rate:
//   {"target": ..., "layers": N, "mappings": N, "evaluations": N,
//    "seconds": S, "evaluations_per_second": R, "ns_per_evaluation": T}
//
//===----------------------------------------------------------------------===//

#include "BenchSupport.h"

#include "tandem/Analysis/WorkloadModel.h"
#include "tandem/InitAll.h"
#include "tandem/Target/ONNX/ImportONNX.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <random>

using namespace tandem;
using namespace tandem::cost;

namespace {

llvm::SmallVector<int64_t> primeFactors(int64_t n) {
  llvm::SmallVector<int64_t> factors;
  for (int64_t p = 2; p * p <= n; ++p)
    while (n % p == 0) {
      factors.push_back(p);
      n /= p;
    }
  if (n > 1)
    factors.push_back(n);
  return factors;
}

/// A random mapping: every prime factor of every loop goes to a memory level
/// (DRAM twice as likely, so tiles usually fit) or to the array's X or Y.
Mapping randomMapping(const Problem &p, const hw::Target &target,
                      std::mt19937 &rng) {
  unsigned numLevels = target.levels.size();
  Mapping m = Mapping::identity(numLevels);
  std::uniform_int_distribution<unsigned> place(0, numLevels + 2);
  std::uniform_int_distribution<unsigned> fanout(
      0, std::max<size_t>(target.getFanouts().size(), 1) - 1);
  for (unsigned d = 0; d < p.numDims; ++d)
    for (int64_t f : primeFactors(p.extents[d])) {
      unsigned where = place(rng);
      if (where == numLevels + 2)
        where = 0; // the extra slot: DRAM again
      if (where < numLevels)
        m.factors[where][d] *= f;
      else if (where == numLevels)
        m.spatialX[fanout(rng)][d] *= f;
      else
        m.spatialY[fanout(rng)][d] *= f;
    }
  for (unsigned l = 0; l < numLevels; ++l)
    std::shuffle(m.order[l].begin(), m.order[l].begin() + p.numDims, rng);
  return m;
}

} // namespace

int main(int argc, char **argv) {
  static llvm::cl::OptionCategory category("tandem-cost-bench options");
  llvm::cl::opt<std::string> path(llvm::cl::Positional, llvm::cl::Required,
                                  llvm::cl::desc("<model: .onnx or .mlir>"),
                                  llvm::cl::cat(category));
  llvm::cl::opt<std::string> targetName(
      "target", llvm::cl::desc("Preset name or YAML file"),
      llvm::cl::init("eyeriss"), llvm::cl::cat(category));
  llvm::cl::opt<unsigned> mappingsPerLayer(
      "mappings", llvm::cl::desc("Valid random mappings per layer"),
      llvm::cl::init(256), llvm::cl::cat(category));
  llvm::cl::opt<double> seconds("seconds",
                                llvm::cl::desc("How long to evaluate"),
                                llvm::cl::init(2.0), llvm::cl::cat(category));
  llvm::cl::opt<unsigned> seed("seed", llvm::cl::init(1),
                               llvm::cl::desc("Seed for the mappings"),
                               llvm::cl::cat(category));
  llvm::cl::HideUnrelatedOptions(category);
  llvm::cl::ParseCommandLineOptions(
      argc, argv, "Evaluations per second of the cost model (one thread)\n");

  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::optional<hw::Target> target;
  if (!bench::loadInputs(path, targetName, context, module, target))
    return 1;

  std::vector<Problem> problems;
  workload::WorkloadModel model(*module);
  for (auto [i, layer] : llvm::enumerate(model.getLayers())) {
    if (layer.kind != "conv2d")
      continue;
    auto problem = model.getArrayProblem(i, *target, 8);
    if (problem)
      problems.push_back(std::move(*problem));
    else
      llvm::consumeError(problem.takeError());
  }
  if (problems.empty()) {
    llvm::errs() << path << ": no conv2d layers\n";
    return 1;
  }

  std::mt19937 rng(seed);
  std::vector<std::pair<unsigned, Mapping>> work;
  for (auto [i, p] : llvm::enumerate(problems)) {
    unsigned found = 0;
    for (unsigned tries = 0; found < mappingsPerLayer && tries < 200000;
         ++tries) {
      Mapping m = randomMapping(p, *target, rng);
      if (!isValidMapping(p, m, *target))
        continue;
      work.emplace_back(i, m);
      ++found;
    }
  }

  // One context per layer, as a search builds one per layer it maps.
  std::vector<CostContext> contexts;
  for (const Problem &p : problems)
    contexts.emplace_back(p, *target);
  double checksum = 0;
  uint64_t evaluations = 0;
  auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (const auto &[i, m] : work)
      checksum += evaluate(contexts[i], m).cycles;
    evaluations += work.size();
    elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
  }
  llvm::outs() << llvm::format(
      "{\"target\": \"%s\", \"layers\": %zu, \"mappings\": %zu, "
      "\"evaluations\": %llu, \"seconds\": %.3f, "
      "\"evaluations_per_second\": %.0f, \"ns_per_evaluation\": %.1f, "
      "\"checksum\": %.6g}\n",
      target->name.c_str(), problems.size(), work.size(),
      (unsigned long long)evaluations, elapsed, evaluations / elapsed,
      elapsed / evaluations * 1e9, checksum);
  return 0;
}
