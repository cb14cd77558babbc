"""--accel-cost-report on a whole imported ResNet-18, for every preset.

Every convolution and the classifier's matrix product are costed and named
by their ONNX node names; the JSON report keeps its documented keys; the
totals are the sums of the rows; ops the array cannot run are listed as host
fallback rather than dropped.
"""

import json
import re
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
    assert r["schema"] == "tandem-cost-report/3"
    ops = {op["name"]: op for op in r["ops"]}
    convs = [op for op in r["ops"] if op["kind"] == "conv2d"]
    # ResNet-18: 17 3x3/7x7 convolutions and 3 1x1 downsample convolutions,
    # all on the array.
    assert len(convs) == 20 and all(op["unit"] == "array" for op in convs)
    assert "/conv1/Conv" in ops and ops["/conv1/Conv"]["macs"] == 118_013_952
    # Gemm imports as a matmul plus the bias add, both named after the node.
    fc = [op for op in r["ops"] if op["name"] == "/fc/Gemm" and op["kind"] == "matmul"]
    assert len(fc) == 1 and fc[0]["macs"] == 512 * 1000
    for op in r["ops"]:
        for key in ("name", "kind", "unit", "fused", "macs", "cycles", "energy_pj",
                    "energy_breakdown_pj", "accesses", "bound_by"):
            assert key in op
        assert op["cycles"] > 0 and op["energy_pj"] > 0
        assert 0 <= op["utilization"] <= 1.0 + 1e-9
        assert op["energy_pj"] == pytest.approx(sum(op["energy_breakdown_pj"].values()))
        if op["unit"] == "array":
            assert 0 < op["utilization"] and "mapping" in op and "bits" in op
    host = r["host_fallback"]
    assert host["count"] == len(host["ops"])
    total = r["total"]
    # Every op is in the totals: array rows, post-processing rows and host.
    assert total["cycles"] == pytest.approx(
        sum(op["cycles"] for op in r["ops"]) + host["cycles"], abs=len(r["ops"]) + 1)
    assert host["cycles"] == pytest.approx(sum(op["cycles"] for op in host["ops"]))
    assert total["energy_pj"] == pytest.approx(
        sum(op["energy_pj"] for op in r["ops"]) + host["energy_pj"])
    parts = total["by_part"]
    assert total["cycles"] == pytest.approx(sum(p["cycles"] for p in parts.values()), abs=1)
    assert total["energy_pj"] == pytest.approx(sum(p["energy_pj"] for p in parts.values()))
    assert total["macs"] == 1_814_073_344
    assert total["area_mm2"] > 0
    assert total["edp_pj_ms"] == pytest.approx(total["energy_pj"] * total["latency_ms"])
    assert r["data_movement"]["count"] >= 1  # the Flatten
    fused = [f["name"] for op in r["ops"] for f in op["fused"]]
    relus = "/relu/Relu" in fused
    if target == "bismo":
        # A matrix-multiply overlay: everything else runs on its host.
        assert not fused and not relus
        assert {"/relu/Relu", "/maxpool/MaxPool", "/avgpool/GlobalAveragePool"} <= {
            op["name"] for op in host["ops"]}
    else:
        # Every ReLU, residual add and the classifier's bias add run in the
        # output stage of the contraction before them.
        assert len(fused) == 17 + 8 + 1 and relus
        assert ops["/maxpool/MaxPool"]["unit"] == "post-processing"
        gap_on_host = any(op["name"] == "/avgpool/GlobalAveragePool" for op in host["ops"])
        # Eyeriss's output stage adds and compares but has no multiplier for
        # the average's 1/49.
        assert gap_on_host == (target == "eyeriss")


@pytest.mark.parametrize("target", PRESETS)
def test_text_report(target, resnet18_mlir, build_dir, tmp_path):
    text = report(build_dir, resnet18_mlir, target, "text", tmp_path)
    lines = text.splitlines()
    assert lines[0].startswith(f"target {target}:")
    assert any(line.startswith("/layer4/layer4.1/conv2/Conv ") for line in lines)
    assert lines[-3].startswith("total: ")
    assert lines[-2].startswith("by part: array ")
    # The components sum to the total (as printed, to rounding).
    assert lines[-1].startswith("energy by component: multiply ")
    parts = [float(x) for x in re.findall(r" ([\d.]+) uJ", lines[-1])]
    total = float(re.search(r" ([\d.]+) uJ, EDP", lines[-3]).group(1))
    assert sum(parts) == pytest.approx(total, rel=1e-5, abs=0.01)
    host = any(line.startswith("host: ") for line in lines)
    assert host == (target in ("eyeriss", "bismo"))


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
