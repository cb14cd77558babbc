"""Checks a tandem-quantize output directory of the tiny perceptron on the
serial target (mixed-precision.test): the cost tables against the hand
formula, the report against the budget, and every output file."""
import csv
import json
import math
import pathlib
import sys

import numpy as np
import onnx

out = pathlib.Path(sys.argv[1])
# The serial target: 64 1-bit products per cycle, memory never binds, so a
# layer of M MACs takes ceil(M * w * a / 64) cycles.
macs = {"fc1": 4 * 16 * 8, "fc2": 4 * 8 * 4}
rows = list(csv.DictReader(open(out / "cost-table.csv")))
# With --encodings pot:4: a term-serial unit takes one step per PoT weight
# (at most one non-zero term), a products per step: ceil(M * a / 64).
pot = [r for r in rows if r["encoding"] == "pot"]
if pot:
    assert len(pot) == 2 * 7, len(pot)
    for r in pot:
        a = int(r["activation_bits"])
        assert float(r["cycles"]) == math.ceil(macs[r["name"]] * a / 64), r
    print("pot: 14 entries match M*a/64")
rows = [r for r in rows if r["encoding"] == "multiply"]
assert len(rows) == 2 * 49, len(rows)
for r in rows:
    w, a = int(r["weight_bits"]), int(r["activation_bits"])
    hand = macs[r["name"]] * w * a / 64
    cycles = float(r["cycles"])
    assert cycles == math.ceil(hand), (r, hand)
    assert abs(float(r["latency_ms"]) - cycles / 100e3) < 1e-12
print("table: 98 entries match M*w*a/64")

latency = np.load(out / "cost-table-latency.npy")
energy = np.load(out / "cost-table-energy.npy")
assert latency.shape == (2, 8, 8) and energy.shape == (2, 8, 8)
# HAQ's layout: [layer, w - 1, a - 1]; widths 1 are not tabled.
assert latency[0, 7, 7] == 512 / 100e3 and latency[1, 1, 1] == 8 / 100e3
assert latency[:, 0, :].max() == 0 and energy[1, 3, 5] > 0
print("npy: [2, 8, 8], [layer, w-1, a-1]")

report = json.load(open(out / "report.json"))
assert report["format"] == "tandem-mixed-precision-report/1"
budget = report["budgets"][0]
print("budget:", budget["kind"], budget["value"], "limit", budget["limit"])
chosen = report["chosen"]
base = next(b for b in report["baselines"] if b["name"] == "W8A8")
# The measured latency of the chosen policy's own IR meets the budget.
assert chosen["latency_ms"] <= 0.5 * base["latency_ms"] * (1 + 1e-9), chosen
assert chosen["meets_budgets"]
print("chosen meets the budget:", chosen["latency_ms"] <= 0.5 * base["latency_ms"])
print("baselines:", [b["name"] for b in report["baselines"]])
print("sensitivity models:", report["sensitivity"]["models_measured"])

policy = json.load(open(out / "policy.json"))
assert policy["format"] == "tandem-quantization-policy/1"
widths = [(l["weight_bits"], l["activation_bits"]) for l in chosen["layers"]]
assert [(policy["layers"][n]["weight_bits"], policy["layers"][n]["activation_bits"])
        for n in ("fc1", "fc2")] == widths
print("policy layers:", sorted(policy["layers"]))

model = onnx.load(str(out / "quantized.onnx"))
onnx.checker.check_model(model)
ops = {n.op_type for n in model.graph.node}
assert "QuantizeLinear" in ops and "DequantizeLinear" in ops, ops
print("qdq: checker ok")
assert "!quant.uniform" in (out / "quantized.mlir").read_text()
html = (out / "report.html").read_text()
assert html.count("<svg") == 3 and "chosen" in html
print("html: 3 charts")
