#!/usr/bin/python3
"""tandem-codesign on joint spaces: four searches at equal evaluations.

Usage: bench/joint_codesign_benchmark.py [--build BUILD_DIR]
           [--models cnn,resnet,mobilenet (also resnet18, mobilenet_v2)]
           [--evaluations 1000]
           [--validation-samples 1000]
           [--searches sequential,nested,nsga2,differentiable] [--seed 1]
           [--practical] [--work DIR]
           [--weight-rounding nearest|gptq|gptq-sequential]
           [--depthwise-inputs per-tensor|per-channel] [--json out.json]
           [--sensitivity sensitivity.json] [--space SPACE.yaml]
           [--activation-clipping percentile|mse]

For each trained Fashion-MNIST model (examples/fashion-mnist; also
torchvision's resnet18 and mobilenet_v2 trained on Fashion-MNIST at 3x32x32,
as bench/mixed_precision_benchmark.py trains them), the joint
space examples/fashion-mnist/joint-space.yaml (resnet18:
joint-space-resnet18.yaml, W2/W4/W8 x A4/A8 per layer, the first and last
at W8A8; mobilenet_v2: joint-space-mobilenet_v2.yaml, shared groups, one
choice per stage and one for the depthwise layers): the `bismo` preset (bit-serial: any width from 2 to 8) with 118 million
points: rows, cols, lanes, clock, buffer capacity and bandwidth, and every
layer's weight width (2-8) and activation width (4 or 8); at most 3 points
of top-1 lost against fp32 (the search's estimate, which runs high);
objectives latency, energy, accuracy loss. Each search runs with the same
number of real evaluations (every point costed by the cost model on its own
quantized IR) and seed, with percentile clipping of activations (99.99;
--activation-clipping mse: MSE clipping) and bias correction; --space gives
another space for every model; sensitivity (--validation-samples, 1,000 training images) is measured by the first
run and reused by the others. For each search: wall time, the
measured front's size, its hypervolume over (latency, energy, accuracy
loss), each normalized over the union of all searches' fronts (reference
point 1.1), and the front's design of lowest EDP among those that lose at
most 1 point as measured on the validation images: its EDP against the
best W8A8 design's (the sequential search's first phase: every layer at
W8A8) and its top-1 on the 10,000 test images (its policy applied to the
model calibrated as tandem-codesign calibrates it, run by tandem-run).

--weight-rounding gptq rounds every policy's weights by GPTQ (the search's
and the test accuracy's); gptq-sequential rounds the front's designs and the
test accuracy's by sequential GPTQ (the search estimates with GPTQ); --depthwise-inputs per-channel gives the tensors
only depthwise layers read a grid per channel (both likewise).

--practical also runs NSGA-II with 5,000 evaluations on the CNN's space and
prints its wall time (the 10-minute goal of the joint co-design issue).
"""

import argparse
import csv
import json
import pathlib
import re
import shutil
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from codesign_benchmark import hypervolume  # noqa: E402
from mixed_precision_benchmark import (FASHION, fashion_model,  # noqa: E402
                                      torchvision_model)

SPACE = ROOT / "examples" / "fashion-mnist" / "joint-space.yaml"
OBJECTIVES = ["latency_ms", "energy_pj", "accuracy_loss_pct"]


class Model:
    """A benchmark model and its data (validation: the search's; test), as
    mixed_precision_benchmark describes them."""

    def __init__(self, name, work):
        if name in FASHION:
            self.path, args = fashion_model(name)
        else:
            self.path, args = torchvision_model(name, work)
        flags = dict(zip(args[::2], args[1::2]))
        self.name = name
        self.shape = flags["--input-shape"]
        self.data, self.labels = flags["--dataset"], flags["--labels"]
        self.test, self.test_labels = flags["--test-dataset"], flags["--test-labels"]


def codesign(build, model, space, out, search, evaluations, seed, reuse, rounding,
             depthwise_inputs, validation_samples, clipping):
    if reuse and reuse.exists():
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(reuse, out / "sensitivity.json")
    start = time.monotonic()
    subprocess.run([build / "bin" / "tandem-codesign", model.path, "--input-shape",
                    model.shape, "--space", space, "--out", out,
                    "--dataset", model.data, "--labels", model.labels,
                    "--validation-samples", str(validation_samples),
                    "--search", search, "--evaluations", str(evaluations),
                    "--seed", str(seed), "--activation-clipping", clipping,
                    "--bias-correction", "--weight-rounding", rounding,
                    "--depthwise-inputs", depthwise_inputs, "--quiet"],
                   check=True)
    return time.monotonic() - start


