"""Checks that two --accel-cost-report JSON reports have the same total
cycles and energy within a relative tolerance:

  compare_totals.py A.json B.json TOLERANCE

Prints both and exits 1 (naming the quantity) when they differ by more.
"""

import json
import sys

a, b = (json.load(open(path)) for path in sys.argv[1:3])
tolerance = float(sys.argv[3])
failed = False
for key in ("cycles", "energy_pj"):
    x, y = a["total"][key], b["total"][key]
    difference = abs(x - y) / max(abs(x), abs(y), 1e-30)
    print(f"{key}: {x} vs {y} ({difference:.4%})")
    if difference > tolerance:
        print(f"{key} differs by {difference:.4%}, more than {tolerance:.4%}")
        failed = True
sys.exit(1 if failed else 0)
