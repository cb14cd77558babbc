"""Tandem from Python: models, targets, cost, mapping, quantization, co-design.

A facade over Tandem's C++ libraries (no MLIR object crosses into Python)::

    import tandem
    model = tandem.load("examples/resnet18.mlir")
    target = tandem.Target.preset("eyeriss")
    report = tandem.cost(model, target)      # tandem-cost-report/3 as a dict
    mapped = tandem.map(model, target)       # accel.mapping on every layer

Errors raise tandem.Error with the message the tools print. See
docs/python.md for a walk-through and docs/distributed.md for Dask sweeps.
"""

import os as _os
import sys as _sys

# The JIT resolves the runtime's symbols in the process's global scope: load
# the extension and the libraries it links with RTLD_GLOBAL.
_flags = _sys.getdlopenflags()
_sys.setdlopenflags(_flags | _os.RTLD_GLOBAL)
try:
    from . import _tandem
finally:
    _sys.setdlopenflags(_flags)

from ._tandem import Error, Model, Target, cost, map, version  # noqa: E402
from . import quant  # noqa: E402
from . import codesign  # noqa: E402
from . import distributed  # noqa: E402  (needs Dask only when used)

__all__ = ["Error", "Model", "Target", "load", "cost", "cost_arrays", "map",
           "version", "quant", "codesign", "distributed"]


def load(path, input_shapes=None, allow_unsupported=False) -> Model:
    """Loads a model: .onnx, .onnxtext (imported into the accel dialect) or
    .mlir. `input_shapes` gives ONNX inputs static shapes, as
    ["input=1x3x224x224"]; `allow_unsupported` imports ops Tandem does not
    model as accel.onnx_op (costed on the host)."""
    return Model.load(_os.fspath(path), list(input_shapes or []),
                      allow_unsupported)


def cost_arrays(report: dict) -> dict:
    """The per-op rows of a cost report as numpy arrays (one entry per row of
    report["ops"]): name, unit, macs, cycles, energy_pj and utilization
    where the row has one (NaN otherwise)."""
    import numpy as np
    ops = report["ops"]

    def column(key, dtype=float):
        return np.array([op.get(key, np.nan) for op in ops], dtype=dtype)

    return {
        "name": np.array([op["name"] for op in ops], dtype=object),
        "unit": np.array([op["unit"] for op in ops], dtype=object),
        "macs": column("macs"),
        "cycles": column("cycles"),
        "energy_pj": column("energy_pj"),
        "utilization": column("utilization"),
    }


def _edit_target(target: Target, changes: dict) -> Target:
    """A copy of `target` with `changes` merged into its YAML form (nested
    dicts merge; other values replace), checked as a new target is."""
    def merge(base, new):
        for key, value in new.items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                merge(base[key], value)
            else:
                base[key] = value
        return base
    return Target.from_dict(merge(target.to_dict(), changes))


def _target_from_dict(d: dict, name: str = "<dict>") -> Target:
    """A target from a dict in the YAML format (docs/targets.md)."""
    import json
    if not isinstance(d, dict):
        raise Error(f"{name}: a target is a dict, not {type(d).__name__}")
    return Target.from_yaml(json.dumps(d), name)


Target.from_dict = staticmethod(_target_from_dict)
Target.edit = _edit_target
