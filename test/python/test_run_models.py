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


# Every model again at batch 3, exported with a dynamic batch axis and given
# its shape with --input-shape (batches above 1 once crashed in the JIT).
BATCHED = ("resnet18", "mobilenet_v2", "mobilenet_v3_small", "transformer_encoder")


@pytest.mark.parametrize("name", BATCHED)
def test_model_matches_pytorch_at_batch_3(name, export_dir, build_dir):
    import numpy as np

    model, inputs, expected = models.reference(name, export_dir, batch=3)
    shape = "x".join(str(d) for d in np.load(inputs).shape)
    run = subprocess.run(
        [str(build_dir / "bin" / "tandem-run"), model, inputs, "--expect", expected,
         "--input-shape", f"input={shape}"],
        capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr


def test_strided_pointwise_conv_at_batch_2(build_dir, tmp_path):
    """The smallest reproducer of the batch crash: a 1x1 stride-2 conv after
    a 3x3 stride-2 one, on 2 images, with and without BLAS."""
    import numpy as np
    import torch

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 32, 3, 2, 1),
                              torch.nn.Conv2d(32, 64, 1, 2)).eval()
    x = torch.randn(2, 1, 28, 28)
    torch.onnx.export(net, x, tmp_path / "seq.onnx", opset_version=13,
                      input_names=["image"], output_names=["out"],
                      dynamic_axes={"image": {0: "batch"}, "out": {0: "batch"}})
    np.save(tmp_path / "x.npy", x.numpy())
    with torch.no_grad():
        np.save(tmp_path / "y.npy", net(x).numpy())
    for extra in ([], ["--no-blas"]):
        run = subprocess.run(
            [str(build_dir / "bin" / "tandem-run"), str(tmp_path / "seq.onnx"),
             "--input-shape", "image=2x1x28x28", "--input", f"image={tmp_path / 'x.npy'}",
             "--expect", f"out={tmp_path / 'y.npy'}", *extra],
            capture_output=True, text=True, check=False)
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
