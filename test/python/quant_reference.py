"""A numpy reference of Tandem's integer arithmetic for quantized models.

Reads a quantized module printed by `tandem-opt --mlir-print-op-generic
--mlir-print-elementsattrs-with-hex-if-larger=-1` and executes it with
integers, following docs/quantization.md ("Integer arithmetic") and nothing
of Tandem's own code: the storage integers of every tensor in int64, every
rescale a fixed-point multiply rounded half to even, every result clamped.
Used by test_quantization.py to check tandem-run's integer execution bit for
bit.
"""

import math
import re

import numpy as np

# ----------------------------------------------------------------------------
# Parsing the generic form
# ----------------------------------------------------------------------------


class QType:
    """A !quant.uniform element type."""

    def __init__(self, bits, qmin, qmax, scales, zeros, axis):
        self.bits, self.qmin, self.qmax = bits, qmin, qmax
        self.scales, self.zeros, self.axis = scales, zeros, axis


def _split_top(text, sep=","):
    """Splits at `sep` outside <>, (), [], {}."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in "<([{":
            depth += 1
        elif c in ">)]}":
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def parse_tensor_type(text):
    """(shape, element) for 'tensor<2x3x!quant.uniform<...>>' or '...xf32>'."""
    inner = text.strip()[len("tensor<"):-1]
    dims = []
    while True:
        m = re.match(r"(\d+)x", inner)
        if not m:
            break
        dims.append(int(m.group(1)))
        inner = inner[m.end():]
    return tuple(dims), parse_element(inner)


def parse_element(text):
    if not text.startswith("!quant.uniform<"):
        return text
    body = text[len("!quant.uniform<"):-1]
    m = re.match(r"i(\d+)(?:<(-?\d+):(-?\d+)>)?:f32(?::(\d+))?,\s*(.*)$", body)
    bits = int(m.group(1))
    qmin = int(m.group(2)) if m.group(2) else -(1 << (bits - 1))
    qmax = int(m.group(3)) if m.group(3) else (1 << (bits - 1)) - 1
    axis = int(m.group(4)) if m.group(4) is not None else None
    params = m.group(5).strip()
    if params.startswith("{"):
        entries = _split_top(params[1:-1])
    else:
        entries = [params]
    scales, zeros = [], []
    for e in entries:
        s, _, z = e.partition(":")
        scales.append(float(s))
        zeros.append(int(z) if z else 0)
    return QType(bits, qmin, qmax, scales, zeros, axis)


def _parse_dense(text, shape, element):
    """The values of dense<...> as an int64 or float64 array."""
    body = text.strip()
    bits = int(element[1:]) if element.startswith("i") else None
    if body.startswith('"0x'):
        raw = bytes.fromhex(body[3:-1])
        if bits is not None:
            width = max(1, (bits + 7) // 8)
            values = np.frombuffer(raw, dtype=f"<i{width}" if width > 1 else np.int8)
            values = values.astype(np.int64)
            if bits < 8:  # sub-byte storage keeps the low bits
                values = ((values & ((1 << bits) - 1)) ^ (1 << (bits - 1))) - (1 << (bits - 1))
        else:
            values = np.frombuffer(raw, dtype="<f4").astype(np.float64)
        if values.size == 1:
            return np.full(shape, values[0])
        return values.reshape(shape)
    flat = re.findall(r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?", body)
    dtype = np.int64 if bits is not None else np.float64
    values = np.array([float(v) for v in flat]).astype(dtype)
    if values.size == 1:
        return np.full(shape, values[0], dtype=dtype)
    return values.reshape(shape)


_OP = re.compile(r'^\s*(?:(%[\w]+(?::\d+)?)\s*=\s*)?"([\w.]+)"\((.*?)\)\s*(.*)$')


def parse_module(text):
    """@main's operations as dicts: result, name, operands, props, types."""
    ops = []
    args = []
    text = re.sub(r"accel\.calibration = \{[^{}]*\}", "", text)
    for line in text.splitlines():
        m = re.match(r"\s*\^bb0\((.*)\):", line)
        if m:
            for a in _split_top(m.group(1)):
                name, _, ty = a.partition(":")
                args.append((name.strip(), parse_tensor_type(ty.strip())))
            continue
        m = _OP.match(line)
        if not m or m.group(2) in ("builtin.module", "func.func"):
            continue
        result, name, operands, rest = m.groups()
        # The type signature follows the last ' : '.
        cut = rest.rfind(": (")
        sig, props = rest[cut + 2:], rest[:cut]
        ins, _, outs = sig.partition(" -> ")
        in_types = [parse_tensor_type(t) for t in _split_top(ins.strip()[1:-1])]
        out_types = [parse_tensor_type(t) for t in _split_top(outs.strip().strip("()"))] if outs else []
        ops.append(dict(result=result, name=name,
                        operands=[o.strip() for o in operands.split(",") if o.strip()],
                        props=props, in_types=in_types, out_types=out_types))
    return args, ops


