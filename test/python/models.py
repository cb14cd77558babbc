"""Real PyTorch models exported to ONNX for the importer tests and benchmarks.

Each model is built with random weights (torch.manual_seed(0)), exported with
PyTorch's own ONNX exporter at the requested opset, and cached on disk. The
expected MAC counts come from PyTorch itself (forward hooks on Conv2d and
Linear) or from the layer formulas, independently of Tandem.
"""

import os

import torch
import torchvision


def _conv_linear_macs(model, example):
    """MACs of every Conv2d and Linear in one forward pass, from hooks."""
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        if isinstance(module, torch.nn.Conv2d):
            kh, kw = module.kernel_size
            total += output.numel() * (module.in_channels // module.groups) * kh * kw
        elif isinstance(module, torch.nn.Linear):
            total += output.numel() * module.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        model(example)
    for h in handles:
        h.remove()
    return total


def _encoder_macs(d_model, heads, ff, seq):
    """MACs of nn.TransformerEncoderLayer's matrix products, by formula:
    Q/K/V projection L*d*3d, scores and weighted sum 2*L*L*d (over all
    heads), output projection L*d*d, feed-forward 2*L*d*ff."""
    return (seq * d_model * 3 * d_model + 2 * seq * seq * d_model
            + seq * d_model * d_model + 2 * seq * d_model * ff)


def build(name):
    """(module, example input, expected conv+matmul MACs) for a model name."""
    torch.manual_seed(0)
    if name == "resnet18":
        model = torchvision.models.resnet18()
        example = torch.randn(1, 3, 224, 224)
    elif name == "resnet50":
        model = torchvision.models.resnet50()
        example = torch.randn(1, 3, 224, 224)
    elif name == "mobilenet_v2":
        model = torchvision.models.mobilenet_v2()
        example = torch.randn(1, 3, 224, 224)
    elif name == "mobilenet_v3_small":
        # Depthwise convolutions and squeeze-excite blocks.
        model = torchvision.models.mobilenet_v3_small()
        example = torch.randn(1, 3, 224, 224)
    elif name == "efficientnet_b0":
        # SiLU activations (x * sigmoid(x)) and squeeze-excite blocks.
        model = torchvision.models.efficientnet_b0()
        example = torch.randn(1, 3, 224, 224)
    elif name == "transformer_encoder":
        d_model, heads, ff, seq = 256, 8, 1024, 128
        model = torch.nn.TransformerEncoderLayer(d_model, heads, ff, batch_first=True)
        example = torch.randn(1, seq, d_model)
        model.eval()
        return model, example, _encoder_macs(d_model, heads, ff, seq)
    else:
        raise ValueError(name)
    model.eval()
    return model, example, _conv_linear_macs(model, example)


def export(name, opset, directory):
    """Exports `name` at `opset` into `directory` (once) and returns
    (path, expected MACs)."""
    model, example, macs = build(name)
    path = os.path.join(directory, f"{name}-opset{opset}.onnx")
    if not os.path.exists(path):
        # Not under no_grad: there, TransformerEncoderLayer takes a fused
        # fast path that the exporter cannot export.
        torch.onnx.export(model, example, path, opset_version=opset,
                          input_names=["input"], output_names=["output"])
    return path, macs


def export_dynamic_batch(name, directory):
    """Exports `name` at opset 17 with a dynamic batch axis (once); returns
    its path."""
    model, example, _ = build(name)
    path = os.path.join(directory, f"{name}-opset17-dynamic.onnx")
    if not os.path.exists(path):
        torch.onnx.export(model, example, path, opset_version=17,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    return path


def reference(name, directory, batch=1):
    """Writes `name`'s example input (`batch` images) and PyTorch's output
    on it as .npy files beside its opset-17 export; returns (model path,
    input path, output path). Batches above 1 use the dynamic-batch export,
    to be run with --input-shape."""
    import numpy as np

    if batch == 1:
        path, _ = export(name, 17, directory)
    else:
        path = export_dynamic_batch(name, directory)
    model, example, _ = build(name)
    if batch > 1:
        torch.manual_seed(batch)
        example = torch.randn(batch, *example.shape[1:])
    with torch.no_grad():
        expected = model(example)
    suffix = "" if batch == 1 else f"-b{batch}"
    inputs = os.path.join(directory, f"{name}-input{suffix}.npy")
    outputs = os.path.join(directory, f"{name}-expected{suffix}.npy")
    np.save(inputs, example.numpy())
    np.save(outputs, expected.numpy())
    return path, inputs, outputs
