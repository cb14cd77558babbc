"""Calibration, quantization and accuracy (docs/quantization.md).

The same code as tandem-opt's --accel-calibrate and --accel-quantize and
tandem-quantize's scoring; every function returns a new Model or a dict.
"""

import os
from typing import Optional, Union

import numpy as np

from ._tandem import Model
from ._tandem import quant as _quant

Data = Union[np.ndarray, str, os.PathLike]
PolicyLike = Union[int, tuple, dict, str, os.PathLike]


def calibrate(model: Model, data: Data, samples: int = 512,
              threads: int = 1) -> Model:
    """A copy of `model` with every tensor's range recorded over the first
    `samples` samples of `data`: an array [N, ...] of samples (the input's
    shape, batch dimension or not) or a dataset path (IDX file, .npy
    directory, test_data_set_*)."""
    return _quant.calibrate(model, data, samples, threads)


def quantize(model: Model, policy: PolicyLike, data: Optional[Data] = None,
             samples: int = 512, threads: int = 1) -> Model:
    """A copy of the calibrated `model` quantized by `policy`: bits for
    weights and activations (8), a (weight_bits, activation_bits) pair, a
    dict or JSON text in the policy format, or a policy file path. A
    policy whose weights.rounding is "gptq" needs `data` (as calibrate's,
    its first `samples`): the layers' inputs are measured on it."""
    return _quant.quantize(model, policy, data, samples, threads)


def accuracy(model: Model, data: Data, labels: Optional[Data] = None,
             reference: Optional[Model] = None, samples: int = 0,
             threads: int = 1) -> dict:
    """Runs `model` on `data` and scores it: top-1 `accuracy` against
    `labels`, `agreement` and `sqnr_db` against the `reference` model's
    outputs. Also gives `samples`, `samples_per_second` and the
    `predictions` (an int64 array)."""
    return _quant.accuracy(model, data, labels, reference, samples, threads)


__all__ = ["calibrate", "quantize", "accuracy"]
