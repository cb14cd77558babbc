#!/usr/bin/python3
"""Tandem's systolic cycles beside SCALE-Sim v2's own runs.

Usage: bench/scalesim/compare.py [--tandem-opt PATH] [--tolerance T] RESULT.json...

Each RESULT.json is SCALE-Sim's report for one layer (COMPUTE_REPORT and
DETAILED_ACCESS_REPORT summed over its rows, CALC interface bandwidth), named
LAYER_DATAFLOW_SIZE.json for a SIZE x SIZE array; LAYERS below gives each
layer's shape. This script writes the layer as Tandem IR (with SCALE-Sim's output size,
see output_size), costs it with the
target's default mapping on an equivalent systolic target and prints the
cycles side by side; with --counts, also SCALE-Sim's SRAM and DRAM access
counts beside Tandem's report of them (scalesim-counts=true: SCALE-Sim counts
what crosses the array's edges, which Tandem's per-level counts define
differently; docs/fidelity.md). Exit status 1 if any cycle count (or, with
--counts, SRAM count) differs by more than --tolerance (default 1%).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

# name: (H, W (padded input), R, S, C, K, stride, kind); for GEMMs
# H = M, S = K (the reduction), K = N. "dw": depthwise (groups = C, SCALE-Sim
# runs one filter per channel).
LAYERS = {
    "resnet_conv1": (230, 230, 7, 7, 3, 64, 2, "conv"),
    "resnet_3x3": (58, 58, 3, 3, 64, 64, 1, "conv"),
    "resnet_3x3_s2": (58, 58, 3, 3, 64, 128, 2, "conv"),
    "resnet_down1x1": (28, 28, 1, 1, 128, 256, 2, "conv"),
    "resnet50_pw": (14, 14, 1, 1, 256, 1024, 1, "conv"),
    "mbv2_pw": (14, 14, 1, 1, 64, 384, 1, "conv"),
    "mbv2_DPdw": (16, 16, 3, 3, 96, 1, 1, "dw"),
    "mbv2_DPdw_s2": (29, 29, 3, 3, 48, 1, 2, "dw"),
    "bert_qproj": (128, 768, 1, 768, 1, 768, 1, "gemm"),
    "bert_scores": (128, 64, 1, 64, 1, 128, 1, "gemm"),
    "bert_ffn1": (128, 768, 1, 768, 1, 3072, 1, "gemm"),
}

COUNTS = ("SRAM IFMAP Reads", "SRAM Filter Reads", "SRAM OFMAP Writes",
          "DRAM IFMAP Reads", "DRAM Filter Reads", "DRAM OFMAP Writes")

TARGET = """name: {df}{n}
clock_mhz: 1000
array: {{rows: {n}, cols: {n}, mac: int, bits: 8, dataflow: {df}, systolic: true}}
levels:
  - {{name: DRAM, capacity_bytes: 0, word_bits: 64, read_bandwidth: 10000, write_bandwidth: 10000, holds: [input, weight, output]}}
  - {{name: SRAM, capacity_bytes: 16777216, word_bits: 64, read_bandwidth: 10000, write_bandwidth: 10000, holds: [input, weight, output]}}
  - {{name: reg, per_pe: true, capacity_bytes: 3, word_bits: 8, read_bandwidth: 4, write_bandwidth: 4, holds: [input, weight, output]}}
"""


def output_size(h, r, stride):
    """SCALE-Sim's output rows: ceil((H - R + stride) / stride), one more
    than the layer has when (H - R) is not a multiple of the stride (230 rows,
    7x7, stride 2: 113, where the conv gives 112)."""
    return -(-(h - r + stride) // stride)


def layer_ir(name):
    """The layer as SCALE-Sim computes it (its output size; the input cut to
    what those outputs read)."""
    h, w, r, s, c, k, stride, kind = LAYERS[name]
    if kind == "gemm":
        a, b, y = f"tensor<{h}x{w}xf32>", f"tensor<{w}x{k}xf32>", f"tensor<{h}x{k}xf32>"
        op = f"accel.matmul %a, %b : ({a}, {b}) -> {y}"
    else:
        e, f = output_size(h, r, stride), output_size(w, s, stride)
        h, w = (e - 1) * stride + r, (f - 1) * stride + s
        groups = c if kind == "dw" else 1
        kout = c if kind == "dw" else k
        a = f"tensor<1x{c}x{h}x{w}xf32>"
        b = f"tensor<{kout}x{c // groups}x{r}x{s}xf32>"
        y = f"tensor<1x{kout}x{e}x{f}xf32>"
        attrs = (f" strides [{stride}, {stride}]" if stride > 1 else "") + \
                (f" groups {groups}" if groups > 1 else "")
        op = f"accel.conv2d %a, %b{attrs} : ({a}, {b}) -> {y}"
    return (f"func.func @main(%a: {a}, %b: {b}) -> {y} {{\n"
            f"  %0 = {op} loc(\"{name}\")\n  return %0 : {y}\n}}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tandem-opt", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "bin", "tandem-opt"))
    parser.add_argument("--tolerance", type=float, default=0.01)
    parser.add_argument("--counts", action="store_true",
                        help="also print SCALE-Sim's SRAM counts beside the formulas")
    parser.add_argument("results", nargs="+")
    args = parser.parse_args()
    ok = True
    print(f"{'layer':16} {'df':3} {'array':>5} {'SCALE-Sim':>10} {'Tandem':>10} {'diff':>8}")
    for path in args.results:
        base = os.path.basename(path)[:-len(".json")]
        name, df, n = base.rsplit("_", 2)
        n = int(n)
        with open(path) as f:
            theirs = json.load(f)
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "t.yaml"), "w") as f:
                f.write(TARGET.format(df=df, n=n))
            with open(os.path.join(tmp, "m.mlir"), "w") as f:
                f.write(layer_ir(name))
            run = subprocess.run(
                [args.tandem_opt, os.path.join(tmp, "m.mlir"),
                 f"--accel-cost-report=target={os.path.join(tmp, 't.yaml')} float-bits=8 "
                 "format=json scalesim-counts=true",
                 "-o", os.devnull], capture_output=True, text=True)
        if run.returncode:
            sys.exit(f"tandem-opt failed on {base}:\n{run.stderr}")
        op = json.loads(run.stdout)["ops"][0]
        ours = op["cycles"]
        cycles = theirs["Total Cycles"]
        diff = (ours - cycles) / cycles
        ok &= abs(diff) <= args.tolerance
        print(f"{name:16} {df:3} {n:5} {cycles:10.0f} {ours:10.0f} {diff:+8.2%}")
        if args.counts:
            for key in COUNTS:
                mine = op["scalesim_counts"][key.lower().replace(" ", "_")]
                d = (mine - theirs[key]) / theirs[key] if theirs[key] else 0
                if key.startswith("SRAM"):
                    ok &= abs(d) <= args.tolerance
                print(f"    {key:18} {theirs[key]:12.0f} {mine:12.0f} {d:+8.2%}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
