"""PyTorch fake-quantization of a Tandem-quantized model, as an independent
reference for accuracy.

Reads the quantized IR (the parser of test/python/quant_reference.py) for
its quantization parameters and integer weights, and runs the network with
PyTorch's own kernels (torch.nn.functional conv2d, matmul, pooling) in f32,
rounding every quantized tensor with torch.fake_quantize_per_tensor_affine
(PyTorch's fake-quant op) to the grid Tandem's type gives it. Weights are
their dequantized integers. Nothing of Tandem's lowering is used.
"""

import os
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "python"))
import quant_reference as qr  # noqa: E402


def _fq(x, t):
    """PyTorch's per-tensor fake quantization onto Tandem type `t`."""
    if t is None or isinstance(t, str) or t.bits >= 32:
        return x
    if t.axis is not None:
        return torch.fake_quantize_per_channel_affine(
            x, torch.tensor(t.scales, dtype=torch.float32),
            torch.tensor(t.zeros, dtype=torch.int32), t.axis, int(t.qmin), int(t.qmax))
    return torch.fake_quantize_per_tensor_affine(x, float(t.scales[0]), int(t.zeros[0]),
                                                 int(t.qmin), int(t.qmax))


def _dequantize(values, t, ndim):
    z = qr._channel(t.zeros, t.axis or 0, ndim)
    s = qr._channel(np.float32(t.scales), t.axis or 0, ndim).astype(np.float32)
    return torch.from_numpy(((values - z).astype(np.float32) * s).astype(np.float32))


def run(text, images):
    """The float32 outputs of the quantized model `text` on `images`."""
    args, ops = qr.parse_module(text)
    env = {name: torch.from_numpy(np.asarray(v, dtype=np.float32)) for (name, _), v in zip(args, [images])}
    ints = {}
    with torch.no_grad():
        for op in ops:
            name, props = op["name"], op["props"]
            vals = [env.get(o) for o in op["operands"]]
            in_t = [t[1] for t in op["in_types"]]
            out_shape, out_t = op["out_types"][0] if op["out_types"] else (None, None)
            res = op["result"]
            if name == "func.return":
                return [env[o].numpy() for o in op["operands"]]
            if name == "arith.constant":
                m = re.search(r"value = dense<(.*)> : tensor<", props)
                ints[res] = qr._parse_dense(m.group(1), out_shape, out_t)
                continue
            if name == "quant.scast":
                env[res] = _dequantize(ints[op["operands"][0]], out_t, len(out_shape))
            elif name == "quant.qcast":
                env[res] = _fq(vals[0], out_t)
            elif name == "quant.dcast":
                env[res] = vals[0]
            elif name == "accel.conv2d":
                pads = qr._prop_array(props, "pads")
                x = F.pad(vals[0], (pads[1], pads[3], pads[0], pads[2]))
                y = F.conv2d(x, vals[1], vals[2] if len(vals) > 2 else None,
                             stride=qr._prop_array(props, "strides"),
                             dilation=qr._prop_array(props, "dilations"),
                             groups=qr._prop_int(props, "groups", 1))
                env[res] = _fq(y, out_t)
            elif name == "accel.matmul":
                env[res] = _fq(torch.matmul(vals[0], vals[1]), out_t)
            elif name == "accel.add":
                env[res] = _fq(vals[0] + vals[1], out_t)
            elif name == "accel.relu":
                env[res] = _fq(F.relu(vals[0]), out_t)
            elif name == "accel.clip":
                lo, hi = qr._prop_float(props, "min"), qr._prop_float(props, "max")
                env[res] = _fq(torch.clamp(vals[0], lo, hi), out_t)
            elif name == "accel.cast":
                env[res] = _fq(vals[0], out_t)
            elif name == "accel.reshape":
                env[res] = vals[0].reshape(out_shape)
            elif name == "accel.transpose":
                env[res] = vals[0].permute(qr._prop_array(props, "perm"))
            elif name == "accel.pool2d":
                kernel = qr._prop_array(props, "kernel")
                strides = qr._prop_array(props, "strides") or [1, 1]
                pads = qr._prop_array(props, "pads") or [0, 0, 0, 0]
                if qr._prop_int(props, "kind") == 0:
                    x = F.pad(vals[0], (pads[1], pads[3], pads[0], pads[2]), value=-float("inf"))
                    y = F.max_pool2d(x, kernel, strides)
                else:
                    if any(pads) and "count_include_pad" not in props:
                        raise NotImplementedError("avg pool excluding padding")
                    x = F.pad(vals[0], (pads[1], pads[3], pads[0], pads[2]))
                    y = F.avg_pool2d(x, kernel, strides)
                env[res] = _fq(y, out_t)
            else:
                raise NotImplementedError(f"torch reference has no {name}")
    raise ValueError("no func.return")
