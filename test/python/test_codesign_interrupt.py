"""Ctrl-C during tandem-codesign leaves a consistent checkpoint: the points
evaluated so far, exactly those an uninterrupted run evaluates first, and a
run that --resume continues."""

import json
import signal
import subprocess
import time

from conftest import ROOT, TIMEOUT_SCALE


def command(build_dir, out, *extra):
    return [str(build_dir / "bin" / "tandem-codesign"), str(ROOT / "examples" / "resnet18.mlir"),
            "--space", str(ROOT / "examples" / "resnet18-large-space.yaml"),
            "--out", str(out), "--search", "exhaustive", "--quiet", *extra]


def test_interrupt_leaves_a_checkpoint_that_resumes(build_dir, tmp_path):
    out = tmp_path / "interrupted"
    checkpoint = out / "checkpoint.json"
    process = subprocess.Popen(command(build_dir, out), stderr=subprocess.PIPE, text=True)
    # The first checkpoint appears after the first batch of 256 points.
    deadline = time.monotonic() + 60 * TIMEOUT_SCALE
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60 * TIMEOUT_SCALE)
    assert process.returncode == 130, stderr
    assert "interrupted after" in stderr and "continue with --resume" in stderr
    assert not (out / "pareto.json").exists()

    state = json.loads(checkpoint.read_text())
    assert state["done"] is False
    ids = [c[0] for c in state["candidates"]]
    done = len(ids)
    assert done > 0 and done % 256 == 0 and ids == list(range(done))

    # An uninterrupted run stopped at the same count has the same archive.
    reference = tmp_path / "reference"
    subprocess.run(command(build_dir, reference, "--stop-after-evaluations", str(done)),
                   check=True, capture_output=True)
    assert json.loads((reference / "checkpoint.json").read_text()) == state

    # --resume carries on from there (one more batch here, to stay quick).
    subprocess.run(command(build_dir, out, "--resume", "--stop-after-evaluations", "256"),
                   check=True, capture_output=True)
    resumed = json.loads(checkpoint.read_text())
    assert [c[0] for c in resumed["candidates"]] == list(range(done + 256))
    assert resumed["candidates"][:done] == state["candidates"]
