#!/usr/bin/python3
"""The Python package's throughput, and co-design sweeps on Dask workers.

Usage: bench/python_benchmark.py [--build BUILD_DIR] [--model MODEL]
                                 [--space SPACE.yaml] [--repeat 2]
                                 [--chunk-size 2000] [--skip-dask]

On MODEL (default: examples/resnet18.mlir) and SPACE (default:
examples/resnet18-large-space.yaml, 11,760 points), every point once:

1. tool: `tandem-codesign --search exhaustive` on all cores (the process's
   wall time: loading, every evaluation, the outputs);
2. batch API: tandem.codesign.Evaluator(...) then evaluate(every id) on all
   cores (construction included);
3. Dask: tandem.codesign.explore(..., client=) with a LocalCluster of 1 and
   of 2 worker processes (one thread each), exhaustive, `--chunk-size`
   points per task; the workers are restarted before every run (cold: no
   session or mapping cache left from the last) and have imported Tandem
   before the clock starts.

Prints points per second of each, best of `--repeat` runs, the ratios the
goals name (batch API / tool >= 0.9; 2 workers / 1 worker >= 1.7), and
checks that every run's candidates agree with the tool's.
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def read_candidates(path):
    with open(path) as f:
        return {int(r["id"]): (r["latency_ms"], r["energy_pj"], r["area_mm2"])
                for r in csv.DictReader(f)}


def best_of(repeat, run):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--model",
                        default=os.path.join(ROOT, "examples", "resnet18.mlir"))
    parser.add_argument("--space", default=os.path.join(
        ROOT, "examples", "resnet18-large-space.yaml"))
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, os.path.join(args.build, "python"))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(args.build, "python"), os.environ.get("PYTHONPATH", "")])
    import numpy as np
    import tandem

    work = tempfile.mkdtemp(prefix="tandem-python-bench-")
    size = tandem.codesign.Space.load(args.space).size
    print(f"{os.path.basename(args.model)} on {os.path.basename(args.space)}: "
          f"{size} points, {os.cpu_count()} cores")

    def tool():
        out = os.path.join(work, "tool")
        subprocess.run([os.path.join(args.build, "bin", "tandem-codesign"),
                        args.model, "--space", args.space, "--out", out,
                        "--search", "exhaustive", "--quiet"], check=True)
        return read_candidates(os.path.join(out, "candidates.csv"))

    tool_s, reference = best_of(args.repeat, tool)

    def batch():
        evaluator = tandem.codesign.Evaluator(args.model, args.space)
        return evaluator.evaluate(np.arange(size))

    batch_s, table = best_of(args.repeat, batch)
    columns = tandem.codesign.COLUMNS
    lat = columns.index("latency_ms")
    mismatches = sum(
        1 for i, (latency, _, _) in reference.items()
        if abs(table[i, lat] - float(latency)) > 1e-6 * abs(float(latency)))
    rows = [("tool (tandem-codesign)", tool_s),
            ("batch API (Evaluator.evaluate)", batch_s)]
    dask_s = {}
    if not args.skip_dask:
        from dask.distributed import Client, LocalCluster
        for workers in (1, 2):
            with LocalCluster(n_workers=workers, threads_per_worker=1,
                              processes=True, dashboard_address=None,
                              silence_logs=40) as cluster, \
                    Client(cluster) as client:
                def sweep():
                    # Cold workers every run: a worker keeps its session
                    # (and mapping cache) for the same inputs otherwise.
                    client.restart()
                    client.run(lambda: __import__("tandem") and None)
                    start = time.perf_counter()
                    out = tempfile.mkdtemp(dir=work)
                    tandem.codesign.explore(args.model, args.space, out,
                                            client=client,
                                            chunk_size=args.chunk_size,
                                            search="exhaustive")
                    seconds = time.perf_counter() - start
                    return seconds, read_candidates(
                        os.path.join(out, "candidates.csv"))

                runs = [sweep() for _ in range(args.repeat)]
                seconds = min(r[0] for r in runs)
                candidates = runs[0][1]
                if candidates != reference:
                    mismatches += 1
                dask_s[workers] = seconds
                rows.append((f"Dask, {workers} worker(s)", seconds))
    print(f"\n| run | wall s | points/s |\n|---|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.1f} | {size / seconds:.0f} |")
    print(f"\nbatch API / tool throughput: {tool_s / batch_s:.2f} "
          f"(goal >= 0.9)")
    if dask_s:
        print(f"2 workers / 1 worker: {dask_s[1] / dask_s[2]:.2f}x "
              f"(goal >= 1.7)")
    print(f"runs whose results differ from the tool's: {mismatches}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