def apply_policy(build, model, calibrated, labels, out, rounding, depthwise_inputs,
                 clipping):
    """The model quantized by a front design's policy (its choice labels)."""
    layers = {}
    for layer, label in labels.items():
        weights, activations = label.split("/A")
        if weights.startswith("W"):
            layers[layer] = {"weight_bits": int(weights[1:]),
                             "activation_bits": int(activations)}
        else:
            raise ValueError(f"benchmark spaces have multiply choices only: {label}")
    policy = out.with_suffix(".json")
    policy.write_text(json.dumps({
        "layers": layers, "weights": {"bias_correction": True, "rounding": rounding},
        "activations": {"clipping": clipping, "percentile": 99.99,
                        "depthwise_inputs": depthwise_inputs}}))
    # GPTQ's moments (or sequential GPTQ's runs) on the samples
    # tandem-codesign calibrates on.
    data = f" data={model.data} samples=512" \
        if rounding != "nearest" else ""
    subprocess.run([build / "bin" / "tandem-opt", calibrated,
                    f"--accel-quantize=policy={policy}{data}", "--mlir-print-debuginfo",
                    "-o", out], check=True)
    return out


def test_accuracy(build, model, mlir):
    done = subprocess.run([build / "bin" / "tandem-run", mlir,
                           "--dataset", model.test, "--labels", model.test_labels,
                           "--num-threads", "2"],
                          check=True, capture_output=True, text=True)
    return float(re.search(r"top-1 accuracy: ([\d.]+)", done.stdout).group(1))


