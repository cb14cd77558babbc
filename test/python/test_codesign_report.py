"""tandem-codesign's outputs on the shipped example: report.html is valid,
self-contained HTML whose plot and tables agree with pareto.json and
candidates.csv; the example spaces parse; ResNet-18's shapes are the real
ones."""

import csv
import html.parser
import json
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT

# Elements HTML never closes.
VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col",
        "embed", "source", "track", "wbr"}
# SVG shapes written as <x/> (self-closing is fine inside <svg>).
SVG_LEAVES = {"circle", "line", "rect", "path", "polyline"}


class Checker(html.parser.HTMLParser):
    """Checks nesting, and collects what refers outside the file."""

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.external, self.ids, self.links = [], [], [], set(), []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id":
                self.ids.add(value)
            if name in ("src", "href", "action", "xlink:href", "srcset"):
                if value.startswith("#"):
                    self.links.append(value[1:])
                else:
                    self.external.append(f"<{tag} {name}={value}>")
        if tag in ("script", "link", "img", "iframe", "object", "embed"):
            self.external.append(f"<{tag}>")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


@pytest.fixture(scope="module")
def run(build_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("codesign")
    result = subprocess.run(
        [str(build_dir / "bin" / "tandem-codesign"), str(ROOT / "examples" / "resnet18.mlir"),
         "--space", str(ROOT / "examples" / "resnet18-space.yaml"), "--out", str(out),
         "--plot-x", "area", "--plot-y", "edp"],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return out, result.stdout


def test_report_is_valid_and_self_contained(run):
    out, _ = run
    text = (out / "report.html").read_text()
    assert text.startswith("<!DOCTYPE html>")
    checker = Checker()
    checker.feed(text)
    checker.close()
    assert checker.errors == []
    assert checker.stack == []
    assert checker.external == []
    # Nothing fetched from elsewhere in CSS either, and no URLs at all.
    assert "url(" not in text and "http:" not in text and "https:" not in text
    assert "@import" not in text
    # Every in-page link has its target.
    assert checker.links and set(checker.links) <= checker.ids
    # The plot is well-formed XML.
    svg = re.search(r"<svg.*?</svg>", text, re.S).group(0)
    ET.fromstring(svg)


def test_report_agrees_with_pareto_and_candidates(run):
    out, stdout = run
    pareto = json.loads((out / "pareto.json").read_text())
    with open(out / "candidates.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    text = (out / "report.html").read_text()
    svg = ET.fromstring(re.search(r"<svg.*?</svg>", text, re.S).group(0))
    classes = [c.get("class") for c in svg.iter("circle")]
    designs = pareto["designs"]
    # One dot per design that can run the model, front dots on top, one
    # preferred.
    assert classes.count("cand") + classes.count("over") == sum(r["status"] != "invalid" for r in rows)
    assert classes.count("front") + classes.count("best") == len(designs)
    assert classes.count("best") == 1
    assert sum(r["pareto"] == "1" for r in rows) == len(designs)
    # The axes the user chose.
    labels = [t.text for t in svg.iter("text")]
    assert "area (mm^2)" in labels or any(l.startswith("area (mm^2") for l in labels)
    assert any(l.startswith("edp (uJ*ms") for l in labels)
    # The front table: one row per design, the preferred one highlighted.
    assert len(re.findall(r'<tr( class="best")?><td><a href="#d\d+">', text)) == len(designs)
    preferred = [d for d in designs if d["preferred"]]
    assert len(preferred) == 1
    best = preferred[0]
    assert f'<tr class="best"><td><a href="#d{best["id"]}">' in text
    assert f'<details id="d{best["id"]}" open>' in text
    # The preferred design is the front's lowest EDP (the space's `prefer`).
    assert best["metrics"]["edp_pj_ms"] == min(d["metrics"]["edp_pj_ms"] for d in designs)
    assert f"design {best['id']}:" in stdout


def test_pareto_designs_are_mutually_nondominated_and_dominate_the_rest(run):
    out, _ = run
    pareto = json.loads((out / "pareto.json").read_text())
    objectives = pareto["objectives"]
    columns = {"latency": "latency_ms", "energy": "energy_pj", "area": "area_mm2",
               "edp": "edp_pj_ms", "power": "power_mw"}
    with open(out / "candidates.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["status"] == "feasible"]
    points = {int(r["id"]): [float(r[columns[o]]) for o in objectives] for r in rows}
    front = {d["id"] for d in pareto["designs"]}

    def dominates(a, b):
        return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))

    for i in front:
        assert not any(dominates(points[j], points[i]) for j in points)
    for i in set(points) - front:
        assert any(dominates(points[j], points[i]) for j in front)


def test_per_layer_breakdown_sums_to_the_totals(run):
    out, _ = run
    pareto = json.loads((out / "pareto.json").read_text())
    for design in pareto["designs"]:
        (model,) = design["models"]
        assert model["name"] == "resnet18"
        layers = model["layers"]
        # The average pool multiplies by 1/49, which the Eyeriss-like output
        # stage (adds and compares) cannot: it runs on the host, and is in
        # the totals like every other op.
        assert [h["name"] for h in model["host_ops"]] == ["/avgpool/GlobalAveragePool"]
        # Rows: 20 convs and the classifier on the array (the 17 ReLUs, the 8
        # residual adds and the classifier's bias add fused into them), the
        # max pool on the post-processing unit; the host op is not a row.
        assert sum(l["count"] for l in layers) == 22
        fused = sum(l["count"] * len(l["fused"]) for l in layers)
        assert fused == 17 + 8 + 1
        assert sum(l["count"] * l["cycles"] for l in layers) <= model["cycles"]
        assert sum(l["count"] * l["energy_pj"] for l in layers) < model["energy_pj"]
        assert model["latency_ms"] == pytest.approx(design["metrics"]["latency_ms"])
        assert model["energy_pj"] == pytest.approx(design["metrics"]["energy_pj"])
        assert design["metrics"]["edp_pj_ms"] == pytest.approx(
            design["metrics"]["energy_pj"] * design["metrics"]["latency_ms"])
        # ResNet-18's 1.81 GMACs (conv1: 118,013,952 of them).
        assert sum(l["count"] * l["macs"] for l in layers) == pytest.approx(1814073344)
        assert layers[0]["name"] == "/conv1/Conv" and layers[0]["macs"] == 118013952
        assert layers[0]["unit"] == "array" and layers[0]["fused"] == ["/relu/Relu"]
        # Element-wise and pooling work no longer dominates: the array rows
        # take most of the cycles and energy.
        array = [l for l in layers if l["unit"] == "array"]
        assert sum(l["count"] * l["cycles"] for l in array) > 0.9 * model["cycles"]


def test_pareto_records_how_to_reproduce_it(run):
    out, _ = run
    pareto = json.loads((out / "pareto.json").read_text())
    assert pareto["version"] and pareto["schema_version"] == 2
    assert pareto["space"].endswith("resnet18-space.yaml")
    assert pareto["models"][0]["file"].endswith("resnet18.mlir")
    assert pareto["mapper"] == {"search": "heuristic", "objective": "edp", "seed": 1}
    assert pareto["cost"] == {"float_bits": 0, "fuse": True}
    assert pareto["search"]["kind"] == "exhaustive" and pareto["search"]["seed"] == 1


def test_best_design_outputs(run, tandem_opt):
    out, _ = run
    pareto = json.loads((out / "pareto.json").read_text())
    best = next(d for d in pareto["designs"] if d["preferred"])
    target = (out / "best-target.yaml").read_text()
    assert f"name:            design-{best['id']}" in target or f"name: design-{best['id']}" in target
    # A design that changes the base is not what the base's paper describes.
    assert "Chen et al." not in target
    assert f"tandem-codesign design {best['id']} of resnet18-space.yaml: eyeriss with" in target
    # The mapped IR reports the same cost as pareto.json with the exported target.
    report = tandem_opt(str(out / "best-resnet18.mlir"),
                        f"--accel-cost-report=target={out / 'best-target.yaml'} format=json",
                        "-o", "/dev/null")
    assert report.returncode == 0, report.stderr
    totals = json.loads(report.stdout)["total"]
    assert totals["cycles"] == pytest.approx(best["models"][0]["cycles"])
    assert totals["energy_pj"] == pytest.approx(best["models"][0]["energy_pj"])


@pytest.mark.parametrize("space", sorted((ROOT / "examples").glob("*space*.yaml")))
def test_example_spaces_parse(build_dir, tmp_path, space):
    """Every shipped space parses (one evaluation of each, to keep it quick)."""
    result = subprocess.run(
        [str(build_dir / "bin" / "tandem-codesign"), str(ROOT / "examples" / "resnet18.mlir"),
         "--space", str(space), "--out", str(tmp_path), "--search", "random",
         "--evaluations", "4", "--quiet"],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
