"""docs/python.md is a notebook: its Python blocks run, in order, in one
fresh interpreter and directory, as a reader would run them."""

import os
import re
import subprocess
import sys

from conftest import ROOT, TIMEOUT_SCALE


def test_the_walk_through_runs(tandem, build_dir, tmp_path):
    text = (ROOT / "docs" / "python.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 6
    script = tmp_path / "walk_through.py"
    script.write_text("\n".join(blocks))
    env = dict(os.environ, TANDEM_ROOT=str(ROOT),
               PYTHONPATH=str((build_dir / "python").resolve()))
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                         capture_output=True, text=True,
                         timeout=600 * TIMEOUT_SCALE, check=False)
    assert run.returncode == 0, run.stderr
    # What the walk-through prints: the model, the costs, the scores, the
    # batch and the search.
    assert re.search(r"^20 convolutions", run.stdout, re.M), run.stdout
    assert re.search(r"^W8A8: top-1 0\.\d+, agreement 0\.9", run.stdout, re.M)
    assert "(144, 7) columns:" in run.stdout
    assert (tmp_path / "codesign-out" / "pareto.json").exists()
