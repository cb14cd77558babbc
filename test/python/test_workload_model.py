"""The workload model on real PyTorch exports: the same network costs the
same at any opset, every op is in the totals, and fusion keeps element-wise
work from dominating."""

import json
import subprocess

import pytest

import models

PRESETS = ["eyeriss", "systolic", "bitfusion", "bismo", "shiftadd"]


def cost(build_dir, mlir, target, tmp_path, *options):
    out = tmp_path / "report.json"
    extra = "".join(f" {o}" for o in options)
    run = subprocess.run(
        [str(build_dir / "bin" / "tandem-opt"), str(mlir),
         f"--accel-cost-report=target={target} format=json output={out}{extra}",
         "-o", "/dev/null"],
        capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    return json.loads(out.read_text())


def imported(name, opset, export_dir, build_dir, tmp_path_factory):
    path, _ = models.export(name, opset, export_dir)
    mlir = tmp_path_factory.mktemp(name) / f"{name}-{opset}.mlir"
    subprocess.run([str(build_dir / "bin" / "tandem-translate"), "--import-onnx", path,
                    "-o", str(mlir)], check=True)
    return mlir


@pytest.fixture(scope="module")
def mobilenet_v3(export_dir, build_dir, tmp_path_factory):
    """MobileNetV3-small exported at opset 13 (hard swish as x *
    HardSigmoid(x)) and at opset 17 (HardSwish)."""
    return {opset: imported("mobilenet_v3_small", opset, export_dir, build_dir,
                            tmp_path_factory) for opset in (13, 17)}


@pytest.mark.parametrize("target", PRESETS)
def test_opsets_13_and_17_cost_the_same(target, mobilenet_v3, build_dir, tmp_path):
    a = cost(build_dir, mobilenet_v3[13], target, tmp_path)["total"]
    b = cost(build_dir, mobilenet_v3[17], target, tmp_path)["total"]
    assert a["macs"] == b["macs"]
    assert a["cycles"] == pytest.approx(b["cycles"], rel=0.01)
    assert a["energy_pj"] == pytest.approx(b["energy_pj"], rel=0.01)


def test_every_op_is_in_the_totals(export_dir, build_dir, tmp_path_factory, tmp_path):
    """EfficientNet-B0's sigmoids need a special-function unit Eyeriss's
    output stage lacks: they run on the host, and count."""
    mlir = imported("efficientnet_b0", 17, export_dir, build_dir, tmp_path_factory)
    r = cost(build_dir, mlir, "eyeriss", tmp_path)
    host = r["host_fallback"]
    sigmoids = [op for op in host["ops"] if op["kind"] == "sigmoid"]
    assert len(sigmoids) >= 16 and host["cycles"] > 0 and host["energy_pj"] > 0
    assert r["total"]["energy_pj"] == pytest.approx(
        sum(op["energy_pj"] for op in r["ops"]) + host["energy_pj"])
    # The systolic preset's output stage tabulates sigmoids: nothing left
    # for the host.
    assert cost(build_dir, mlir, "systolic", tmp_path)["host_fallback"]["count"] == 0


@pytest.mark.parametrize("target", ["eyeriss", "systolic"])
def test_fusion_is_cheaper_and_can_be_turned_off(target, resnet18_mlir, build_dir, tmp_path):
    fused = cost(build_dir, resnet18_mlir, target, tmp_path)
    alone = cost(build_dir, resnet18_mlir, target, tmp_path, "fuse=false")
    assert all(not op["fused"] for op in alone["ops"])
    assert fused["total"]["cycles"] < alone["total"]["cycles"]
    assert fused["total"]["energy_pj"] < alone["total"]["energy_pj"]
    # With fusion, the element-wise and pooling work is a small share.
    parts = fused["total"]["by_part"]
    other = sum(parts[p]["cycles"] for p in ("output_stage", "post_processing", "host"))
    assert other < 0.1 * fused["total"]["cycles"]