def _prop_array(props, key):
    m = re.search(key + r" = array<i64(?::\s*([-\d, ]*))?>", props)
    if not m or not m.group(1):
        return []
    return [int(v) for v in m.group(1).split(",")]


def _prop_int(props, key, default=None):
    m = re.search(key + r" = (-?\d+) : i\d+", props)
    return int(m.group(1)) if m else default


def _prop_float(props, key):
    m = re.search(key + r" = (-?[\d.eE+-]+) : f32", props)
    return float(m.group(1)) if m else None


# ----------------------------------------------------------------------------
# Integer arithmetic (docs/quantization.md)
# ----------------------------------------------------------------------------


def fixed_point(real):
    """(m, n) with real = m * 2^-n, m in [2^30, 2^31); n > 62 gives (0, 1)."""
    frac, exp = math.frexp(real)
    m = int(np.rint(math.ldexp(frac, 31)))
    if m == 1 << 31:
        m >>= 1
        exp += 1
    n = 31 - exp
    assert n >= 1, f"rescale {real} out of range"
    if n > 62:
        return 0, 1
    return m, n


def rounding_shift(prod, n):
    """prod * 2^-n rounded half to even (int64 arrays, n >= 1)."""
    n = np.asarray(n, dtype=np.int64)
    floor = prod >> n
    rem = prod - (floor << n)
    half = np.left_shift(np.int64(1), n - 1)
    up = (rem > half) | ((rem == half) & ((floor & 1) == 1))
    return floor + up.astype(np.int64)


def requant(values, reals, out, axis=None):
    """clamp(rshift_rne(values * m, n) + z) with one (m, n) per real; the
    reals index dimension `axis` of values (or a leading P x Q grid)."""
    ms, ns = zip(*[fixed_point(r) for r in np.ravel(reals)])
    m = np.array(ms, dtype=np.int64).reshape(np.shape(reals))
    n = np.array(ns, dtype=np.int64).reshape(np.shape(reals))
    if axis is not None and m.ndim == 1 and m.size > 1:
        shape = [1] * values.ndim
        shape[axis] = m.size
        m, n = m.reshape(shape), n.reshape(shape)
    elif m.size == 1:
        m, n = m.reshape(()), n.reshape(())
    r = rounding_shift(values.astype(np.int64) * m, n) + _zeros(out, values.ndim)
    return np.clip(r, out.qmin, out.qmax)


def _zeros(t, ndim):
    """The zero points of `t` broadcast along its axis (or a scalar)."""
    return _channel(t.zeros, t.axis or 0, ndim).astype(np.int64)


def _scale(t, c):
    """Channel c's scale of `t` (its one scale when per tensor)."""
    return t.scales[c if len(t.scales) > 1 else 0]


def _channel(values, axis, ndim):
    v = np.array(values)
    if v.size == 1:
        return v.reshape(())
    shape = [1] * ndim
    shape[axis] = v.size
    return v.reshape(shape)


def conv2d(x, w, strides, pads, dilations, groups):
    """Integer NCHW convolution (int64)."""
    n, c, h, wd = x.shape
    k, cg, r, s = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    p = (xp.shape[2] - dilations[0] * (r - 1) - 1) // strides[0] + 1
    q = (xp.shape[3] - dilations[1] * (s - 1) - 1) // strides[1] + 1
    out = np.zeros((n, k, p, q), dtype=np.int64)
    kg = k // groups
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        ws = w[g * kg:(g + 1) * kg]
        for i in range(r):
            for j in range(s):
                patch = xs[:, :, i * dilations[0]: i * dilations[0] + strides[0] * (p - 1) + 1: strides[0],
                           j * dilations[1]: j * dilations[1] + strides[1] * (q - 1) + 1: strides[1]]
                out[:, g * kg:(g + 1) * kg] += np.einsum("ncpq,kc->nkpq", patch, ws[:, :, i, j])
    return out


