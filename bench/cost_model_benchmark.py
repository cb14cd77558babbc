#!/usr/bin/python3
"""Cost-model evaluations per second on ResNet-50's convolutions, per preset.

Usage: bench/cost_model_benchmark.py [--build BUILD_DIR] [--seconds S]
                                     [--mappings N] [--targets a,b,...]
                                     [--repeats R]

Exports torchvision's ResNet-50 (opset 17) into BUILD_DIR/bench-cache if it
is not there, then runs BUILD_DIR/bin/tandem-cost-bench once per target: one
thread evaluating N valid random mappings of each of the 53 conv layers
round robin for S seconds, R times per target. Prints the median and the
best rate of the R runs (a shared machine's speed varies from run to run;
the best run is the least disturbed) (goal: at least 3,000,000 per core).
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    root = os.path.dirname(HERE)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(root, "build"))
    parser.add_argument("--seconds", default="2")
    parser.add_argument("--mappings", default="256")
    parser.add_argument("--targets", default="eyeriss,systolic,bitfusion,bismo,shiftadd")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    sys.path.insert(0, os.path.join(root, "test", "python"))
    import models  # noqa: E402 (needs torch)

    cache = os.path.join(args.build, "bench-cache")
    os.makedirs(cache, exist_ok=True)
    model, _ = models.export("resnet50", 17, cache)
    print(f"{'target':10} {'layers':>6} {'mappings':>8} {'median evals/s':>15} "
          f"{'best evals/s':>13} {'best ns/eval':>13}")
    for target in args.targets.split(","):
        runs = []
        for _ in range(args.repeats):
            out = subprocess.run(
                [os.path.join(args.build, "bin", "tandem-cost-bench"), model,
                 "--target", target, "--seconds", args.seconds,
                 "--mappings", args.mappings],
                capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout))
        rates = sorted(r["evaluations_per_second"] for r in runs)
        best = max(runs, key=lambda r: r["evaluations_per_second"])
        print(f"{target:10} {best['layers']:6} {best['mappings']:8} "
              f"{rates[len(rates) // 2]:15,.0f} {best['evaluations_per_second']:13,.0f} "
              f"{best['ns_per_evaluation']:13.1f}")


if __name__ == "__main__":
    main()
