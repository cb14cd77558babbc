#!/usr/bin/env python3
"""What per-channel activation scales on depthwise inputs would buy (PyTorch).

Tandem quantizes every activation tensor with one scale. A depthwise
convolution reads each input channel alone, so each of its input channels
could have its own scale at no cost in integer arithmetic: the producer's
requantization and the depthwise layer's accumulator are per channel
already. Tandem does not do this; this script measures, outside Tandem,
whether it would close the trained MobileNet's gap at 4-bit activations
(docs/mixed-precision.md).

It runs an ONNX model of convolutions, Clip/Relu, GlobalAveragePool,
Flatten and Gemm in PyTorch, quantizes the weights per output channel
(symmetric, min-max, round to nearest) and the layers' input activations
(asymmetric, each range clipped to the least squared error over the first
512 training images), and scores top-1 on the first --samples test images
with depthwise inputs quantized per tensor and per channel.

  /usr/bin/python3 bench/depthwise_channel_scales.py [--samples 2000]
"""

import argparse
import gzip
import pathlib

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = pathlib.Path("/usr/share/datasets/fashion-mnist")


def read_idx(path, count):
    raw = gzip.open(path).read()
    if raw[3] == 3:
        images = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 1, 28, 28)[:count]
        return torch.tensor(images / 255.0, dtype=torch.float32)
    return torch.tensor(np.frombuffer(raw, np.uint8, offset=8)[:count].astype(np.int64))


class Network:
    """The model's layers (convolutions, then the Gemm), run in order."""

    def __init__(self, path):
        model = onnx.load(path)
        weights = {i.name: torch.tensor(numpy_helper.to_array(i).copy())
                   for i in model.graph.initializer}
        self.layers = []
        for node in model.graph.node:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            if node.op_type in ("Conv", "Gemm"):
                self.layers.append({"name": node.name, "kind": node.op_type, "attrs": attrs,
                                    "weight": weights[node.input[1]],
                                    "bias": weights[node.input[2]], "clip": None})
            elif node.op_type == "Clip":
                self.layers[-1]["clip"] = (0.0, 6.0) if len(node.input) == 3 else None
            elif node.op_type == "Relu":
                self.layers[-1]["clip"] = (0.0, None)
            elif node.op_type not in ("Constant", "GlobalAveragePool", "Flatten"):
                raise SystemExit(f"{path}: node '{node.name}': {node.op_type} is not supported here")
        for layer in self.layers:
            a = layer["attrs"]
            layer["depthwise"] = layer["kind"] == "Conv" and a.get("group", 1) > 1 \
                and a["group"] == layer["weight"].shape[0]

    def run(self, x, quantize_input=None, weight_bits=None):
        """Outputs, each layer's input passed through quantize_input(i, x)."""
        inputs = []
        for i, layer in enumerate(self.layers):
            if layer["kind"] == "Gemm" and x.dim() == 4:
                x = x.mean((2, 3))
            inputs.append(x)
            if quantize_input:
                x = quantize_input(i, x)
            w = layer["weight"] if weight_bits is None else quantize_weight(layer["weight"],
                                                                            weight_bits)
            if layer["kind"] == "Conv":
                a = layer["attrs"]
                x = F.conv2d(x, w, layer["bias"], stride=a["strides"], padding=a["pads"][:2],
                             groups=a.get("group", 1))
            else:
                x = F.linear(x, w, layer["bias"])
            if layer["clip"]:
                x = x.clamp(layer["clip"][0], layer["clip"][1])
        return x, inputs


def quantize_weight(w, bits):
    q = 2 ** (bits - 1) - 1
    scale = w.abs().flatten(1).max(1).values.clamp(min=1e-12) / q
    scale = scale.view(-1, *([1] * (w.dim() - 1)))
    return (w / scale).round().clamp(-q, q) * scale


def quantize_activation(x, bits, low, high):
    levels = 2 ** bits - 1
    scale = ((high - low) / levels).clamp(min=1e-12)
    zero = torch.round(-low / scale)
    return (torch.clamp(torch.round(x / scale) + zero, 0, levels) - zero) * scale


def mse_range(values, bits):
    """[low, high] from [min(min, 0), max], scaled down to the least squared error."""
    values = values.flatten()
    if values.numel() > 200000:
        values = values[torch.randperm(values.numel(), generator=torch.Generator().manual_seed(0))
                        [:200000]]
    low, high = min(values.min().item(), 0.0), max(values.max().item(), 1e-9)
    best = None
    for ratio in np.linspace(0.2, 1, 21):
        lo = torch.tensor(low * ratio, dtype=torch.float32)
        hi = torch.tensor(high * ratio, dtype=torch.float32)
        error = ((quantize_activation(values, bits, lo, hi) - values) ** 2).mean().item()
        if best is None or error < best[0]:
            best = (error, lo, hi)
    return best[1], best[2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "examples/fashion-mnist/mobilenet.onnx"))
    parser.add_argument("--samples", type=int, default=2000, help="test images scored")
    args = parser.parse_args()
    torch.set_num_threads(2)
    net = Network(args.model)
    calibration = read_idx(DATA / "train-images-idx3-ubyte.gz", 512)
    images = read_idx(DATA / "t10k-images-idx3-ubyte.gz", args.samples)
    labels = read_idx(DATA / "t10k-labels-idx1-ubyte.gz", args.samples)
    with torch.no_grad():
        _, inputs = net.run(calibration)

        cache = {}

        def ranges(bits, per_channel):
            if (bits, per_channel) in cache:
                return cache[(bits, per_channel)]
            result = []
            for layer, x in zip(net.layers, inputs):
                if per_channel and layer["depthwise"]:
                    channels = x.transpose(0, 1).flatten(1)
                    pairs = [mse_range(c, bits) for c in channels]
                    shape = (1, -1, 1, 1)
                    result.append((torch.stack([p[0] for p in pairs]).view(shape),
                                   torch.stack([p[1] for p in pairs]).view(shape)))
                else:
                    result.append(mse_range(x, bits))
            cache[(bits, per_channel)] = result
            return result

        def top1(weight_bits=None, activation_bits=None, per_channel=False, only=None):
            quantize = None
            if activation_bits:
                r = ranges(activation_bits, per_channel)
                quantize = lambda i, x: x if only is not None and i != only else \
                    quantize_activation(x, activation_bits, *r[i])
            out, _ = net.run(images, quantize, weight_bits)
            return 100.0 * (out.argmax(1) == labels).float().mean().item()

        depthwise = [i for i, layer in enumerate(net.layers) if layer["depthwise"]]
        print(f"{args.model}: {len(net.layers)} layers, depthwise {depthwise}; "
              f"top-1 on the first {args.samples} test images")
        print(f"fp32                                 {top1():6.2f}%")
        print(f"W8A8                                 {top1(8, 8):6.2f}%")
        for w in (8, 4):
            print(f"W{w}A4, per-tensor activations        {top1(w, 4):6.2f}%")
            print(f"W{w}A4, depthwise inputs per channel  {top1(w, 4, True):6.2f}%")
        for i in depthwise:
            print(f"only {net.layers[i]['name']}'s input at 4 bits (W8): per tensor "
                  f"{top1(8, 4, False, i):6.2f}%, per channel {top1(8, 4, True, i):6.2f}%")


if __name__ == "__main__":
    main()
