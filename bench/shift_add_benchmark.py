"""Shift-add encodings on the trained Fashion-MNIST models, measured.

For each model and each encoding (PoT-5, APoT-5, CSD8, CSD8 with at most 2
and 1 non-zero digits, every layer encoded, activations 8 bits): the test
top-1 accuracy through Tandem's JIT (integer arithmetic, bit-exact with the
numpy shift-and-add reference of test_quantization.py), and the cost on the
`shiftadd` preset (NASA-like PEs: one multiplier, two shift-add units):
arithmetic energy (multiplies, shifts, adds), total energy, latency, area,
every layer mapped by the mapper (local search).
The reference is W8A8 with multipliers on a same-sized int8 array (the
preset with `mac: int`). The average non-zero terms per weight come from
each layer's #accel.weight_encoding (measured on its own weights).

With --search, also the per-layer mix a search of tandem-quantize (the ILP,
or --search-kind evolution) finds with the encodings offered beside W8
(--bits 8) under a budget on the shift-add target (default: arithmetic
energy at most a third of W8A8's). --bias-correction quantizes every model
with bias correction (docs/quantization.md).

  /usr/bin/python3 bench/shift_add_benchmark.py [--build build]
      [--models cnn,resnet,mobilenet] [--bias-correction]
      [--search [--search-kind ilp|evolution --episodes N
                 --validation-samples N]] [--json out.json]
"""

import argparse
import json
import pathlib
import re
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = pathlib.Path("/usr/share/datasets/fashion-mnist")
ENCODINGS = {  # name: (weight bits, encoding)
    "W8A8": (8, "multiply"),
    "PoT-5": (5, "pot"),
    "APoT-5": (5, "apot"),
    "CSD8": (8, "csd"),
    "CSD8-2": (8, "csd-2"),
    "CSD8-1": (8, "csd-1"),
}


def run(cmd):
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{done.stderr}")
    return done


def int8_twin(work):
    """The shiftadd preset with plain int8 multipliers instead of its PEs."""
    text = (ROOT / "targets" / "shiftadd.yaml").read_text()
    text = text.replace("mac: shift-add", "mac: int").replace("name: shiftadd", "name: int8-twin")
    text = re.sub(r"\n  (multipliers|shifters): \d+", "", text)
    path = work / "int8-twin.yaml"
    path.write_text(text)
    return path


def cost(build, mlir, target, out):
    """Every layer mapped by the mapper's local search (as tandem-quantize
    costs policies), then costed."""
    run([build / "bin" / "tandem-opt", mlir,
         f"--accel-map-dataflow=target={target} search=local",
         f"--accel-cost-report=target={target} format=json output={out}", "-o", "/dev/null"])
    r = json.loads(pathlib.Path(out).read_text())
    t = r["total"]
    c = t["energy_by_component_pj"]
    layers = [(o["name"], o["weight_encoding"]["average_terms"])
              for o in r["ops"] if "weight_encoding" in o]
    return {"latency_ms": t["latency_ms"], "energy_uj": t["energy_pj"] * 1e-6,
            "arithmetic_uj": (c["multiply"] + c["shift"] + c["add"]) * 1e-6,
            "multiply_uj": c["multiply"] * 1e-6, "shift_uj": c["shift"] * 1e-6,
            "add_uj": c["add"] * 1e-6, "memory_uj": c["memory"] * 1e-6,
            "area_mm2": t["area_mm2"], "terms": layers}


