"""Whole PyTorch models run end to end and match PyTorch.

Each model is exported at opset 17, imported, JIT-compiled and run by
tandem-run on a random input; its output must match PyTorch's own output on
the same input within tandem-run's default tolerances (rtol 1e-4, atol 1e-5).
"""

import subprocess

import pytest

import models


# With BLAS (the default) every model; without, the smallest one (time).
CASES = [(name, True) for name in
         ("resnet18", "mobilenet_v2", "mobilenet_v3_small", "transformer_encoder")]
CASES.append(("transformer_encoder", False))


@pytest.mark.parametrize("name,blas", CASES,
                         ids=[f"{n}-{'blas' if b else 'loops'}" for n, b in CASES])
def test_model_matches_pytorch(name, blas, export_dir, build_dir):
    model, inputs, expected = models.reference(name, export_dir)
    cmd = [str(build_dir / "bin" / "tandem-run"), model, inputs, "--expect", expected]
    if not blas:
        cmd.append("--no-blas")
    run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr


def test_mismatch_is_reported(export_dir, build_dir, tmp_path):
    """A wrong expectation fails and names the output (the check can fail)."""
    import numpy as np

    model, inputs, expected = models.reference("transformer_encoder", export_dir)
    wrong = np.load(expected)
    wrong[0, 5, 7] += 1.0
    np.save(tmp_path / "wrong.npy", wrong)
    run = subprocess.run(
        [str(build_dir / "bin" / "tandem-run"), model, inputs,
         "--expect", str(tmp_path / "wrong.npy")],
        capture_output=True, text=True, check=False,
    )
    assert run.returncode == 1
    assert "output 'output' differs" in run.stderr
    assert "the worst is at [0, 5, 7]" in run.stderr
