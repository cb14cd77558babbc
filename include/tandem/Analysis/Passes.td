//===- Passes.td - Analysis passes ------------------------*- tablegen -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_ANALYSIS_PASSES_TD
#define TANDEM_ANALYSIS_PASSES_TD

include "mlir/Pass/PassBase.td"

def CostReportPass : Pass<"accel-cost-report", "::mlir::ModuleOp"> {
  let summary = "Report latency, energy and area of every op on a target";
  let description = [{
    Costs the module on `target` (a preset name such as `eyeriss`, or a
    YAML file) through the workload model and writes a report: one row per
    unit of work, named by its op's location (the ONNX node name):

    - an *array* row: a contraction (convolution, matrix product) on the PE
      array, with the element-wise ops fused into its output stage (bias,
      batch norm, activations, residual adds), their operations on the
      target's post-processing unit and the operands they read from DRAM;
      the intermediate tensors never leave the chip;
    - a *post-processing* row: an op the target's vector unit runs on its
      own (pooling, an element-wise op that could not be fused), reading its
      operands from and writing its result to DRAM;
    - a *host* row: an op the accelerator cannot run (an ONNX operator
      Tandem does not model, widths the MAC units lack, operations the
      post-processing unit lacks), costed by the target's host model (bytes
      over its bandwidth plus operations over its rate).

    Totals include all three, and are also broken down by part. Data
    movement ops (reshape, transpose, ...) are counted, not costed. Batch
    norms right after a contraction are costed as folded into it.

    Each contraction uses the mapping in its `accel.mapping` attribute if it
    has one (docs/mapping.md), else the target's default mapping for its
    dataflow. Operand widths come from the element types (the storage type
    of `!quant.uniform`); float tensors count as `float-bits` wide (default:
    the array's width). Text reports energy in uJ and latency in ms; JSON
    (schema `tandem-cost-report/3`, docs/cost-model.md) in pJ and ms.

    Access counts follow Timeloop's definitions (reads, fills, updates and
    drains per level). On a systolic target, `scalesim-counts` adds SCALE-Sim
    v2's (operand SRAM reads and output SRAM writes per fold, DRAM traffic),
    which count what crosses the array's edges (docs/fidelity.md).

    With `annotate`, every costed op also gets an `accel.cost` attribute
    (`#accel.cost<...>`), and every fused op `accel.fused_into`, for tests.

    ```
    tandem-opt model.mlir --accel-cost-report="target=eyeriss" -o /dev/null
    tandem-opt model.mlir --accel-cost-report="target=my.yaml format=json output=report.json"
    tandem-opt model.mlir --accel-cost-report="target=systolic fuse=false" -o /dev/null
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"\"",
           "Preset name (see targets/) or path to a target YAML file">,
    Option<"format", "format", "::tandem::ReportFormat",
           /*default=*/"::tandem::ReportFormat::Text", "Report format",
           [{::llvm::cl::values(
               clEnumValN(::tandem::ReportFormat::Text, "text",
                          "a table for people (uJ, ms)"),
               clEnumValN(::tandem::ReportFormat::JSON, "json",
                          "tandem-cost-report/3 (pJ, ms)"))}]>,
    Option<"output", "output", "std::string", /*default=*/"\"-\"",
           "Where to write the report (- for standard output)">,
    Option<"annotate", "annotate", "bool", /*default=*/"false",
           "Attach #accel.cost attributes to the costed ops">,
    Option<"floatBits", "float-bits", "int64_t", /*default=*/"0",
           "Width assumed for float tensors (0: the array's width)">,
    Option<"fuse", "fuse", "bool", /*default=*/"true",
           "Fuse element-wise ops into their producers' output stages "
           "(false: every op on its own, through DRAM)">,
    Option<"scalesimCounts", "scalesim-counts", "bool", /*default=*/"false",
           "Also report each array row's access counts as SCALE-Sim v2 "
           "defines them (systolic targets only)">,
  ];
}

def TestWorkloadPass : Pass<"accel-test-workload", "::mlir::ModuleOp"> {
  let summary = "Attach the workload model's view of every op, for tests";
  let description = [{
    Test pass for the workload model (`getAnalysis<WorkloadModel>()`).
    Every compute op gets `accel.roles`, the role of each operand and of the
    result in order (`input`, `second-input`, `weight`, `parameter`,
    `output`); every op fused into a contraction's output stage gets
    `accel.fused_into` with the contraction's name, and `accel.folded` when
    it is a batch norm folded into it. With `target`, every op also gets
    `accel.unit` (`array`, `post-processing` or `host`) and host ops
    `accel.host_reason`: a fused op whose operations the target's output
    stage lacks keeps `accel.fused_into` (its group) but runs elsewhere.

    ```
    tandem-opt model.mlir --accel-test-workload="target=eyeriss"
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"\"",
           "Also place every op on this target (preset or YAML file)">,
    Option<"fuse", "fuse", "bool", /*default=*/"true",
           "Form fusion groups">,
    Option<"floatBits", "float-bits", "int64_t", /*default=*/"0",
           "Width assumed for float tensors (0: the array's width)">,
  ];
}

#endif // TANDEM_ANALYSIS_PASSES_TD