def best_w8a8_edp(candidates):
    """The lowest EDP of a feasible design with every layer at W8A8."""
    best = None
    with open(candidates, newline="") as f:
        for r in csv.DictReader(f):
            layers = [v for k, v in r.items() if k.startswith("network.")]
            if r["status"] == "feasible" and all(v == "W8/A8" for v in layers):
                edp = float(r["edp_pj_ms"])
                best = edp if best is None else min(best, edp)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--models", default="cnn,resnet,mobilenet")
    parser.add_argument("--evaluations", type=int, default=1000)
    parser.add_argument("--searches", default="sequential,nested,nsga2,differentiable")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--practical", action="store_true")
    parser.add_argument("--work", default="/tmp/tandem-joint-bench")
    parser.add_argument("--weight-rounding", default="nearest", choices=["nearest", "gptq", "gptq-sequential"])
    parser.add_argument("--validation-samples", type=int, default=1000,
                        help="samples the sensitivity and the front are measured on")
    parser.add_argument("--depthwise-inputs", default="per-tensor",
                        choices=["per-tensor", "per-channel"],
                        help="grids of the tensors only depthwise layers read")
    parser.add_argument("--sensitivity",
                        help="a sensitivity.json of an earlier run on the same model and "
                             "data for the first search (tandem-codesign reuses it if its "
                             "key matches)")
    parser.add_argument("--space", help="the joint space of every model (default: "
                        "joint-space-MODEL.yaml if there is one, else joint-space.yaml)")
    parser.add_argument("--activation-clipping", default="percentile",
                        choices=["percentile", "mse"])
    parser.add_argument("--json")
    args = parser.parse_args()
    build = pathlib.Path(args.build)
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for name in args.models.split(","):
        model = Model(name, work)
        # A model whose layers would make the shared space exceed 64-bit
        # point ids has its own (fewer choices per layer).
        own = SPACE.with_name(f"joint-space-{name}.yaml")
        space = args.space or (own if own.exists() else SPACE)
        # Calibrated as tandem-codesign calibrates: the first 512 images.
        imported, calibrated = work / f"{name}.mlir", work / f"{name}.cal.mlir"
        subprocess.run([build / "bin" / "tandem-translate", "--import-onnx", model.path,
                        "--input-shape", model.shape, "--mlir-print-debuginfo",
                        "-o", imported], check=True)
        subprocess.run([build / "bin" / "tandem-opt", imported,
                        f"--accel-calibrate=data={model.data} samples=512",
                        "--mlir-print-debuginfo", "-o", calibrated], check=True)
        sensitivity = pathlib.Path(args.sensitivity) if args.sensitivity else None
        runs = []
        for search in args.searches.split(","):
            out = work / f"{name}-{search}"
            shutil.rmtree(out, ignore_errors=True)
            seconds = codesign(build, model, space, out, search, args.evaluations,
                               args.seed, sensitivity, args.weight_rounding,
                               args.depthwise_inputs, args.validation_samples,
                               args.activation_clipping)
            sensitivity = out / "sensitivity.json"
            pareto = json.loads((out / "pareto.json").read_text())
            designs = pareto["designs"]
            front = [[d["metrics"][k] for k in OBJECTIVES] for d in designs]
            within = [d for d in designs if d["metrics"]["accuracy_loss_pct"] <= 1]
            run = {"model": name, "search": search, "seconds": seconds,
                   "evaluations": pareto["search"]["evaluations"], "front": front,
                   "best_edp": None, "best_loss": None, "test_top1": None}
            if within:
                best = min(within, key=lambda d: d["metrics"]["edp_pj_ms"])
                quantized = apply_policy(build, model, calibrated, best["network"]["policy"],
                                         work / f"{name}-{search}-best.mlir",
                                         args.weight_rounding, args.depthwise_inputs,
                                         args.activation_clipping)
                run.update({"best_edp": best["metrics"]["edp_pj_ms"],
                            "best_loss": best["metrics"]["accuracy_loss_pct"],
                            "best_policy": best["network"]["policy"],
                            "best_parameters": {k: v for k, v in best["parameters"].items()
                                                if not k.startswith("network.")},
                            "test_top1": test_accuracy(build, model, quantized)})
            if "surrogate" in pareto:
                run["surrogate"] = pareto["surrogate"]
            if search == "sequential":
                run["w8a8_edp"] = best_w8a8_edp(out / "candidates.csv")
            print(json.dumps({k: v for k, v in run.items() if k != "front"}),
                  flush=True)
            runs.append(run)
        # Hypervolume over the union's range.
        union = [p for r in runs for p in r["front"]]
        lo = [min(p[i] for p in union) for i in range(3)]
        hi = [max(p[i] for p in union) for i in range(3)]

        def normalize(front):
            return [[(v - l) / (h - l) if h > l else 0.0
                     for v, l, h in zip(p, lo, hi)] for p in front]

        w8a8 = next((r["w8a8_edp"] for r in runs if r.get("w8a8_edp")), None)
        for r in runs:
            r["hypervolume"] = hypervolume(normalize(r["front"]), [1.1] * 3)
            r["edp_vs_w8a8"] = w8a8 / r["best_edp"] if w8a8 and r["best_edp"] else None
        results.extend(runs)

    print(f"{'model':<13}{'search':<16}{'evals':>6}{'wall s':>8}{'front':>6}"
          f"{'hypervolume':>12}{'EDP vs W8A8':>12}{'loss (val)':>11}{'test top-1':>11}")
    # The last three columns: the front's lowest-EDP design within 1 point.
    for r in results:
        gain = f"{r['edp_vs_w8a8']:.2f}x" if r["edp_vs_w8a8"] else "-"
        loss = f"{r['best_loss']:.2f}" if r["best_loss"] is not None else "-"
        top1 = f"{100 * r['test_top1']:.2f}%" if r["test_top1"] is not None else "-"
        print(f"{r['model']:<13}{r['search']:<16}{r['evaluations']:>6}"
              f"{r['seconds']:>8.1f}{len(r['front']):>6}{r['hypervolume']:>12.4f}"
              f"{gain:>12}{loss:>11}{top1:>11}")

    if args.practical:
        out = work / "cnn-practical"
        shutil.rmtree(out, ignore_errors=True)
        seconds = codesign(build, Model("cnn", work), space, out, "nsga2", 5000,
                           args.seed, None, args.weight_rounding, args.depthwise_inputs,
                           args.validation_samples, args.activation_clipping)
        pareto = json.loads((out / "pareto.json").read_text())
        print(f"practical: nsga2, {pareto['search']['evaluations']} of "
              f"{pareto['search']['space_size']} points, {seconds:.1f} s "
              f"(sensitivity measured in the run)")
        results.append({"model": "cnn", "search": "practical", "seconds": seconds,
                        "evaluations": pareto["search"]["evaluations"],
                        "space_size": pareto["search"]["space_size"]})
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
