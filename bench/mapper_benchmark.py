#!/usr/bin/python3
"""The mapper against exhaustive search, ResNet-50 mapping time, and the
mapped EDP against each preset's default mapping.

Usage: bench/mapper_benchmark.py [--build BUILD_DIR] [--budget SECONDS]
                                 [--targets eyeriss,systolic] [--jobs N]

Exports ResNet-18, MobileNetV2 and a transformer encoder layer (and
ResNet-50) with PyTorch into BUILD_DIR/bench-cache, then prints

1. for every distinct conv/matmul layer of each model on each target,
   tandem-mapper-bench's table: exhaustive search (capped at --budget
   seconds per layer), auto and genetic, their EDP and time, and the ratio
   to the exhaustive optimum where exhaustive finished (model/target pairs
   run --jobs at a time; each search itself is single-threaded);
2. the wall time of `tandem-opt --accel-map-dataflow` on all of ResNet-50
   (every op, all cores);
3. per preset, ResNet-18's total EDP with the default mappings and with
   --accel-map-dataflow, and their ratio.
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    root = os.path.dirname(HERE)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(root, "build"))
    parser.add_argument("--budget", type=float, default=60)
    parser.add_argument("--targets", default="eyeriss,systolic")
    parser.add_argument("--models", default="resnet18,mobilenet_v2,transformer_encoder")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(root, "test", "python"))
    import models  # noqa: E402 (needs torch)

    cache = os.path.join(args.build, "bench-cache")
    os.makedirs(cache, exist_ok=True)
    paths = {name: models.export(name, 17, cache)[0]
             for name in args.models.split(",") + ["resnet50"]}
    bin_dir = os.path.join(args.build, "bin")

    def table(pair):
        model, target = pair
        out = subprocess.run(
            [os.path.join(bin_dir, "tandem-mapper-bench"), paths[model], "--target", target,
             "--exhaustive-budget", str(args.budget)],
            capture_output=True, text=True, check=True)
        return f"== {model} on {target}\n{out.stdout}"

    pairs = [(m, t) for m in args.models.split(",") for t in args.targets.split(",")]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for text in pool.map(table, pairs):
            print(text, flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        r50 = os.path.join(tmp, "resnet50.mlir")
        subprocess.run([os.path.join(bin_dir, "tandem-translate"), "--import-onnx",
                        paths["resnet50"], "-o", r50], check=True)
        for target in args.targets.split(","):
            start = time.perf_counter()
            subprocess.run([os.path.join(bin_dir, "tandem-opt"), r50,
                            f"--accel-map-dataflow=target={target}", "-o", "/dev/null"],
                           check=True)
            print(f"ResNet-50, every op mapped on {target}: "
                  f"{time.perf_counter() - start:.2f} s wall ({os.cpu_count()} cores)")

        r18 = os.path.join(tmp, "resnet18.mlir")
        subprocess.run([os.path.join(bin_dir, "tandem-translate"), "--import-onnx",
                        paths["resnet18"], "-o", r18], check=True)

        def total(target, mapped):
            out = os.path.join(tmp, "report.json")
            passes = ["--accel-fold-batchnorm"]
            if mapped:
                passes.append(f"--accel-map-dataflow=target={target}")
            passes.append(f"--accel-cost-report=target={target} format=json output={out}")
            subprocess.run([os.path.join(bin_dir, "tandem-opt"), r18, *passes,
                            "-o", "/dev/null"], check=True)
            return json.load(open(out))["total"]

        print(f"{'preset':10} {'default EDP (pJ*ms)':>20} {'mapped EDP (pJ*ms)':>19} {'ratio':>8}")
        for target in ["eyeriss", "systolic", "bitfusion", "bismo", "shiftadd"]:
            d, m = total(target, False), total(target, True)
            print(f"{target:10} {d['edp_pj_ms']:20.4e} {m['edp_pj_ms']:19.4e} "
                  f"{d['edp_pj_ms'] / m['edp_pj_ms']:8.2f}x")


if __name__ == "__main__":
    main()
