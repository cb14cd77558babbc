#!/usr/bin/python3
"""Peak memory of tandem-run as the batch grows.

Usage: bench/memory_benchmark.py [--build BUILD_DIR] [--batches 1,16,64,256]

Exports two models with a dynamic batch axis into BUILD_DIR/bench-cache: a
small residual CNN on 1x28x28 images (the Fashion-MNIST shape: three
residual stages, 32-64-128 channels) and torchvision's ResNet-18 (224x224,
batches up to 16). For every batch it runs `tandem-run --random-inputs
--input-shape input=Bx...` in a fresh process and prints the process's peak
resident memory (getrusage's ru_maxrss) and the growth per image,
(peak(B) - peak(1)) / (B - 1): with every intermediate buffer freed after
its last use this follows the widest point of the network, not the sum of
all its tensors.
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "python"))


def residual_cnn():
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
            self.skip = nn.Conv2d(cin, cout, 1, stride)

        def forward(self, x):
            return torch.relu(self.conv2(torch.relu(self.conv1(x))) + self.skip(x))

    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 32, 3, 1, 1), nn.ReLU(), Block(32, 32, 1),
                         Block(32, 64, 2), Block(64, 128, 2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10)).eval()


def export(name, cache):
    import torch

    path = os.path.join(cache, f"{name}-dynamic-batch.onnx")
    if os.path.exists(path):
        return path
    if name == "residual_cnn":
        model, example = residual_cnn(), torch.randn(1, 1, 28, 28)
    else:
        import models
        model, example, _ = models.build(name)
    torch.onnx.export(model, example, path, opset_version=17, input_names=["input"],
                      output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    return path


def export_in_child(name, cache):
    """export() in another process: this one must stay small, as a child's
    peak memory counts the parent's pages it was forked from."""
    out = subprocess.run([sys.executable, __file__, "--export", name, "--cache", cache],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def peak_mb(cmd):
    """Runs `cmd`; returns its peak resident memory in MB."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr.read().decode()}")
    return usage.ru_maxrss / 1024.0


def main():
    root = os.path.dirname(HERE)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(root, "build"))
    parser.add_argument("--batches", default="1,16,64,256")
    parser.add_argument("--export", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export:
        print(export(args.export, args.cache))
        return
    cache = os.path.join(args.build, "bench-cache")
    os.makedirs(cache, exist_ok=True)
    run = os.path.join(args.build, "bin", "tandem-run")
    batches = [int(b) for b in args.batches.split(",")]
    print(f"{'model':14} {'batch':>6} {'peak MB':>9} {'MB/image':>9}")
    for name, image, largest in [("residual_cnn", "1x28x28", max(batches)),
                                 ("resnet18", "3x224x224", 16)]:
        path = export_in_child(name, cache)
        base = None
        for b in batches:
            if b > largest:
                continue
            mb = peak_mb([run, path, "--random-inputs", "--input-shape",
                          f"input={b}x{image}"])
            base = mb if base is None else base
            per = f"{(mb - base) / (b - 1):9.2f}" if b > 1 else f"{'-':>9}"
            print(f"{name:14} {b:6} {mb:9.1f} {per}", flush=True)


if __name__ == "__main__":
    main()
