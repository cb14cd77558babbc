"""--accel-cost-report on a whole imported ResNet-18, for every preset.

Every convolution and the classifier's matrix product are costed and named
by their ONNX node names; the JSON report keeps its documented keys; the
totals are the sums of the rows; ops the array cannot run are listed as host
fallback rather than dropped.
"""

import json
import subprocess

import pytest


PRESETS = ["eyeriss", "systolic", "bitfusion", "bismo", "shiftadd"]


def report(build_dir, mlir, target, fmt, tmp_path):
    out = tmp_path / f"{target}.{fmt}"
    run = subprocess.run(
        [str(build_dir / "bin" / "tandem-opt"), str(mlir), "--accel-fold-batchnorm",
         f"--accel-cost-report=target={target} format={fmt} output={out}",
         "-o", "/dev/null"],
        capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    return out.read_text()


@pytest.mark.parametrize("target", PRESETS)
def test_json_report_covers_every_layer(target, resnet18_mlir, build_dir, tmp_path):
    r = json.loads(report(build_dir, resnet18_mlir, target, "json", tmp_path))
    ops = {op["name"]: op for op in r["ops"]}
    convs = [op for op in r["ops"] if op["kind"] == "conv2d"]
    # ResNet-18: 17 3x3/7x7 convolutions and 3 1x1 downsample convolutions.
    assert len(convs) == 20
    assert "/conv1/Conv" in ops and ops["/conv1/Conv"]["macs"] == 118_013_952
    # Gemm imports as a matmul plus the bias add, both named after the node.
    fc = [op for op in r["ops"] if op["name"] == "/fc/Gemm" and op["kind"] == "matmul"]
    assert len(fc) == 1 and fc[0]["macs"] == 512 * 1000
    for op in r["ops"]:
        for key in ("name", "kind", "macs", "cycles", "energy_pj", "utilization", "mapping"):
            assert key in op
        assert op["cycles"] > 0 and op["energy_pj"] > 0
        assert 0 < op["utilization"] <= 1.0 + 1e-9
        assert op["energy_pj"] == pytest.approx(sum(op["energy_breakdown_pj"].values()))
    total = r["total"]
    assert total["cycles"] == pytest.approx(sum(op["cycles"] for op in r["ops"]),
                                            abs=len(r["ops"]))
    assert total["energy_pj"] == pytest.approx(sum(op["energy_pj"] for op in r["ops"]))
    assert total["macs"] == sum(op["macs"] for op in r["ops"])
    assert total["area_mm2"] > 0
    # The global average pool divides, which no preset's array does.
    fallback = {op["name"] for op in r["host_fallback"]["ops"]}
    assert r["host_fallback"]["count"] == len(fallback) >= 1
    assert "/avgpool/GlobalAveragePool" in fallback
    assert r["data_movement"]["count"] >= 1  # the Flatten


@pytest.mark.parametrize("target", PRESETS)
def test_text_report(target, resnet18_mlir, build_dir, tmp_path):
    text = report(build_dir, resnet18_mlir, target, "text", tmp_path)
    lines = text.splitlines()
    assert lines[0].startswith(f"target {target}:")
    assert any(line.startswith("/layer4/layer4.1/conv2/Conv ") for line in lines)
    assert lines[-1].startswith("total: ")
    assert "host fallback: " in text


def test_precision_changes_bitfusion_cost(resnet18_mlir, build_dir, tmp_path):
    """Treating the float model as 4-bit instead of 8-bit makes BitFusion
    4x faster on the convolutions (4 bricks per MAC instead of 16)."""
    def conv_compute_cycles(bits):
        out = tmp_path / f"r{bits}.json"
        subprocess.run(
            [str(build_dir / "bin" / "tandem-opt"), str(resnet18_mlir),
             f"--accel-cost-report=target=bitfusion format=json float-bits={bits} output={out}",
             "-o", "/dev/null"], check=True)
        r = json.loads(out.read_text())
        return sum(op["compute_cycles"] for op in r["ops"] if op["kind"] == "conv2d")
    eight, four = conv_compute_cycles(8), conv_compute_cycles(4)
    assert four < eight / 2
