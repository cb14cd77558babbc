#!/usr/bin/python3
"""Run NVlabs Timeloop v3.0.3 (timeloop-mapper or timeloop-model) on one CNN
layer and print a JSON summary: cycles, utilization, per-level / per-dataspace
access counts, tile sizes, network (multicast / spatial reduction) counts and
the chosen mapping.

Standard library + PyYAML (Debian python3-yaml) only. Timeloop itself is not
part of Tandem: build it on your own and point TIMELOOP_DIR at it (its bin/,
lib/ and problem-shapes/). The architectures are <arch>-arch.yaml beside
this script (Tandem's equivalents: <arch>.yaml; compare with compare.py).

Examples
  TIMELOOP_DIR=~/timeloop bench/timeloop/run_timeloop.py --arch eyeriss \
      --layer R=3,S=3,P=56,Q=56,C=64,K=64 --save-prefix out/eyeriss_3x3 >/dev/null
  bench/timeloop/compare.py out/eyeriss_3x3.json
  # timeloop-model on a fixed mapping (e.g. one the mapper saved):
  bench/timeloop/run_timeloop.py --arch eyeriss --layer R=3,S=3,P=56,Q=56,C=64,K=64
        --mapping out/eyeriss_3x3.map.yaml

Timeloop's problem shape (problem-shapes/cnn-layer.yaml):
  Weights[C][K][R][S], Inputs[N][C][R*Wdilation + P*Wstride][S*Hdilation + Q*Hstride],
  Outputs[N][K][Q][P]   -> R/P pair with W (Wstride, Wdilation), S/Q with H.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
# A Timeloop v3.0.3 build (bin/, lib/, problem-shapes/), not part of Tandem.
TIMELOOP = os.environ.get("TIMELOOP_DIR", "")
BIN = os.path.join(TIMELOOP, "bin")
LIB = os.path.join(TIMELOOP, "lib")
ARCHS = ("eyeriss", "ws16", "two")
DEFAULT_VICTORY = {"eyeriss": 1000, "ws16": 100, "two": 10}
DIMS = ("R", "S", "P", "Q", "C", "K", "N")
COEFS = ("Hstride", "Wstride", "Hdilation", "Wdilation")
DATASPACES = ("Weights", "Inputs", "Outputs")


# --------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------

def parse_layer(args):
    layer = {d: 1 for d in DIMS}
    layer.update({c: 1 for c in COEFS})
    if args.layer:
        for item in re.split(r"[,\s]+", args.layer.strip()):
            if not item:
                continue
            k, v = item.split("=")
            k = k.strip()
            canon = {x.lower(): x for x in DIMS + COEFS}
            if k.lower() not in canon:
                sys.exit("unknown layer field %r (use %s)" % (k, ", ".join(DIMS + COEFS)))
            layer[canon[k.lower()]] = int(v)
    for k in DIMS + COEFS:
        v = getattr(args, k)
        if v is not None:
            layer[k] = v
    for k, v in layer.items():
        if v < 1:
            sys.exit("layer field %s must be >= 1" % k)
    return layer


def expand_templates(text, layer, free):
    """'{maxdiv:C:16}' -> largest divisor of layer C that is <= 16
    (or, with free=True, 'X{maxdiv:X:n}' -> 'X<=n')."""
    def maxdiv(m):
        dim, cap = m.group(2), int(m.group(3))
        if free:
            return "%s<=%d" % (dim, cap)
        n = layer[dim]
        return "%s%d" % (dim, max(d for d in range(1, min(n, cap) + 1) if n % d == 0))
    return re.sub(r"([A-Z])\{maxdiv:([A-Z]):(\d+)\}", maxdiv, text)


def load_arch(arch_name, overrides):
    """Load <arch>-arch.yaml, apply --set LEVEL.ATTR=VALUE overrides."""
    with open(os.path.join(HERE, arch_name + "-arch.yaml")) as f:
        arch = yaml.safe_load(f)
    comps = {}

    def walk(node):
        for c in node.get("local", []) or []:
            base = re.sub(r"\[.*\]$", "", c["name"])
            comps[base] = c
        for s in node.get("subtree", []) or []:
            walk(s)

    walk(arch["architecture"])
    for ov in overrides or []:
        m = re.match(r"^([^.=]+)\.([^=]+)=(.*)$", ov)
        if not m:
            sys.exit("bad --set %r (want LEVEL.ATTR=VALUE)" % ov)
        lvl, attr, val = m.groups()
        if lvl not in comps:
            sys.exit("--set: unknown component %r (have %s)" % (lvl, ", ".join(comps)))
        val = yaml.safe_load(val)
        attrs = comps[lvl].setdefault("attributes", {})
        if val is None:
            attrs.pop(attr, None)
        else:
            attrs[attr] = val
    return arch


# --------------------------------------------------------------------------
# Output parsing
# --------------------------------------------------------------------------

def num(s):
    s = s.strip()
    m = re.match(r"^(-?[0-9.]+(?:e[+-]?[0-9]+)?)\b", s)
    if not m:
        return s
    t = m.group(1)
    try:
        return int(t) if re.match(r"^-?\d+$", t) else float(t)
    except ValueError:
        return s


KV = re.compile(r"^(\s*)([^:]+?)\s*:\s*(.*)$")


def parse_stats(text):
    """Parse timeloop-*.stats.txt into a dict."""
    out = {"levels": [], "networks": [], "summary": {}, "fJ_per_compute": {},
           "operational_intensity": {}}
    lines = text.splitlines()
    section = None
    cur = None          # current level / network dict
    sub = None          # "specs" | "stats" | "mapping"
    ds = None           # current dataspace dict
    oi_level = None
    in_fj = False
    i = 0
    while i < len(lines):
        line = lines[i]
        s = line.strip()
        if s == "Buffer and Arithmetic Levels":
            section = "levels"
        elif s == "Networks" and lines[i + 1].startswith("--------"):
            section = "networks"
        elif s == "Operational Intensity Stats":
            section = "oi"
        elif s == "Summary Stats":
            section = "summary"
        elif section == "levels":
            m = re.match(r"^Level (\d+)$", s)
            if m:
                cur = {"level": int(m.group(1)), "specs": {}, "stats": {},
                       "dataspaces": {}, "loop_nest": []}
                out["levels"].append(cur)
                sub, ds = None, None
            elif cur is not None and re.match(r"^=== (.*) ===$", s):
                cur["name"] = re.match(r"^=== (.*) ===$", s).group(1)
            elif s in ("SPECS", "STATS", "MAPPING"):
                sub, ds = s.lower(), None
            elif s.startswith("---") or not s:
                pass
            elif sub == "mapping":
                if s != "Loop nest:":
                    cur["loop_nest"].append(s)
            elif sub in ("specs", "stats"):
                m = KV.match(line)
                if m:
                    key, val = m.group(2), m.group(3)
                    if sub == "stats" and key in DATASPACES and val == "":
                        ds = cur["dataspaces"].setdefault(key, {})
                    elif sub == "stats" and ds is not None and len(m.group(1)) >= 8:
                        ds[key] = num(val)
                    else:
                        ds = None
                        cur[sub][key] = num(val) if key not in ("Technology",) else val
        elif section == "networks":
            m = re.match(r"^Network (\d+)$", s)
            if m:
                cur = {"network": int(m.group(1)), "specs": {}, "dataspaces": {}}
                out["networks"].append(cur)
                sub, ds = None, None
            elif cur is not None and "<==>" in s:
                a, b = [x.strip() for x in s.split("<==>")]
                cur["name"], cur["from"], cur["to"] = s, a, b
            elif s in ("SPECS", "STATS"):
                sub, ds = s.lower(), None
            elif s.startswith("---") or not s:
                pass
            else:
                m = KV.match(line)
                if m:
                    key, val = m.group(2), m.group(3)
                    if sub == "stats" and key in DATASPACES and val == "":
                        ds = cur["dataspaces"].setdefault(key, {})
                    elif sub == "stats" and ds is not None:
                        if key.startswith("@"):
                            ds.setdefault("ingress_breakdown", {})[key] = num(val)
                        else:
                            ds[key] = num(val)
                    elif sub == "specs":
                        cur["specs"][key] = val
        elif section == "oi":
            m = re.match(r"^=== (.*) ===$", s)
            if m:
                oi_level = m.group(1)
                out["operational_intensity"].setdefault("per_level", {})[oi_level] = {}
            else:
                m = KV.match(line)
                if m:
                    if oi_level is None:
                        out["operational_intensity"][m.group(2)] = num(m.group(3))
                    else:
                        out["operational_intensity"]["per_level"][oi_level][m.group(2)] = num(m.group(3))
        elif section == "summary":
            if s.startswith("fJ/Compute") or s.startswith("fJ/Algorithmic-Compute"):
                in_fj = True
            elif s.startswith("---"):
                pass
            else:
                m = KV.match(line) or re.match(r"^(\s*)(.+?)\s*=\s*(.*)$", line)
                if m:
                    if in_fj and "=" in line:
                        k, v = line.rsplit("=", 1)
                        out["fJ_per_compute"][k.strip()] = num(v)
                    else:
                        k, v = m.group(2).strip(), m.group(3)
                        if "=" in line and ":" not in line:
                            k, v = [x.strip() for x in line.split("=", 1)]
                        out["summary"][k] = num(v)
        i += 1
    return out


def parse_map_txt_header(text):
    """From timeloop-*.map.txt: 'level [ Weights:192 (192) ... ]' -> tile sizes."""
    tiles = {}
    for line in text.splitlines():
        m = re.match(r"^(\S+) \[(.*)\]\s*$", line)
        if m:
            d = {}
            for t in re.finditer(r"(\w+):(\d+) \((\d+)\)", m.group(2)):
                d[t.group(1)] = {"tile_size": int(t.group(2)), "tile_size_paren": int(t.group(3))}
            tiles[m.group(1)] = d
    return tiles


def parse_factors(s):
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"([A-Z])(\d+)", s or "")}


def mapping_per_level(mapping_yaml, level_names_inner_first):
    """Turn Timeloop's map.yaml (list of directives) into a per-level dict,
    loops listed outermost-first."""
    lv = {n: {"keep": None, "bypass": None, "temporal": [], "spatial": []}
          for n in level_names_inner_first}
    for d in mapping_yaml:
        t = d["target"]
        e = lv.setdefault(t, {"keep": None, "bypass": None, "temporal": [], "spatial": []})
        if d["type"] in ("datatype", "bypass"):
            e["keep"] = list(d.get("keep") or [])
            e["bypass"] = list(d.get("bypass") or [])
        elif d["type"] in ("temporal", "spatial"):
            f = parse_factors(d.get("factors"))
            perm = [c for c in (d.get("permutation") or "") if c.isalpha()]
            split = d.get("split", len(perm))
            loops = []
            for idx, dim in enumerate(perm):            # innermost first in Timeloop
                b = f.get(dim, 1)
                if b == 1:
                    continue
                lp = {"dim": dim, "bound": b}
                if d["type"] == "spatial":
                    lp["spatial"] = "X" if idx < split else "Y"
                loops.append(lp)
            loops.reverse()                              # -> outermost first
            e[d["type"]] = loops
            e[d["type"] + "_factors"] = f
            e[d["type"] + "_permutation_inner_to_outer"] = "".join(perm)
            if d["type"] == "spatial":
                e["spatial_split"] = split
    return lv


# --------------------------------------------------------------------------
# Running Timeloop
# --------------------------------------------------------------------------

def run(args):
    layer = parse_layer(args)
    if args.victory is None:
        args.victory = DEFAULT_VICTORY[args.arch]
    arch = load_arch(args.arch, args.set)
    work = args.workdir or tempfile.mkdtemp(prefix="tl_run_")
    os.makedirs(work, exist_ok=True)

    problem = {"problem": {"shape": "cnn-layer", "instance": dict(layer)}}
    files = []

    def dump(name, obj):
        p = os.path.join(work, name)
        with open(p, "w") as f:
            yaml.safe_dump(obj, f, sort_keys=False)
        files.append(p)
        return p

    dump("arch.yaml", arch)
    # timeloop-model validates a mapping against the constraints with
    # Constraints::SatisfiedBy(), which (v3.0.3) rejects the mapper's own
    # output whenever unit-factor loops are ordered differently or the spatial
    # 'split' differs -> constraints are only passed to the model on request.
    use_constraints = not args.no_constraints and (not args.mapping or args.validate_constraints)
    if use_constraints:
        with open(os.path.join(HERE, args.arch + "-constraints.yaml")) as f:
            ctext = expand_templates(f.read(), layer, args.free_spatial)
        p = os.path.join(work, "constraints.yaml")
        with open(p, "w") as f:
            f.write(ctext)
        files.append(p)
    dump("problem.yaml", problem)

    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = LIB + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    env["TIMELOOP_DIR"] = TIMELOOP   # problem-shapes/ lookup

    if args.mapping:
        mode, prefix = "model", "timeloop-model"
        with open(args.mapping) as f:
            m = yaml.safe_load(f)
        if isinstance(m, list):
            m = {"mapping": m}
        dump("mapping.yaml", m)
        cmd = [os.path.join(BIN, "timeloop-model")] + files + ["-o", work]
        settings = {"mapping_file": os.path.abspath(args.mapping)}
    else:
        mode, prefix = "mapper", "timeloop-mapper"
        mapper = {
            "algorithm": args.search,
            "optimization-metrics": args.metrics.split(","),
            "num-threads": args.threads,
            "search-size": args.search_size,
            "timeout": args.timeout,
            "victory-condition": args.victory,
            "live-status": False,
            "log-interval": 0,
        }
        dump("mapper.yaml", {"mapper": mapper})
        cmd = [os.path.join(BIN, "timeloop-mapper")] + files + ["-o", work]
        settings = dict(mapper)
        settings["wallclock_limit_s"] = args.max_seconds

    t0 = time.time()
    log_path = os.path.join(work, prefix + ".stdout.log")
    with open(log_path, "w") as log:
        p = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
        killed = False
        try:
            p.wait(timeout=args.max_seconds)
        except subprocess.TimeoutExpired:
            # SIGINT makes timeloop-mapper stop searching and emit its best mapping.
            killed = True
            p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    elapsed = time.time() - t0
    stats_path = os.path.join(work, prefix + ".stats.txt")
    if p.returncode != 0 or not os.path.exists(stats_path):
        with open(log_path) as f:
            tail = f.read()[-4000:]
        sys.stderr.write("Timeloop failed (rc=%s), workdir %s\n%s\n" % (p.returncode, work, tail))
        sys.exit(1)

    with open(stats_path) as f:
        stats = parse_stats(f.read())
    with open(os.path.join(work, prefix + ".map.txt")) as f:
        map_txt = f.read()
    tiles = parse_map_txt_header(map_txt)
    if mode == "mapper":
        with open(os.path.join(work, prefix + ".map.yaml")) as f:
            mapping_yaml = yaml.safe_load(f)["mapping"]
    else:
        mapping_yaml = m["mapping"]

    storage = [l for l in stats["levels"] if l["level"] > 0]
    arith = [l for l in stats["levels"] if l["level"] == 0]
    names = [l["name"] for l in storage]
    per_level_map = mapping_per_level(mapping_yaml, names)
    net_below = {n["from"]: n for n in stats["networks"]}

    levels = []
    for l in storage:
        name = l["name"]
        mp = per_level_map.get(name, {})
        inst = l["specs"].get("Instances")
        dss = {}
        for dsn, d in l["dataspaces"].items():
            ui = d.get("Utilized instances (max)", 0) or 0
            uc = d.get("Utilized clusters (max)", 0) or 0
            e = {
                "tile_size": d.get("Utilized capacity"),
                "partition_size": d.get("Partition size"),
                "utilized_instances": ui,
                "utilized_clusters": uc,
                "reads": d.get("Scalar reads (per-instance)", 0) * ui,
                "fills": d.get("Scalar fills (per-instance)", 0) * ui,
                "updates": d.get("Scalar updates (per-instance)", 0) * ui,
                "temporal_reductions": d.get("Temporal reductions (per-instance)", 0) * ui,
                "address_generations": d.get("Address generations (per-cluster)", 0) * uc,
                "reads_per_instance": d.get("Scalar reads (per-instance)"),
                "fills_per_instance": d.get("Scalar fills (per-instance)"),
                "updates_per_instance": d.get("Scalar updates (per-instance)"),
                "temporal_reductions_per_instance": d.get("Temporal reductions (per-instance)"),
                "address_generations_per_cluster": d.get("Address generations (per-cluster)"),
                "raw": d,
            }
            dss[dsn] = e
        keep = mp.get("keep")
        nbl = {}
        nb = net_below.get(name)
        for dsn, nd in (nb["dataspaces"].items() if nb else []):
            nbl[dsn] = {
                "fanout": nd.get("Fanout"),
                "multicast_factor": nd.get("Multicast factor"),
                "ingresses": nd.get("Ingresses"),
                "ingress_breakdown": nd.get("ingress_breakdown", {}),
                "spatial_reductions": nd.get("Spatial reductions"),
                "link_transfers": nd.get("Link transfers"),
                "avg_hops": nd.get("Average number of hops"),
            }
        levels.append({
            "level": l["level"],
            "name": name,
            "instances": inst,
            "size_words": l["specs"].get("Size"),
            "block_size": l["specs"].get("Block size"),
            "read_bandwidth": l["specs"].get("Read bandwidth"),
            "write_bandwidth": l["specs"].get("Write bandwidth"),
            "cycles": l["stats"].get("Cycles"),
            "bandwidth_throttling": l["stats"].get("Bandwidth throttling"),
            "keeps": keep if keep is not None else sorted(dss.keys()),
            "bypasses": mp.get("bypass") if mp.get("bypass") is not None else
                        [x for x in DATASPACES if x not in dss],
            "tile_sizes": {k: v["tile_size"] for k, v in tiles.get(name, {}).items()},
            "temporal_loops": mp.get("temporal", []),
            "spatial_loops": mp.get("spatial", []),
            "temporal_factors": mp.get("temporal_factors"),
            "temporal_permutation_inner_to_outer": mp.get("temporal_permutation_inner_to_outer"),
            "spatial_factors": mp.get("spatial_factors"),
            "spatial_permutation_inner_to_outer": mp.get("spatial_permutation_inner_to_outer"),
            "spatial_split": mp.get("spatial_split"),
            "loop_nest_text": l["loop_nest"],
            "dataspaces": dss,
            "network_below": {"name": nb["name"] if nb else None, "dataspaces": nbl},
            "specs_raw": l["specs"],
        })
    levels.reverse()     # outermost (DRAM) first

    s = stats["summary"]
    macs = arith[0]["stats"].get("Computes (total)") if arith else None
    pes = arith[0]["specs"].get("Instances") if arith else None
    result = {
        "tool": "timeloop v3.0.3 (" + prefix + ")",
        "mode": mode,
        "arch": args.arch,
        "arch_overrides": args.set or [],
        "layer": layer,
        "settings": settings,
        "terminated_by_wallclock": killed,
        "elapsed_s": round(elapsed, 2),
        "macs": macs,
        "pe_instances": pes,
        "utilized_pes": arith[0]["stats"].get("Utilized instances") if arith else None,
        "cycles": s.get("Cycles"),
        "utilization": s.get("Utilization"),
        "ideal_cycles": (macs + pes - 1) // pes if macs and pes else None,
        "energy_uJ_builtin_model": s.get("Energy"),
        "gflops_at_1GHz": s.get("GFLOPs (@1GHz)"),
        "levels": levels,
        "arithmetic": arith[0] if arith else None,
        "networks": stats["networks"],
        "operational_intensity": stats["operational_intensity"],
        "fJ_per_compute": stats["fJ_per_compute"],
        "mapping_yaml": mapping_yaml,
        "map_txt": map_txt,
        "workdir": work,
    }
    if args.save_prefix:
        os.makedirs(os.path.dirname(os.path.abspath(args.save_prefix)), exist_ok=True)
        for suffix in (".stats.txt", ".map.txt", ".map.yaml"):
            src = os.path.join(work, prefix + suffix)
            if os.path.exists(src):
                shutil.copy(src, args.save_prefix + suffix)
        if mode == "model":
            with open(args.save_prefix + ".map.yaml", "w") as f:
                yaml.safe_dump({"mapping": mapping_yaml}, f, sort_keys=False)
        with open(args.save_prefix + ".json", "w") as f:
            json.dump(result, f, indent=1)
    if not args.workdir and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
        result["workdir"] = None
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", choices=ARCHS, required=True)
    ap.add_argument("--layer", help="e.g. R=3,S=3,P=56,Q=56,C=64,K=64,N=1,Hstride=1,Wstride=1")
    for d in DIMS + COEFS:
        ap.add_argument("--" + d, type=int, default=None)
    ap.add_argument("--mapping", help="explicit mapping (Timeloop map.yaml) -> run timeloop-model instead of the mapper")
    ap.add_argument("--no-constraints", action="store_true",
                    help="mapper: do not pass <arch>-constraints.yaml (unconstrained search)")
    ap.add_argument("--validate-constraints", action="store_true",
                    help="model mode: also pass constraints.yaml (timeloop-model then checks the mapping; "
                         "v3.0.3's check is over-strict, see NOTES.md)")
    ap.add_argument("--free-spatial", action="store_true",
                    help="constraints template X{maxdiv:X:n} -> X<=n instead of the largest divisor <= n")
    ap.add_argument("--search", default="linear-pruned", choices=["linear-pruned", "hybrid", "random-pruned", "exhaustive", "random"])
    ap.add_argument("--metrics", default="delay,energy", help="comma list, lexicographic (delay, energy, edp, last-level-accesses, ...)")
    ap.add_argument("--threads", type=int, default=2, help="mapper threads; result is deterministic for a fixed value")
    ap.add_argument("--victory", type=int, default=None,
                    help="per-thread: stop after N consecutive non-improving valid mappings "
                         "(default: eyeriss 1000, ws16 100 -- ws16 evaluations are ~20x slower)")
    ap.add_argument("--timeout", type=int, default=20000, help="per-thread: stop after N consecutive invalid mappings")
    ap.add_argument("--search-size", type=int, default=0, help="total valid mappings to evaluate (0 = unlimited)")
    ap.add_argument("--max-seconds", type=float, default=115.0, help="wall-clock safety net (SIGINT -> best so far)")
    ap.add_argument("--set", action="append", metavar="LEVEL.ATTR=VALUE",
                    help="override an arch attribute, e.g. shared_glb.read_bandwidth=32 (VALUE null removes)")
    ap.add_argument("--save-prefix", help="also write PREFIX.json/.stats.txt/.map.txt/.map.yaml")
    ap.add_argument("--workdir", help="run directory (kept); default: temp dir, removed unless --keep")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--compact", action="store_true", help="omit raw/verbose fields from stdout JSON")
    args = ap.parse_args()
    res = run(args)
    if args.compact:
        res = compact(res)
    json.dump(res, sys.stdout, indent=1)
    sys.stdout.write("\n")


def compact(res):
    r = {k: v for k, v in res.items() if k not in ("networks", "operational_intensity", "fJ_per_compute",
                                                   "mapping_yaml", "arithmetic")}
    r["levels"] = []
    for l in res["levels"]:
        l2 = {k: v for k, v in l.items() if k not in ("specs_raw", "loop_nest_text", "temporal_factors",
                                                      "spatial_factors")}
        l2["dataspaces"] = {k: {kk: vv for kk, vv in v.items() if kk != "raw" and not kk.endswith("per_instance")
                                and not kk.endswith("per_cluster")}
                            for k, v in l["dataspaces"].items()}
        r["levels"].append(l2)
    return r


if __name__ == "__main__":
    main()
