#!/usr/bin/env python3
"""GPTQ and sequential GPTQ against nearest rounding on the trained
Fashion-MNIST models.

For each model in examples/fashion-mnist: calibrate on the first 512
training images (activation clipping by least squared error), measure the
layers' input moments on the same images, and score each uniform policy with
weights rounded to nearest, by GPTQ and by sequential GPTQ (both on the
same images) on the 10,000 test images (top-1, and agreement / SQNR against
the fp32 model). Also times the two GPTQ quantizations (moments included).
Prints a Markdown table (the one in docs/quantization.md).

  /usr/bin/python3 bench/gptq_benchmark.py [--build build]
      [--models cnn,resnet,mobilenet] [--policies 8/8,4/8,3/8,2/8,4/4]
      [--json out.json]
"""

import argparse
import gzip
import json
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = pathlib.Path("/usr/share/datasets/fashion-mnist")


def read_idx(path):
    with gzip.open(path) as f:
        raw = f.read()
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(raw[3])]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def images(name, count=None):
    x = read_idx(DATA / name)[:count]
    return (x.reshape(-1, 1, 28, 28) / np.float32(255)).astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--models", default="cnn,resnet,mobilenet")
    parser.add_argument("--policies", default="8/8,4/8,3/8,2/8,4/4")
    parser.add_argument("--calibration-samples", type=int, default=512)
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    sys.path.insert(0, str(pathlib.Path(args.build) / "python"))
    import tandem

    train = images("train-images-idx3-ubyte.gz", args.calibration_samples)
    test = images("t10k-images-idx3-ubyte.gz")
    labels = read_idx(DATA / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    rows = []
    for name in args.models.split(","):
        model = tandem.load(ROOT / "examples" / "fashion-mnist" / f"{name}.onnx",
                            input_shapes=["image=100x1x28x28"])
        fp32 = tandem.quant.accuracy(model, test, labels, threads=2)["accuracy"]
        calibrated = tandem.quant.calibrate(model, train, samples=len(train), threads=2)
        for pair in args.policies.split(","):
            w, a = map(int, pair.split("/"))
            row = {"model": name, "policy": f"W{w}A{a}", "fp32": fp32}
            for rounding in ("nearest", "gptq", "gptq-sequential"):
                policy = {"default": {"weight_bits": w, "activation_bits": a},
                          "weights": {"rounding": rounding},
                          "activations": {"clipping": "mse"}}
                start = time.time()
                q = tandem.quant.quantize(calibrated, policy,
                                          data=None if rounding == "nearest" else train,
                                          samples=len(train), threads=2)
                seconds = time.time() - start
                s = tandem.quant.accuracy(q, test, labels, reference=model, threads=2)
                row[rounding] = {"top1": s["accuracy"], "agreement": s["agreement"],
                                 "sqnr_db": s["sqnr_db"], "quantize_seconds": seconds}
            rows.append(row)
            print(json.dumps(row), flush=True)

    print("\n| model | policy | fp32 | nearest | GPTQ | sequential GPTQ "
          "| SQNR nearest / GPTQ / sequential (dB) | quantize s GPTQ / sequential |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        n, g, q = r["nearest"], r["gptq"], r["gptq-sequential"]
        print(f"| {r['model']} | {r['policy']} | {100 * r['fp32']:.2f}% | {100 * n['top1']:.2f}% "
              f"| {100 * g['top1']:.2f}% | {100 * q['top1']:.2f}% "
              f"| {n['sqnr_db']:.1f} / {g['sqnr_db']:.1f} / {q['sqnr_db']:.1f} "
              f"| {g['quantize_seconds']:.1f} / {q['quantize_seconds']:.1f} |")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