def pool_pads(in_hw, out_hw, kernel, strides, dilations, pads):
    pads = list(pads)
    for d in range(2):
        need = (out_hw[d] - 1) * strides[d] + (kernel[d] - 1) * dilations[d] + 1
        have = in_hw[d] + pads[d] + pads[d + 2]
        pads[d + 2] += max(0, need - have)
    return pads


def window_counts(size, out, kernel, stride, dilation, begin, end, include_pad):
    lo, hi = (-begin, size + end) if include_pad else (0, size)
    counts = []
    for o in range(out):
        c = sum(1 for t in range(kernel) if lo <= o * stride - begin + t * dilation < hi)
        counts.append(max(c, 1))
    return counts


def windows(x, kernel, strides, dilations, out_hw):
    """Yields every window tap as an N x C x P x Q slice."""
    p, q = out_hw
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            yield x[:, :, i * dilations[0]: i * dilations[0] + strides[0] * (p - 1) + 1: strides[0],
                    j * dilations[1]: j * dilations[1] + strides[1] * (q - 1) + 1: strides[1]]


# ----------------------------------------------------------------------------
# Shift-add weights (docs/shift-add.md)
# ----------------------------------------------------------------------------


def weight_encoding(props):
    """(kind, bits, digits, terms) of an op's #accel.weight_encoding, or None."""
    m = re.search(r"#accel\.weight_encoding<(\w+), bits = (\d+)(?:, digits = (\d+))?, "
                  r"terms = (\d+)>", props)
    if not m:
        return None
    return m.group(1), int(m.group(2)), int(m.group(3) or 0), int(m.group(4))


def term_planes(w, kind):
    """Signed power-of-two planes of integer weights: w = sum_k 2^k planes[k],
    every plane in {-1, 0, +1}. PoT and APoT weights are sums of distinct
    powers of two (their binary ones, with the weight's sign); CSD weights
    their non-adjacent form, built digit by digit from the least
    significant: an odd v gets digit 2 - (v mod 4), so the next is 0."""
    planes = []
    if kind == "csd":
        v = w.astype(np.int64).copy()
        while np.any(v != 0):
            d = np.where(v & 1, 2 - np.mod(v, 4), 0)
            planes.append(d)
            v = (v - d) >> 1
    else:
        sign, mag = np.sign(w).astype(np.int64), np.abs(w).astype(np.int64)
        while np.any(mag != 0):
            planes.append(sign * (mag & 1))
            mag >>= 1
    return planes


def shift_add(contract, x, w, encoding):
    """contract(x, w) computed as shifts and adds: per power of two, the
    activations added or subtracted where the weights have that term
    (contract on a {-1, 0, +1} plane), shifted left by the power. Checks the
    planes against the weights and the attribute's term count."""
    kind, bits, digits, terms = encoding
    planes = term_planes(w, kind)
    rebuilt = sum((p << k for k, p in enumerate(planes)), np.zeros_like(w))
    assert np.array_equal(rebuilt, w), "term planes do not rebuild the weights"
    per_weight = sum((p != 0).astype(np.int64) for p in planes) if planes else np.zeros_like(w)
    assert int(per_weight.sum()) == terms, (int(per_weight.sum()), terms)
    if kind == "pot":
        assert per_weight.max(initial=0) <= 1
    if kind == "csd" and digits:
        assert per_weight.max(initial=0) <= digits
    acc = None
    for k, p in enumerate(planes):
        part = contract(x, p) << k
        acc = part if acc is None else acc + part
    return acc if acc is not None else contract(x, np.zeros_like(w))


