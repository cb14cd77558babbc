#!/usr/bin/env python3
"""Why agreement cannot rank policies on random-weight ResNet-18/MobileNetV2.

Builds the networks exactly as bench/mixed_precision_benchmark.py does
(torchvision, seed 0, batch-norm statistics from 1,000 Fashion-MNIST images
at 3x32x32) and, in PyTorch alone, quantizes only the convolution and
linear weights (per output channel, symmetric, min-max) at 16, 8 and 6 bits:
top-1 agreement with the fp32 network and output SQNR. Untrained
batch-normalized networks amplify a perturbation of an early layer by
orders of magnitude (batch norm's gradient explosion at initialization), so
8-bit weights alone already change almost every prediction; Tandem measures
the same (docs/mixed-precision.md).

  /usr/bin/python3 bench/random_network_chaos.py [--work DIR]
"""

import argparse
import copy
import pathlib
import sys

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import mixed_precision_benchmark as bench  # noqa: E402


def fake_quantize(w, bits):
    q = 2 ** (bits - 1) - 1
    scale = w.abs().flatten(1).max(1).values.clamp(min=1e-12) / q
    scale = scale.view(-1, *([1] * (w.dim() - 1)))
    return (w / scale).round().clamp(-q, q) * scale


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default="/tmp/tandem-mixed-precision-bench")
    args = parser.parse_args()
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    for name in ("resnet18", "mobilenet_v2"):
        bench.torchvision_model(name, work)  # the data
        model = bench.random_network(name, work)
        test = torch.from_numpy(np.load(work / "test32" / "images.npy"))[:200]
        with torch.no_grad():
            ref = model(test)
            for bits in (16, 8, 6):
                quantized = copy.deepcopy(model)
                for m in quantized.modules():
                    if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                        m.weight.copy_(fake_quantize(m.weight, bits))
                out = quantized(test)
                agree = (out.argmax(1) == ref.argmax(1)).float().mean().item()
                sqnr = 10 * torch.log10((ref ** 2).sum() / ((ref - out) ** 2).sum()).item()
                print(f"{name}: weights only at {bits} bits: agreement {agree:.3f}, "
                      f"SQNR {sqnr:.1f} dB")


if __name__ == "__main__":
    main()
