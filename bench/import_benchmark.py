#!/usr/bin/python3
"""Import time and peak memory of a ResNet-50-sized ONNX model.

Usage: bench/import_benchmark.py [--build BUILD_DIR] [--model FILE] [--runs N]

Without --model, exports torchvision's ResNet-50 (random weights, ~100 MB,
opset 17) with PyTorch into BUILD_DIR/bench-cache. Then, in the same run and
on the same file, measures

  tandem    tandem-import-bench: parse + check + shape inference + IR
            (BUILD_DIR/bin/tandem-import-bench)
  python    onnx.load + onnx.shape_inference.infer_shapes (Debian's
            /usr/bin/python3 with python3-onnx)

each in a fresh process, best of N runs for time, and the peak resident
memory (VmHWM / ru_maxrss) with the process's resident size before the
import as its baseline. Prints a table and the ratios.
"""

import argparse
import json
import os
import subprocess
import sys

PYTHON_IMPORT = r"""
import resource, sys, time
import onnx
from onnx import shape_inference
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
baseline = rss()
start = time.perf_counter()
model = onnx.load(sys.argv[1])
model = shape_inference.infer_shapes(model)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print('{"seconds": %f, "peak": %d, "baseline": %d, "nodes": %d}'
      % (seconds, peak, baseline, len(model.graph.node)))
"""


def export_resnet50(cache):
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test", "python"))
    import models  # noqa: E402  (needs torch; only imported when exporting)

    os.makedirs(cache, exist_ok=True)
    path, _ = models.export("resnet50", 17, cache)
    return path


def run_tandem(build, model):
    out = subprocess.run([os.path.join(build, "bin", "tandem-import-bench"), model],
                         capture_output=True, text=True, check=True)
    r = json.loads(out.stdout)
    return r["import_seconds"], r["peak_rss_bytes"], r["baseline_rss_bytes"]


def run_python(model):
    out = subprocess.run(["/usr/bin/python3", "-c", PYTHON_IMPORT, model],
                         capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return r["seconds"], r["peak"], r["baseline"]


def best(runs):
    """Fastest time; memory from that same run (it barely varies)."""
    return min(runs, key=lambda r: r[0])


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(root, "build"))
    parser.add_argument("--model", help="ONNX file (default: export ResNet-50)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    model = args.model or export_resnet50(os.path.join(args.build, "bench-cache"))
    size = os.path.getsize(model)
    tandem = best([run_tandem(args.build, model) for _ in range(args.runs)])
    python = best([run_python(model) for _ in range(args.runs)])

    mb = 1024 * 1024
    print(f"model: {model} ({size / mb:.1f} MiB), best of {args.runs} runs")
    print(f"{'':8} {'time (s)':>10} {'peak RSS (MiB)':>16} {'baseline (MiB)':>16} "
          f"{'peak - baseline':>16} {'/ file size':>12}")
    for name, (t, peak, base) in (("tandem", tandem), ("python", python)):
        print(f"{name:8} {t:10.3f} {peak / mb:16.1f} {base / mb:16.1f} "
              f"{(peak - base) / mb:16.1f} {(peak - base) / size:12.2f}")
    print(f"time ratio tandem/python: {tandem[0] / python[0]:.2f} (goal <= 2.0)")
    print(f"tandem peak RSS / file size: {tandem[1] / size:.2f} "
          f"(model-dependent part: {(tandem[1] - tandem[2]) / size:.2f}; goal < 2.0)")


if __name__ == "__main__":
    main()