def run(text, inputs):
    """Executes @main on float32 `inputs`; returns the float32 outputs."""
    args, ops = parse_module(text)
    resources = dict(re.findall(r'^\s*([\w.]+): "0x([0-9A-Fa-f]+)"', text, re.M))
    env = {name: np.asarray(value, dtype=np.float32) for (name, _), value in zip(args, inputs)}
    for op in ops:
        name, props = op["name"], op["props"]
        vals = [env.get(o) for o in op["operands"]]
        in_t = [t[1] for t in op["in_types"]]
        out_shape, out_t = op["out_types"][0] if op["out_types"] else (None, None)
        if name == "func.return":
            return [env[o] for o in op["operands"]]
        if name == "arith.constant":
            m = re.search(r"value = dense<(.*)> : tensor<", props)
            if m:
                env[op["result"]] = _parse_dense(m.group(1), out_shape, out_t)
            else:  # a blob: 4 bytes of alignment, then little-endian f32
                blob = re.search(r"value = dense_resource<([\w.]+)>", props).group(1)
                raw = bytes.fromhex(resources[blob][8:])
                env[op["result"]] = np.frombuffer(raw, dtype="<f4").astype(
                    np.float64).reshape(out_shape)
            continue
        if out_t == "f32" and name in ("accel.add", "accel.relu"):
            # Float ops outside the quantized region (the bias add of a
            # layer whose weights are wider than 8 bits), in float32 as the
            # JIT computes them.
            a = [np.asarray(v, dtype=np.float32) for v in vals]
            env[op["result"]] = a[0] + a[1] if name == "accel.add" else np.maximum(
                a[0], np.float32(0))
            continue
        if name == "quant.scast":
            env[op["result"]] = vals[0]
        elif name == "quant.qcast":
            ndim = vals[0].ndim
            s = _channel(np.float32(out_t.scales), out_t.axis or 0, ndim).astype(np.float32)
            z = _channel(np.float32(out_t.zeros), out_t.axis or 0, ndim).astype(np.float32)
            q = np.clip(np.rint(vals[0] / s) + z, out_t.qmin, out_t.qmax)
            env[op["result"]] = q.astype(np.int64)
        elif name == "quant.dcast":
            t = in_t[0]
            z = _channel(t.zeros, t.axis or 0, vals[0].ndim)
            s = _channel(np.float32(t.scales), t.axis or 0, vals[0].ndim).astype(np.float32)
            env[op["result"]] = (vals[0] - z).astype(np.float32) * s
        elif name == "accel.conv2d":
            x, w = vals[0], vals[1]
            tx, tw = in_t[0], in_t[1]
            xs = x - _zeros(tx, x.ndim)
            ws = w - _channel(tw.zeros, 0, w.ndim)
            def conv(a, b):
                return conv2d(a, b, _prop_array(props, "strides"), _prop_array(props, "pads"),
                              _prop_array(props, "dilations"), _prop_int(props, "groups", 1))
            encoding = weight_encoding(props)
            acc = shift_add(conv, xs, ws, encoding) if encoding else conv(xs, ws)
            k = acc.shape[1]
            if len(vals) > 2:
                # The bias grid may be 2^shift times the accumulator's.
                shift = int(round(math.log2(in_t[2].scales[0] / (tx.scales[0] * tw.scales[0]))))
                acc = acc + (vals[2].reshape(1, k, 1, 1) << shift)
            reals = [_scale(tx, c) * _scale(tw, c) / _scale(out_t, c) for c in range(k)]
            env[op["result"]] = requant(acc, np.array(reals), out_t, axis=1)
        elif name == "accel.matmul":
            tl, tr = in_t
            ls = vals[0] - tl.zeros[0]
            rs = vals[1] - _channel(tr.zeros, vals[1].ndim - 1, vals[1].ndim)
            encoding = weight_encoding(props)
            acc = shift_add(np.matmul, ls, rs, encoding) if encoding else np.matmul(ls, rs)
            n = acc.shape[-1]
            products = [tl.scales[0] * tr.scales[c if len(tr.scales) > 1 else 0] for c in range(n)]
            outs = [out_t.scales[c if len(out_t.scales) > 1 else 0] for c in range(n)]
            # An i32 result on the product's grid (to float precision) is the
            # accumulator itself.
            if out_t.bits == 32 and all(abs(p - o) <= 1e-6 * o for p, o in zip(products, outs)):
                reals = [1.0] * n
            else:
                reals = [p / o for p, o in zip(products, outs)]
            env[op["result"]] = requant(acc, np.array(reals), out_t, axis=acc.ndim - 1)
        elif name == "accel.add":
            ta, tc = in_t
            a, c = vals
            ndim = len(out_shape)
            same = ta.scales == tc.scales and ta.zeros == tc.zeros and (
                (ta.axis is None and tc.axis is None) or
                (ta.axis is not None and tc.axis is not None and
                 ta.axis + ndim - a.ndim == tc.axis + ndim - c.ndim))
            if same:
                total = a + c - 2 * ta.zeros[0]
                reals = np.array([s / out_t.scales[0] for s in ta.scales])
                axis = ta.axis + ndim - a.ndim if ta.axis is not None else None
                env[op["result"]] = requant(total, reals, out_t, axis=axis)
            else:
                ma, mc = ta.scales[0] / out_t.scales[0], tc.scales[0] / out_t.scales[0]
                _, shift = fixed_point(max(ma, mc))
                fa = int(np.rint(math.ldexp(ma, shift)))
                fc = int(np.rint(math.ldexp(mc, shift)))
                prod = (a - ta.zeros[0]) * fa + (c - tc.zeros[0]) * fc
                r = rounding_shift(prod, shift) + out_t.zeros[0]
                env[op["result"]] = np.clip(r, out_t.qmin, out_t.qmax)
        elif name == "accel.pool2d":
            x, tx = vals[0], in_t[0]
            kernel = _prop_array(props, "kernel")
            strides = _prop_array(props, "strides") or [1, 1]
            dilations = _prop_array(props, "dilations") or [1, 1]
            given = _prop_array(props, "pads") or [0, 0, 0, 0]
            out_hw = out_shape[2:]
            pads = pool_pads(x.shape[2:], out_hw, kernel, strides, dilations, given)
            is_max = _prop_int(props, "kind") == 0
            if is_max:
                low = np.iinfo(np.int8).min if tx.bits <= 8 else np.iinfo(np.int16).min
                xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])),
                            constant_values=low)
                y = np.max(np.stack(list(windows(xp, kernel, strides, dilations, out_hw))), axis=0)
                if tx.scales != out_t.scales or tx.zeros != out_t.zeros:
                    y = requant(y - tx.zeros[0], np.array([tx.scales[0] / out_t.scales[0]]), out_t)
                env[op["result"]] = y
            else:
                include = "count_include_pad" in props
                xp = np.pad(x - tx.zeros[0], ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
                total = sum(windows(xp, kernel, strides, dilations, out_hw))
                rows = window_counts(x.shape[2], out_hw[0], kernel[0], strides[0], dilations[0],
                                     given[0], given[2], include)
                cols = window_counts(x.shape[3], out_hw[1], kernel[1], strides[1], dilations[1],
                                     given[1], given[3], include)
                reals = np.array([[tx.scales[0] / (out_t.scales[0] * (rc * cc)) for cc in cols]
                                  for rc in rows])
                ms, ns = zip(*[fixed_point(r) for r in reals.ravel()])
                m = np.array(ms, dtype=np.int64).reshape(reals.shape)
                n = np.array(ns, dtype=np.int64).reshape(reals.shape)
                r = rounding_shift(total * m, n) + out_t.zeros[0]
                env[op["result"]] = np.clip(r, out_t.qmin, out_t.qmax)
        elif name in ("accel.relu", "accel.clip"):
            x, tx = vals[0], in_t[0]
            if tx.scales != out_t.scales or tx.zeros != out_t.zeros:
                x = requant(x - tx.zeros[0], np.array([tx.scales[0] / out_t.scales[0]]), out_t)

            def grid(v):
                # Each channel's bound on its own grid.
                s = _channel(np.float64(out_t.scales), out_t.axis or 0, x.ndim)
                q = np.rint(v / s) + _zeros(out_t, x.ndim)
                return np.clip(q, out_t.qmin, out_t.qmax).astype(np.int64)

            lo = grid(0.0) if name == "accel.relu" else (
                grid(_prop_float(props, "min")) if _prop_float(props, "min") is not None else out_t.qmin)
            hi = out_t.qmax if name == "accel.relu" else (
                grid(_prop_float(props, "max")) if _prop_float(props, "max") is not None else out_t.qmax)
            env[op["result"]] = np.clip(x, lo, hi)
        elif name == "accel.reshape":
            env[op["result"]] = vals[0].reshape(out_shape)
        elif name == "accel.transpose":
            env[op["result"]] = np.transpose(vals[0], _prop_array(props, "perm"))
        elif name == "accel.cast":
            tx = in_t[0]
            axis = tx.axis if tx.axis is not None else out_t.axis
            channels = max(len(tx.scales), len(out_t.scales))
            reals = np.array([_scale(tx, c) / _scale(out_t, c) for c in range(channels)])
            env[op["result"]] = requant(vals[0] - _zeros(tx, vals[0].ndim), reals, out_t,
                                        axis=axis)
        else:
            raise NotImplementedError(f"reference has no {name}")
    raise ValueError("no func.return")
