#!/usr/bin/env python3
"""Accuracy of the trained Fashion-MNIST models under quantization policies.

For each model in examples/fashion-mnist: import at batch 100, calibrate on
512 training images, then on the 10,000 test images measure through
Tandem's JIT
  - fp32 accuracy;
  - each policy's accuracy fake-quantized with run-time parameters
    (tandem-run --policy: the model compiles once), and the time to score it;
  - each policy's accuracy with integer arithmetic (--integer), and the
    share of test images where integer and fake-quant predictions agree;
  - the same policy applied by PyTorch's fake quantization with the same
    parameters (bench/torch_fake_quant.py).
Prints a Markdown table (the one in docs/quantization.md) and writes JSON.

  /usr/bin/python3 bench/quantization_benchmark.py [--build build] [--integer]
      [--models cnn,resnet,mobilenet] [--policies w8a8,w4a4,w4a8,w2a8]
      [--depthwise-inputs per-tensor|per-channel]
"""

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "bench"))
import fashion_mnist  # noqa: E402
import torch_fake_quant  # noqa: E402

BATCH = 100


def tool(build, name, *args):
    done = subprocess.run([str(build / "bin" / name), *map(str, args)], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{name} failed:\n{done.stderr}")
    return done.stdout


def field(text, pattern):
    m = re.search(pattern, text)
    return float(m.group(1)) if m else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--models", default="cnn,resnet,mobilenet")
    parser.add_argument("--policies", default="w8a8,w4a4,w4a8,w2a8")
    parser.add_argument("--integer", action="store_true",
                        help="also score every policy with integer arithmetic (slow)")
    parser.add_argument("--qdq", action="store_true",
                        help="also export each policy as QDQ ONNX, re-import it and score "
                             "the re-imported model (fake-quant)")
    parser.add_argument("--no-pytorch", action="store_true",
                        help="skip the PyTorch fake-quant reference")
    parser.add_argument("--depthwise-inputs", choices=["per-tensor", "per-channel"],
                        default="per-tensor",
                        help="grids of the tensors only depthwise layers read "
                             "(activations.depthwise_inputs)")
    parser.add_argument("--json", default="quantization-benchmark.json")
    args = parser.parse_args()
    build = pathlib.Path(args.build)
    images = fashion_mnist.path("t10k", "images")
    labels_path = fashion_mnist.path("t10k", "labels")
    labels = fashion_mnist.labels("t10k")
    test_images = fashion_mnist.images("t10k")
    policies = args.policies.split(",")
    results = {}
    tmp = pathlib.Path(tempfile.mkdtemp())
    for name in args.models.split(","):
        onnx = ROOT / "examples" / "fashion-mnist" / f"{name}.onnx"
        if not onnx.exists():
            print(f"skipping {name}: {onnx} is missing")
            continue
        mlir, cal = tmp / f"{name}.mlir", tmp / f"{name}.cal.mlir"
        tool(build, "tandem-translate", "--import-onnx", onnx, "--input-shape",
             f"image={BATCH}x1x28x28", "-o", mlir)
        tool(build, "tandem-opt", mlir,
             f"--accel-calibrate=data={fashion_mnist.path('train', 'images')} samples=512",
             "--mlir-print-debuginfo", "-o", cal)
        out = tool(build, "tandem-run", mlir, "--dataset", images, "--labels", labels_path)
        row = {"fp32": field(out, r"top-1 accuracy: ([\d.]+)"),
               "fp32_images_per_s": field(out, r"([\d.]+) samples/s")}
        for policy in policies:
            w, a = re.match(r"w(\d+)a(\d+)", policy).groups()
            policy_file = tmp / f"{policy}.json"
            policy_file.write_text(json.dumps({
                "default": {"weight_bits": int(w), "activation_bits": int(a)},
                "activations": {"depthwise_inputs": args.depthwise_inputs}}))
            preds = tmp / f"{name}-{policy}-fake.npy"
            out = tool(build, "tandem-run", cal, "--dataset", images, "--labels", labels_path,
                       "--policy", policy_file, "--predictions", preds)
            entry = {"fake_quant": field(out, r"top-1 accuracy: ([\d.]+)"),
                     "images_per_s": field(out, r"([\d.]+) samples/s"),
                     "score_seconds": field(out, r"scored in ([\d.]+) s"),
                     "compile_seconds": field(out, r"compiled once: ([\d.]+) s")}
            quantized = tmp / f"{name}-{policy}.mlir"
            tool(build, "tandem-opt", cal, f"--accel-quantize=policy={policy_file}",
                 "--mlir-print-op-generic", "--mlir-print-elementsattrs-with-hex-if-larger=-1",
                 "-o", quantized)
            text = quantized.read_text()
            fake_pred = np.load(preds)
            if not args.no_pytorch:
                start = time.time()
                torch_pred = np.concatenate([
                    torch_fake_quant.run(text, test_images[i:i + BATCH])[0].argmax(1)
                    for i in range(0, len(test_images), BATCH)])
                entry["pytorch_fake_quant"] = float((torch_pred == labels).mean())
                entry["pytorch_seconds"] = time.time() - start
                entry["agreement_fake_vs_pytorch"] = float((fake_pred == torch_pred).mean())
            if args.qdq:
                exported = tmp / f"{name}-{policy}.onnx"
                tool(build, "tandem-translate", "--export-onnx-qdq", quantized, "-o", exported)
                imported = tmp / f"{name}-{policy}-imported.mlir"
                (tmp / "i.mlir").write_text(
                    tool(build, "tandem-translate", "--import-onnx", exported))
                tool(build, "tandem-opt", tmp / "i.mlir", "--accel-fold-qdq", "-o", imported)
                rt_preds = tmp / f"{name}-{policy}-qdq.npy"
                out = tool(build, "tandem-run", imported, "--fake-quant", "--dataset", images,
                           "--labels", labels_path, "--predictions", rt_preds)
                entry["qdq_round_trip"] = field(out, r"top-1 accuracy: ([\d.]+)")
                entry["qdq_same_predictions"] = bool(
                    (np.load(rt_preds) == fake_pred).all())
            if args.integer:
                int_preds = tmp / f"{name}-{policy}-int.npy"
                out = tool(build, "tandem-run", quantized, "--dataset", images, "--labels",
                           labels_path, "--predictions", int_preds)
                entry["integer"] = field(out, r"top-1 accuracy: ([\d.]+)")
                entry["integer_images_per_s"] = field(out, r"([\d.]+) samples/s")
                entry["agreement_integer_vs_fake"] = float(
                    (np.load(int_preds) == fake_pred).mean())
            row[policy] = entry
            print(name, policy, json.dumps(entry), flush=True)
        results[name] = row
    with open(args.json, "w") as f:
        json.dump(results, f, indent=2)

    def pct(v):
        return "-" if v is None else f"{100 * v:.2f}%"

    print("\n| model | fp32 | " + " | ".join(
        f"{p.upper()} Tandem / PyTorch" for p in policies) + " |")
    print("|---|---|" + "---|" * len(policies))
    for name, row in results.items():
        cells = []
        for p in policies:
            e = row[p]
            cell = f"{pct(e['fake_quant'])} / {pct(e.get('pytorch_fake_quant'))}"
            if "integer" in e:
                cell += f" (int {pct(e['integer'])})"
            cells.append(cell)
        print(f"| {name} | {pct(row['fp32'])} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
