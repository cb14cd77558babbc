//===- Passes.td - Dataflow mapping passes ----------------*- tablegen -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_MAPPING_PASSES_TD
#define TANDEM_MAPPING_PASSES_TD

include "mlir/Pass/PassBase.td"

def MapDataflowPass : Pass<"accel-map-dataflow", "::mlir::ModuleOp"> {
  let summary = "Find a dataflow mapping for every compute op on a target";
  let description = [{
    Searches the map space of every compute op on `target` (tile factors
    per memory level, loop orders, spatial factors on the array's X and Y,
    within what the target's dataflow allows) for the mapping that
    minimizes `objective`, scored by the cost model, and attaches it as
    `accel.mapping = #accel.mapping<...>`. `--accel-cost-report` then uses
    it.

    Searches (`search`): `exhaustive` (every factorization and the distinct
    loop orders, pruned where the tiles already break a rule: the reference
    optimum where it finishes), `heuristic` (constructive: the largest
    spatial splits, tiles grown innermost-out), `local` (steepest descent
    from the heuristic's best fills and best maximal innermost tiles),
    `random` (sampling), and `genetic` (in the spirit of GAMMA, seeded like
    `local`). `auto` runs exhaustive when the layer has at most 20,000
    factorizations, genetic from 10^8 on, and local in between. Results
    are deterministic for a `seed` unless `time-budget-ms` cuts a search
    short. With `bypass` (the default), the 8 best tilings are then tried with
    every combination of bypasses the target allows (a level passing a
    tensor it could keep straight to the next level in, as Timeloop's
    mapper chooses per layer; greedily when there are more than 256), and
    the mapping keeps the best.

    The problems come from the workload model, as `--accel-cost-report`
    sees them: the contractions that run on the PE array (element-wise ops
    fused into their output stages need no mapping of their own). Layers
    with the same shapes and widths are searched once; different layers are
    searched in parallel. Ops the array cannot run are left without a
    mapping. An op with no valid mapping at all is an error that names the
    rule its smallest tiles break.

    ```
    tandem-opt model.mlir --accel-map-dataflow="target=eyeriss objective=edp" \
      --accel-cost-report="target=eyeriss"
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"\"",
           "Preset name or target YAML file">,
    Option<"objective", "objective", "::tandem::Metric",
           /*default=*/"::tandem::Metric::EDP", "What to minimize per layer",
           [{::llvm::cl::values(
               clEnumValN(::tandem::Metric::Latency, "latency", "cycles"),
               clEnumValN(::tandem::Metric::Energy, "energy", "picojoules"),
               clEnumValN(::tandem::Metric::EDP, "edp",
                          "cycles x picojoules"))}]>,
    Option<"search", "search", "::tandem::mapping::Strategy",
           /*default=*/"::tandem::mapping::Strategy::Auto",
           "The search per layer",
           [{::llvm::cl::values(
               clEnumValN(::tandem::mapping::Strategy::Auto, "auto",
                          "by the size of the layer's map space"),
               clEnumValN(::tandem::mapping::Strategy::Exhaustive,
                          "exhaustive", "every factorization and order"),
               clEnumValN(::tandem::mapping::Strategy::Heuristic, "heuristic",
                          "constructive, about a millisecond"),
               clEnumValN(::tandem::mapping::Strategy::Local, "local",
                          "steepest descent from the heuristic's seeds"),
               clEnumValN(::tandem::mapping::Strategy::Random, "random",
                          "uniform samples"),
               clEnumValN(::tandem::mapping::Strategy::Genetic, "genetic",
                          "populations, in the spirit of GAMMA"))}]>,
    Option<"seed", "seed", "uint64_t", /*default=*/"1",
           "Seed of the random and genetic searches">,
    Option<"timeBudgetMs", "time-budget-ms", "double", /*default=*/"0",
           "Wall-clock cap per layer in milliseconds (0: none)">,
    Option<"floatBits", "float-bits", "int64_t", /*default=*/"0",
           "Width assumed for float tensors (0: the array's width)">,
    Option<"bypass", "bypass", "bool", /*default=*/"true",
           "Also search which tensors each level below DRAM bypasses "
           "(false: every level keeps what the target says it holds)">,
    Option<"stats", "stats", "bool", /*default=*/"false",
           "Print one line per searched layer: strategy, evaluations, "
           "time, cost">,
  ];
}

#endif // TANDEM_MAPPING_PASSES_TD
