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
    Scores every compute op of the module with the cost model on `target`
    (a preset name such as `eyeriss`, or a YAML file) and writes a report:
    one row per op, named by its location (the ONNX node name), with its
    kind, MACs, cycles, energy by component, utilization and the mapping
    used; then totals (cycles, latency, energy, EDP, area). Ops the target
    cannot run (operators it lacks, bit-widths it does not support,
    `accel.onnx_op`) are listed as host fallback with their count; data
    movement ops (reshape, transpose, ...) are counted, not costed.

    Each op uses the mapping in its `accel.mapping` string attribute if it
    has one (see docs/cost-model.md for the syntax), else the target's
    default mapping for its dataflow. Operand widths come from the element
    types (the storage type of `!quant.uniform`); float tensors count as
    `float-bits` wide (default: the array's width).

    With `annotate`, every costed op also gets an `accel.cost` attribute
    (`#accel.cost<...>`) for tests.

    ```
    tandem-opt model.mlir --accel-cost-report="target=eyeriss" -o /dev/null
    tandem-opt model.mlir --accel-cost-report="target=my.yaml format=json output=report.json"
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"\"",
           "Preset name (see targets/) or path to a target YAML file">,
    Option<"format", "format", "std::string", /*default=*/"\"text\"",
           "Report format: text or json">,
    Option<"output", "output", "std::string", /*default=*/"\"-\"",
           "Where to write the report (- for standard output)">,
    Option<"annotate", "annotate", "bool", /*default=*/"false",
           "Attach #accel.cost attributes to the costed ops">,
    Option<"floatBits", "float-bits", "int64_t", /*default=*/"0",
           "Width assumed for float tensors (0: the array's width)">,
  ];
}

#endif // TANDEM_ANALYSIS_PASSES_TD
