"""Quantized execution is bit-exact: tandem-run's integer arithmetic against
the numpy reference (quant_reference.py) on the trained Fashion-MNIST models,
real test images, at 8, 4 and 2 bits."""

import os
import re
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import quant_reference

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import fashion_mnist  # noqa: E402

MODELS = ROOT / "examples" / "fashion-mnist"
DATA = pathlib.Path(fashion_mnist.DATASET_DIR)
BATCH = 8

pytestmark = pytest.mark.skipif(not DATA.exists(),
                                reason="dataset-fashion-mnist is not installed")


def tool(build_dir, name, *args):
    done = subprocess.run([str(build_dir / "bin" / name), *map(str, args)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def calibrated(build_dir, tmp_path_factory):
    """Each trained model imported at batch 8 and calibrated on 256
    training images, once per module."""
    out = {}
    tmp = tmp_path_factory.mktemp("calibrated")
    for name in ("cnn", "resnet", "mobilenet"):
        onnx = MODELS / f"{name}.onnx"
        if not onnx.exists():
            continue
        mlir = tmp / f"{name}.mlir"
        tool(build_dir, "tandem-translate", "--import-onnx", onnx,
             "--input-shape", f"image={BATCH}x1x28x28", "-o", mlir)
        cal = tmp / f"{name}.cal.mlir"
        tool(build_dir, "tandem-opt", mlir,
             f"--accel-calibrate=data={fashion_mnist.path('train', 'images')} samples=256",
             "--mlir-print-debuginfo", "-o", cal)
        out[name] = cal
    return out


@pytest.fixture(scope="module")
def test_images(tmp_path_factory):
    """The first 8 test images as a .npy input."""
    images = fashion_mnist.images("t10k")[:BATCH]
    path = tmp_path_factory.mktemp("images") / "image.npy"
    np.save(path, images)
    return images, path


@pytest.mark.parametrize("bits", [8, 4, 2])
@pytest.mark.parametrize("name", ["cnn", "resnet", "mobilenet"])
def test_integer_execution_matches_numpy_reference(name, bits, calibrated, test_images,
                                                   build_dir, tmp_path):
    if name not in calibrated:
        pytest.skip(f"examples/fashion-mnist/{name}.onnx is missing")
    images, image_path = test_images
    quantized = tmp_path / "q.mlir"
    tool(build_dir, "tandem-opt", calibrated[name],
         f"--accel-quantize=weight-bits={bits} activation-bits={bits}",
         "--mlir-print-op-generic", "--mlir-print-elementsattrs-with-hex-if-larger=-1",
         "-o", quantized)
    text = quantized.read_text()
    # Every op kind the model has is in the quantized region.
    for kind in ("accel.conv2d", "accel.matmul", "accel.pool2d"):
        assert f'"{kind}"' in text
    tool(build_dir, "tandem-run", quantized, image_path, "--output-dir", tmp_path / "out")
    produced = np.load(tmp_path / "out" / "logits.npy")
    (expected,) = quant_reference.run(text, [images])
    assert produced.dtype == np.float32
    assert np.array_equal(produced, expected), (
        f"{name} W{bits}A{bits}: max difference {np.abs(produced - expected).max()}")


def test_op_kinds_of_the_trained_models(calibrated, build_dir, tmp_path):
    """Between them the three models quantize conv, depthwise conv, Gemm
    (matmul + bias add), max and average pooling, residual add, relu and
    clip (ReLU6)."""
    seen = set()
    for name, cal in calibrated.items():
        text = tool(build_dir, "tandem-opt", cal,
                    "--accel-quantize=weight-bits=8 activation-bits=8", "--mlir-print-op-generic")
        for line in text.splitlines():
            if "!quant.uniform" not in line:
                continue
            for kind in ("conv2d", "matmul", "add", "relu", "clip"):
                if f'"accel.{kind}"' in line:
                    seen.add(kind)
            if '"accel.conv2d"' in line and "groups = 1 :" not in line:
                seen.add("depthwise")
            if '"accel.pool2d"' in line:
                seen.add("maxpool" if "kind = 0" in line else "avgpool")
    expected = {"conv2d", "matmul", "add", "relu", "maxpool"}
    if "mobilenet" in calibrated:
        expected |= {"depthwise", "clip", "avgpool"}
    assert expected <= seen


def test_mixed_policy_requantizes_and_stays_bit_exact(calibrated, test_images, build_dir,
                                                      tmp_path):
    """A layer reading a tensor at fewer bits than it is stored at reads it
    through accel.cast (the stem's output feeds layer1's conv at 4 bits and
    the residual add at 8); the integer result still matches the reference."""
    if "resnet" not in calibrated:
        pytest.skip("examples/fashion-mnist/resnet.onnx is missing")
    images, image_path = test_images
    policy = tmp_path / "policy.json"
    policy.write_text('{"default": {"weight_bits": 8, "activation_bits": 8},'
                      ' "layers": {"/layer1/conv1/conv1.0/Conv":'
                      ' {"weight_bits": 3, "activation_bits": 4}}}')
    quantized = tmp_path / "q.mlir"
    tool(build_dir, "tandem-opt", calibrated["resnet"], f"--accel-quantize=policy={policy}",
         "--mlir-print-op-generic", "--mlir-print-elementsattrs-with-hex-if-larger=-1",
         "-o", quantized)
    text = quantized.read_text()
    assert '"accel.cast"' in text and "i3<-3:3>" in text
    tool(build_dir, "tandem-run", quantized, image_path, "--output-dir", tmp_path / "out")
    (expected,) = quant_reference.run(text, [images])
    assert np.array_equal(np.load(tmp_path / "out" / "logits.npy"), expected)


def _accel_signature(text):
    """Every accel op with its operand and result types, SSA names dropped."""
    text = re.sub(r"accel\.calibration = \{[^{}]*\}", "", text)
    lines = []
    for line in text.splitlines():
        m = re.search(r'"(accel\.\w+)"\(.*?\)\s*(<\{.*?\}>)?.*?: (\(.*)$', line)
        if m:
            lines.append((m.group(1), m.group(2), m.group(3)))
    return lines


@pytest.mark.parametrize("name", ["cnn", "resnet", "mobilenet"])
def test_qdq_round_trip(name, calibrated, test_images, build_dir, tmp_path):
    """Quantized IR -> QCDQ ONNX (passes onnx.checker) -> import ->
    --accel-fold-qdq gives the same quantized ops and types and the same
    integer results, at 4-bit weights (narrow range) and 8-bit activations."""
    import onnx

    if name not in calibrated:
        pytest.skip(f"examples/fashion-mnist/{name}.onnx is missing")
    images, image_path = test_images
    quantized = tmp_path / "q.mlir"
    tool(build_dir, "tandem-opt", calibrated[name],
         "--accel-quantize=weight-bits=4 activation-bits=8", "--mlir-print-debuginfo",
         "-o", quantized)
    exported = tmp_path / "q.onnx"
    tool(build_dir, "tandem-translate", "--export-onnx-qdq", quantized, "-o", exported)
    model = onnx.load(str(exported))
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version == 13
    ops = {n.op_type for n in model.graph.node}
    assert {"QuantizeLinear", "Clip", "DequantizeLinear"} <= ops
    reimported = tmp_path / "r.mlir"
    imported = tool(build_dir, "tandem-translate", "--import-onnx", exported)
    (tmp_path / "i.mlir").write_text(imported)
    tool(build_dir, "tandem-opt", tmp_path / "i.mlir", "--accel-fold-qdq", "-o", reimported)
    generic = ["--mlir-print-op-generic", "--mlir-print-elementsattrs-with-hex-if-larger=-1"]
    original = tool(build_dir, "tandem-opt", quantized, *generic)
    again = tool(build_dir, "tandem-opt", reimported, *generic)
    assert _accel_signature(again) == _accel_signature(original)
    assert "quant.dcast" not in again.split('"accel.')[-2]  # only at the end
    outputs = []
    for path in (quantized, reimported):
        out = tmp_path / f"out-{path.stem}"
        tool(build_dir, "tandem-run", path, image_path, "--output-dir", out)
        outputs.append(np.load(next(out.glob("*.npy"))))
    assert np.array_equal(outputs[0], outputs[1])
