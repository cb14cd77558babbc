"""Prints a --accel-cost-report JSON report as short lines for FileCheck:

  NAME LEVEL input R/F weight R/F output R/F/U/D [post_processing R/W]
    (reads/fills, and for outputs updates/drains; the post-processing
    unit's DRAM reads/writes)
  NAME cycles C (compute C, post-processing C, bound by L) energy E pJ
       (LEVEL E ... network E compute E post_processing E) utilization U
       [fused NAME ...]
  NAME arithmetic multiply E shift E add E weight bits B [LABEL terms T]
    (with --arithmetic: the arithmetic's energy by component; an encoded
    layer's encoding and its average non-zero terms per weight)
  fallback NAME (KIND): REASON; cycles C energy E pJ
"""

import json
import sys


def number(x):
    return f"{x:g}"


report = json.load(sys.stdin)
for op in report["ops"]:
    for level, tensors in op["accesses"].items():
        def cell(k):
            t = tensors[k]
            if k == "post_processing":
                keys = ("reads", "writes")
            elif k == "output":
                keys = ("reads", "fills", "updates", "drains")
            else:
                keys = ("reads", "fills")
            return f"{k} " + "/".join(number(t[key]) for key in keys)
        cells = [cell(k) for k in ("input", "weight", "output", "post_processing")
                 if k in tensors]
        print(op["name"], level, " ".join(cells))
    energy = " ".join(f"{k} {number(v)}" for k, v in op["energy_breakdown_pj"].items())
    fused = "".join(f" fused {f['name']}" + (" (folded)" if f["folded"] else "")
                    for f in op["fused"])
    print(f"{op['name']} cycles {op['cycles']} (compute {op['compute_cycles']}, "
          f"post-processing {op['post_processing_cycles']}, bound by "
          f"{op['bound_by']}) energy {number(op['energy_pj'])} pJ ({energy}) "
          f"utilization {op['utilization']:.4g}{fused}")
    if "--arithmetic" in sys.argv and "arithmetic_pj" in op:
        a = op["arithmetic_pj"]
        line = (f"{op['name']} arithmetic multiply {number(a['multiply'])} shift "
                f"{number(a['shift'])} add {number(a['add'])} weight bits "
                f"{op['bits']['weight']}")
        if "weight_encoding" in op:
            e = op["weight_encoding"]
            line += f" {e['label']} terms {number(e['average_terms'])}"
        print(line)
for op in report["host_fallback"]["ops"]:
    print(f"fallback {op['name']} ({op['kind']}): {op['reason']}; "
          f"cycles {op['cycles']} energy {number(op['energy_pj'])} pJ")
total = report["total"]
print(f"total cycles {total['cycles']} energy {number(total['energy_pj'])} pJ "
      f"area {total['area_mm2']:.4g} mm2")
