#!/usr/bin/python3
"""Tandem's access counts and cycles beside Timeloop's, given Timeloop's mapping.

Usage: bench/timeloop/compare.py [--tandem-opt PATH] [--tolerance T] RESULT.json...

Each RESULT.json is what bench/timeloop/run_timeloop.py wrote (--save-prefix)
for one layer on the `eyeriss` or `ws16` architecture: Timeloop v3's own
counts and the mapping it chose. results/ holds the ones docs/fidelity.md
reports (trimmed to the fields used here). This script writes the same layer as an accel.conv2d
(a GEMM as a 1x1 conv), translates the mapping into #accel.mapping on the
equivalent Tandem target (bench/timeloop/<arch>.yaml), runs
--accel-cost-report and prints, per level and data space, Timeloop's
reads/fills/updates beside Tandem's, with the ratio. Tandem's drains are
printed apart: Timeloop counts them nowhere. Exit status 1 if any count or
the cycles differ by more than --tolerance (default 5%).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = {"Inputs": "input", "Weights": "weight", "Outputs": "output"}
DIMS = "NKPQCRS"


def to_mapping(levels, holds):
    """Timeloop's per-level loops as #accel.mapping text, outermost first."""
    out = []
    for level in levels:  # outermost first
        name = level["name"]
        factors = level["temporal_factors"] or {}
        order = (level["temporal_permutation_inner_to_outer"] or "")[::-1]
        loops = [f"{d}:{factors[d]}" for d in order if factors.get(d, 1) > 1]
        bypass = [KINDS[k] for k in ("Inputs", "Weights", "Outputs")
                  if KINDS[k] in holds.get(name, ()) and k not in level["keeps"]]
        text = f"{name}[{' '.join(loops)}"
        if bypass:
            text += " | bypass " + ", ".join(bypass)
        out.append(text + "]")
        spatial = level.get("spatial_loops") or []
        for axis in ("X", "Y"):
            axis_loops = [f"{l['dim']}:{l['bound']}" for l in spatial
                          if l["spatial"] == axis and l["bound"] > 1]
            if axis_loops:
                out.append(f"{axis}[{' '.join(axis_loops)}]")
    return " ".join(out)


def conv_ir(layer, mapping):
    n, k, c = layer["N"], layer["K"], layer["C"]
    p, q, r, s = layer["P"], layer["Q"], layer["R"], layer["S"]
    sh, sw = layer["Wstride"], layer["Hstride"]  # Timeloop: R, P on W
    h, w = (p - 1) * sh + r, (q - 1) * sw + s
    x = f"tensor<{n}x{c}x{h}x{w}xf32>"
    wt = f"tensor<{k}x{c}x{r}x{s}xf32>"
    y = f"tensor<{n}x{k}x{p}x{q}xf32>"
    return (f"func.func @layer(%x: {x}, %w: {wt}) -> {y} {{\n"
            f"  %0 = accel.conv2d %x, %w strides [{sh}, {sw}] "
            f"{{accel.mapping = #accel.mapping<{mapping}>}} : ({x}, {wt}) -> {y} loc(\"layer\")\n"
            f"  return %0 : {y}\n}}\n")


def holds_of(target):
    """Level name -> the tensors the Tandem target lets it hold (the targets
    here write each level on one line: `- {name: N, ..., holds: [...]}`)."""
    holds = {}
    with open(target) as f:
        for line in f:
            m = re.search(r"name: (\w+),.*holds: \[([^]]*)\]", line)
            if m:
                holds[m.group(1)] = tuple(h.strip() for h in m.group(2).split(",") if h.strip())
    return holds


def compare(result, tandem_opt, tolerance):
    target = os.path.join(HERE, result["arch"] + ".yaml")
    holds = holds_of(target)
    mapping = to_mapping(result["levels"], holds)
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "layer.mlir")
        with open(model, "w") as f:
            f.write(conv_ir(result["layer"], mapping))
        run = subprocess.run(
            [tandem_opt, model,
             f"--accel-cost-report=target={target} format=json", "-o", os.devnull],
            capture_output=True, text=True)
    if run.returncode:
        sys.exit(f"tandem-opt failed on {mapping}:\n{run.stderr}")
    op = json.loads(run.stdout)["ops"][0]
    rows, worst = [], 0.0

    def row(what, theirs, ours):
        nonlocal worst
        if theirs == 0 and ours == 0:
            return
        diff = (ours - theirs) / theirs if theirs else float("inf")
        worst = max(worst, abs(diff))
        rows.append(f"  {what:32} {theirs:>14,.0f} {ours:>14,.0f} {diff:+8.1%}")

    row("cycles", result["cycles"], op["cycles"])
    for level in result["levels"]:
        ours = op["accesses"].get(level["name"], {})
        for space, counts in level["dataspaces"].items():
            kind = KINDS[space]
            if space not in level["keeps"]:
                continue
            mine = ours.get(kind, {})
            for key in ("reads", "fills", "updates"):
                row(f"{level['name']} {kind} {key}", counts[key], mine.get(key, 0))
    drains = ", ".join(f"{lvl} {t['output']['drains']:,.0f}"
                       for lvl, t in op["accesses"].items()
                       if "output" in t and t["output"].get("drains"))
    print(f"{result['arch']} {result['layer_name']}: {mapping}")
    print(f"  {'':32} {'Timeloop':>14} {'Tandem':>14} {'diff':>8}")
    print("\n".join(rows))
    print(f"  (Tandem's drains, not counted by Timeloop: {drains})")
    return worst <= tolerance


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tandem-opt", default=os.path.join(HERE, "..", "..", "build", "bin", "tandem-opt"))
    parser.add_argument("--tolerance", type=float, default=0.05)
    parser.add_argument("results", nargs="+")
    args = parser.parse_args()
    ok = True
    for path in args.results:
        with open(path) as f:
            result = json.load(f)
        result.setdefault("layer_name", os.path.basename(path).rsplit(".", 1)[0])
        ok &= compare(result, args.tandem_opt, args.tolerance)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
