"""Whole PyTorch-exported models import completely into the accel dialect.

For ResNet-18, MobileNetV2, MobileNetV3-small (depthwise + squeeze-excite)
and a transformer encoder layer, at opsets 13 and 17: the import succeeds,
nothing falls back to accel.onnx_op, every tensor is static, and the MACs of
the convolutions and matrix products equal PyTorch's own count.
"""

import re
import subprocess

import pytest

import models

MODELS = ["resnet18", "mobilenet_v2", "mobilenet_v3_small", "transformer_encoder"]


def summary_macs(summary):
    """Sum of the MAC column over conv2d and matmul rows of the
    --accel-test-loop-nest=summary table."""
    total = 0
    for line in summary.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[1] in ("accel.conv2d", "accel.matmul"):
            total += int(fields[-2])
    return total


@pytest.mark.parametrize("opset", [13, 17])
@pytest.mark.parametrize("name", MODELS)
def test_model_imports_completely(name, opset, export_dir, build_dir, tmp_path):
    path, expected_macs = models.export(name, opset, export_dir)
    mlir = tmp_path / "model.mlir"
    translate = subprocess.run(
        [str(build_dir / "bin" / "tandem-translate"), "--import-onnx", path, "-o", str(mlir)],
        capture_output=True, text=True, check=False)
    assert translate.returncode == 0, translate.stderr
    text = mlir.read_text()
    assert "accel.onnx_op" not in text
    assert not re.search(r"tensor<[^>]*\?", text), "a dynamic dimension survived"
    assert "func.func @main" in text

    summary = subprocess.run(
        [str(build_dir / "bin" / "tandem-opt"), str(mlir),
         "--accel-test-loop-nest=summary", "-o", "/dev/null"],
        capture_output=True, text=True, check=False)
    assert summary.returncode == 0, summary.stderr
    assert summary_macs(summary.stdout) == expected_macs


def test_resnet18_macs_match_the_published_figure(export_dir):
    """ResNet-18 at 224x224 is the 1.82 GMAC network of the literature."""
    _, macs = models.export("resnet18", 17, export_dir)
    assert 1.80e9 < macs < 1.83e9
