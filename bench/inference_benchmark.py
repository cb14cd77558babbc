#!/usr/bin/python3
"""End-to-end inference of ResNet-18 with Tandem's JIT beside PyTorch CPU.

Usage: bench/inference_benchmark.py [--build BUILD_DIR] [--threads N]
                                    [--repeat N] [--no-resnet50]

Exports torchvision's ResNet-18 and ResNet-50 (random weights, opset 17)
into BUILD_DIR/bench-cache, then in the same run, on the same 1x3x224x224
input and with the same number of threads (default 1):

  tandem   tandem-run --time: import, JIT compile (lowering + LLVM), and the
           median single-image run time of --repeat runs after compiling;
           the output is checked against PyTorch's (--expect).
  pytorch  torch.inference_mode() forward pass of the same model
           (/usr/bin/python3 with python3-torch), median of --repeat runs
           after two warm-up runs.

Prints both run times and their ratio (goal: Tandem within 3x of PyTorch),
and ResNet-50's compile time (goal: under 30 s).
"""

import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "python"))

PYTORCH_TIMING = r"""
import statistics, sys, time
import numpy as np, torch
sys.path.insert(0, sys.argv[1])
import models
torch.set_num_threads(int(sys.argv[3]))
model, _, _ = models.build(sys.argv[2])
x = torch.from_numpy(np.load(sys.argv[4]))
times = []
with torch.inference_mode():
    for i in range(int(sys.argv[5]) + 2):
        start = time.perf_counter()
        model(x)
        times.append(time.perf_counter() - start)
print(statistics.median(times[2:]) * 1e3, torch.get_num_threads())
"""


def tandem(build, model, inputs, expected, threads, repeat):
    cmd = [os.path.join(build, "bin", "tandem-run"), model, inputs, "--time",
           "--repeat", str(repeat), "--num-threads", str(threads)]
    if expected:
        cmd += ["--expect", expected]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"tandem-run failed: {out.stderr}")
    load = float(re.search(r"load: ([\d.]+) s", out.stdout).group(1))
    compile_s = float(re.search(r"compile: ([\d.]+) s", out.stdout).group(1))
    run_ms = float(re.search(r"run: ([\d.]+) ms", out.stdout).group(1))
    return load, compile_s, run_ms


def pytorch(name, inputs, threads, repeat):
    out = subprocess.run(
        ["/usr/bin/python3", "-c", PYTORCH_TIMING, os.path.join(HERE, "..", "test", "python"),
         name, str(threads), inputs, str(repeat)],
        capture_output=True, text=True, check=True)
    ms, used = out.stdout.split()
    return float(ms), int(used)


def main():
    root = os.path.dirname(HERE)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(root, "build"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--no-resnet50", action="store_true")
    args = parser.parse_args()

    import models  # noqa: E402 (needs torch)

    cache = os.path.join(args.build, "bench-cache")
    os.makedirs(cache, exist_ok=True)
    model, inputs, expected = models.reference("resnet18", cache)
    load, compile_s, run_ms = tandem(args.build, model, inputs, expected,
                                     args.threads, args.repeat)
    torch_ms, torch_threads = pytorch("resnet18", inputs, args.threads, args.repeat)

    print(f"ResNet-18, 1x3x224x224, {args.threads} thread(s) "
          f"(PyTorch reports {torch_threads}), median of {args.repeat} runs")
    print(f"  tandem   import {load:.3f} s, compile {compile_s:.3f} s, "
          f"run {run_ms:.1f} ms (output matches PyTorch)")
    print(f"  pytorch  run {torch_ms:.1f} ms")
    print(f"  run-time ratio tandem/pytorch: {run_ms / torch_ms:.2f} (goal <= 3)")
    if not args.no_resnet50:
        path, _ = models.export("resnet50", 17, cache)
        load, compile_s, run_ms = tandem(args.build, path, "--random-inputs", None,
                                         args.threads, 1)
        print(f"ResNet-50: import {load:.3f} s, compile {compile_s:.3f} s "
              f"(goal < 30 s), one run {run_ms:.1f} ms")


if __name__ == "__main__":
    main()
