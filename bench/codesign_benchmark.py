#!/usr/bin/python3
"""tandem-codesign: exhaustive search against NSGA-II and random sampling.

Usage: bench/codesign_benchmark.py [--build BUILD_DIR] [--space SPACE.yaml]
                                   [--model MODEL] [--fraction 0.1]
                                   [--seeds 1,2,3]

Runs tandem-codesign on MODEL (default: examples/resnet18.mlir, ResNet-18's
shapes) and SPACE (default: examples/resnet18-large-space.yaml, 11,760
points) three ways, each on all cores:

1. exhaustive: every point; its front is the true one;
2. nsga2 with FRACTION of the space's points as the evaluation budget, for
   each seed;
3. random sampling with the same budget (the baseline), for each seed;

and prints each run's wall time, front size and hypervolume relative to the
exhaustive front's. Hypervolume is computed on the space's objectives, each
normalized so the exhaustive front spans [0, 1] (0: its best value, 1: its
worst), with the reference point at 1.1 in every objective.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COLUMNS = {"latency": "latency_ms", "energy": "energy_pj", "area": "area_mm2",
           "edp": "edp_pj_ms", "power": "power_mw"}


def hypervolume(points, ref):
    """Volume dominated by `points` (minimized) up to `ref`, any dimension,
    by slicing along the first objective."""
    pts = [p for p in points if all(v < r for v, r in zip(p, ref))]
    if not pts:
        return 0.0
    if len(ref) == 1:
        return ref[0] - min(p[0] for p in pts)
    pts.sort(key=lambda p: p[0])
    if len(ref) == 2:  # a sweep: O(n log n)
        volume, best_y = 0.0, ref[1]
        for i, p in enumerate(pts):
            best_y = min(best_y, p[1])
            upper = pts[i + 1][0] if i + 1 < len(pts) else ref[0]
            volume += (upper - p[0]) * (ref[1] - best_y)
        return volume
    volume = 0.0
    for i, p in enumerate(pts):
        upper = pts[i + 1][0] if i + 1 < len(pts) else ref[0]
        if upper > p[0]:
            volume += (upper - p[0]) * hypervolume(
                [q[1:] for q in pts[: i + 1]], ref[1:])
    return volume


def front_of(csv_path, objectives):
    with open(csv_path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["pareto"] == "1"]
    return [[float(r[COLUMNS[o]]) for o in objectives] for r in rows]


def run(tool, model, space, out, args):
    start = time.monotonic()
    subprocess.run([tool, model, "--space", space, "--out", out, "--quiet"] + args,
                   check=True)
    return time.monotonic() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--space", default=os.path.join(ROOT, "examples",
                                                        "resnet18-large-space.yaml"))
    parser.add_argument("--model", default=os.path.join(ROOT, "examples", "resnet18.mlir"))
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--seeds", default="1,2,3")
    args = parser.parse_args()
    tool = os.path.join(args.build, "bin", "tandem-codesign")

    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        out = os.path.join(tmp, "exhaustive")
        seconds = run(tool, args.model, args.space, out, ["--search", "exhaustive"])
        with open(os.path.join(out, "pareto.json")) as f:
            pareto = json.load(f)
        objectives = pareto["objectives"]
        size = pareto["search"]["space_size"]
        true_front = front_of(os.path.join(out, "candidates.csv"), objectives)
        lo = [min(p[i] for p in true_front) for i in range(len(objectives))]
        hi = [max(p[i] for p in true_front) for i in range(len(objectives))]

        def normalize(front):
            return [[(v - l) / (h - l) if h > l else 0.0
                     for v, l, h in zip(p, lo, hi)] for p in front]

        ref = [1.1] * len(objectives)
        exact = hypervolume(normalize(true_front), ref)
        rows.append(("exhaustive", "-", size, seconds, len(true_front), exact))
        budget = max(1, int(round(size * args.fraction)))
        for search in ("nsga2", "random"):
            for seed in args.seeds.split(","):
                out = os.path.join(tmp, f"{search}-{seed}")
                seconds = run(tool, args.model, args.space, out,
                              ["--search", search, "--evaluations", str(budget),
                               "--seed", seed])
                front = front_of(os.path.join(out, "candidates.csv"), objectives)
                rows.append((search, seed, budget, seconds, len(front),
                             hypervolume(normalize(front), ref)))

    print(f"model {os.path.relpath(args.model, ROOT)}, space "
          f"{os.path.relpath(args.space, ROOT)} ({size} points), objectives "
          f"{', '.join(objectives)}, {os.cpu_count()} cores")
    print(f"{'search':<12}{'seed':>5}{'evaluations':>13}{'wall s':>9}{'front':>7}"
          f"{'hypervolume':>13}{'of exhaustive':>15}")
    for search, seed, evaluations, seconds, front, hv in rows:
        print(f"{search:<12}{seed:>5}{evaluations:>13}{seconds:>9.1f}{front:>7}"
              f"{hv:>13.5f}{100 * hv / exact:>14.2f}%")


if __name__ == "__main__":
    sys.exit(main())