def accuracy(build, mlir):
    done = run([build / "bin" / "tandem-run", mlir,
                "--dataset", DATA / "t10k-images-idx3-ubyte.gz",
                "--labels", DATA / "t10k-labels-idx1-ubyte.gz", "--num-threads", "2"])
    return float(re.search(r"top-1 accuracy: ([\d.]+)", done.stdout).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--models", default="cnn,resnet,mobilenet")
    parser.add_argument("--encodings", default=",".join(ENCODINGS))
    parser.add_argument("--search", action="store_true")
    parser.add_argument("--search-budget", default="arithmetic=0.33",
                        help="the search's budget (default: 3x lower arithmetic energy "
                             "than W8A8)")
    parser.add_argument("--search-kind", default="ilp", choices=["ilp", "evolution"])
    parser.add_argument("--validation-samples", default="1000",
                        help="training images the search measures policies on")
    parser.add_argument("--episodes", type=int, default=100,
                        help="policies the evolution measures")
    parser.add_argument("--bias-correction", action="store_true")
    parser.add_argument("--work", default="/tmp/tandem-shift-add-bench")
    parser.add_argument("--json")
    args = parser.parse_args()
    build = pathlib.Path(args.build)
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    twin = int8_twin(work)
    results = []
    for model in args.models.split(","):
        onnx = ROOT / "examples" / "fashion-mnist" / f"{model}.onnx"
        imported, calibrated = work / f"{model}.mlir", work / f"{model}.cal.mlir"
        run([build / "bin" / "tandem-translate", "--import-onnx", onnx,
             "--input-shape", "image=100x1x28x28", "--mlir-print-debuginfo", "-o", imported])
        run([build / "bin" / "tandem-opt", imported,
             f"--accel-calibrate=data={DATA / 'train-images-idx3-ubyte.gz'} samples=512",
             "--mlir-print-debuginfo", "-o", calibrated])
        for name in filter(None, args.encodings.split(",")):
            bits, encoding = ENCODINGS[name]
            policy = work / f"{model}-{name}.json"
            policy.write_text(json.dumps({
                "default": {"weight_bits": bits, "activation_bits": 8, "encoding": encoding},
                "weights": {"bias_correction": args.bias_correction}}))
            quantized = work / f"{model}-{name}.mlir"
            start = time.time()
            run([build / "bin" / "tandem-opt", calibrated, f"--accel-quantize=policy={policy}",
                 "--mlir-print-debuginfo", "-o", quantized])
            row = {"model": model, "encoding": name, "top1": accuracy(build, quantized)}
            target = twin if name == "W8A8" else "shiftadd"
            row["target"] = "int8-twin" if name == "W8A8" else "shiftadd"
            row.update(cost(build, quantized, target, work / f"{model}-{name}.cost.json"))
            row["seconds"] = time.time() - start
            print(json.dumps(row), flush=True)
            results.append(row)
        if args.search:
            out = work / f"{model}-search"
            start = time.time()
            run([build / "bin" / "tandem-quantize", onnx, "--input-shape", "image=100x1x28x28",
                 "--target", "shiftadd", "--dataset", DATA / "train-images-idx3-ubyte.gz",
                 "--labels", DATA / "train-labels-idx1-ubyte.gz", "--validation-samples", args.validation_samples,
                 "--test-dataset", DATA / "t10k-images-idx3-ubyte.gz",
                 "--test-labels", DATA / "t10k-labels-idx1-ubyte.gz", "--bits", "8",
                 "--encodings", "pot,apot,csd,csd-2,csd-1", "--budget", args.search_budget,
                 "--budget-scope", "layers", "--search", args.search_kind,
                 "--episodes", args.episodes, "--quiet", "--out", out]
                + (["--bias-correction"] if args.bias_correction else []))
            report = json.loads((out / "report.json").read_text())
            chosen = report["chosen"]
            row = {"model": model, "target": "shiftadd",
                   "encoding": ("ILP" if args.search_kind == "ilp" else "evolution") + " mix",
                   "top1": chosen["test"]["accuracy"],
                   "mix": [(l["weight_bits"], l["encoding"]) for l in chosen["layers"]]}
            row.update(cost(build, out / "quantized.mlir", "shiftadd",
                            work / f"{model}-search.cost.json"))
            row["seconds"] = time.time() - start
            print(json.dumps(row), flush=True)
            results.append(row)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
