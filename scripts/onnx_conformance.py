#!/usr/bin/python3
"""Runs the ONNX backend node tests (Debian's libonnx-testdata) through Tandem.

Usage: scripts/onnx_conformance.py [--build BUILD_DIR] [--filter SUBSTRING]
                                   [--jobs N] [--write-docs FILE]
                                   [--check-docs FILE] [--junit FILE]

Every test directory holds model.onnx and test_data_set_*/{input,output}_*.pb.
Each test is imported and JIT-compiled by tandem-run, run on every data set,
and its outputs compared with the expected ones (ONNX's own tolerances:
rtol 1e-3, atol 1e-7). A test is

  passed       every output of every data set matches;
  unsupported  the importer reports an operator (or an operator variant, or
               an element type) Tandem does not handle -- counted, not hidden;
  failed       anything else: a wrong number, a lowering or JIT error, a crash.

Inputs the importer needs as constants (shapes, axes, pads given as graph
inputs) are bound from the test data with --constant-input, one at a time as
the importer names them.

Prints one line per failed test, a per-operator table, and the totals; exits
1 if any test failed. --write-docs writes the Markdown table to FILE;
--check-docs exits 1 if FILE differs from the table this run produced (the
test command uses it to keep docs/onnx-conformance.md true); --junit writes
one JUnit test case per node test, unsupported ones as skipped.
"""

import argparse
import collections
import concurrent.futures
import glob
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import onnx

TESTDATA = "/usr/share/libonnx-testdata/data/node"
UNSUPPORTED_MARKERS = (
    "Tandem does not support",   # an operator type the importer has no handler for
    ": unsupported: ",           # a variant of a supported operator
    "cannot lower ",             # an element type the lowering cannot take
    "tandem-run cannot pass",    # an input/output element type (uint8, string)
    "which Tandem does not support",
    "empty tensors are not supported",
    "supports opsets up to",
    "imports no default-domain",
    "is not a tensor",
)


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def primary_op(test, model):
    """The operator a test is about: its only node's, or the one named in the
    test's directory name (expanded-function tests have many nodes)."""
    ops = [n.op_type for n in model.graph.node]
    if len(set(ops)) == 1:
        return ops[0]
    name = test[len("test_"):]
    best = max((op for op in set(ops) if name.startswith(snake(op))),
               key=len, default=None)
    return best or "(several)"


# Operands (by position) that ONNX passes as tensors but Tandem needs to know
# at compile time: shapes, axes, pads, split sizes, slice bounds.
SHAPE_OPERANDS = {
    "Reshape": {1}, "Expand": {1}, "ConstantOfShape": {0}, "Slice": {1, 2, 3, 4},
    "Pad": {1, 2}, "Split": {1}, "Squeeze": {1}, "Unsqueeze": {1},
    "ReduceSum": {1}, "ReduceMean": {1}, "Clip": {1, 2}, "Dropout": {1, 2},
}


def shape_like_inputs(model):
    """Graph inputs that feed a shape-like operand of some node."""
    names = set()
    for node in model.graph.node:
        for position in SHAPE_OPERANDS.get(node.op_type, ()):
            if position < len(node.input) and node.input[position]:
                names.add(node.input[position])
    return names


def run_test(build, test_dir):
    test = os.path.basename(test_dir)
    model_path = os.path.join(test_dir, "model.onnx")
    try:
        model = onnx.load(model_path)
    except Exception as err:  # noqa: BLE001 - an unreadable model is a failure
        return test, "(unreadable)", "failed", str(err)
    op = primary_op(test, model)
    inits = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in inits]
    outputs = [o.name for o in model.graph.output]
    sets = sorted(glob.glob(os.path.join(test_dir, "test_data_set_*")))
    constants = [n for n in inputs if n in shape_like_inputs(model)]
    for data_set in sets:
        files = {}
        for i, name in enumerate(inputs):
            files[name] = os.path.join(data_set, f"input_{i}.pb")
        while True:
            cmd = [os.path.join(build, "bin", "tandem-run"), model_path,
                   "--rtol", "1e-3", "--atol", "1e-7"]
            for name in inputs:
                if name in constants:
                    cmd += ["--constant-input", f"{name}={files[name]}"]
                else:
                    cmd += ["--input", f"{name}={files[name]}"]
            for i, name in enumerate(outputs):
                cmd += ["--expect", f"{name}={os.path.join(data_set, f'output_{i}.pb')}"]
            try:
                run = subprocess.run(cmd, capture_output=True, text=True,
                                     errors="replace", timeout=300, check=False)
            except subprocess.TimeoutExpired:
                return test, op, "failed", "timed out"
            err = run.stderr.strip()
            bound = re.search(r"\(input '([^']+)'\) is computed at run time", err)
            if run.returncode == 1 and bound and bound.group(1) in inputs \
                    and bound.group(1) not in constants:
                constants.append(bound.group(1))
                continue
            break
        if run.returncode == 0:
            continue
        if run.returncode == 1 and any(m in err for m in UNSUPPORTED_MARKERS):
            return test, op, "unsupported", last_error(err)
        if run.returncode not in (0, 1):
            return test, op, "failed", f"exit status {run.returncode}: {last_error(err)}"
        return test, op, "failed", last_error(err)
    return test, op, "passed", ""


def last_error(stderr):
    lines = [l for l in stderr.splitlines() if "error" in l]
    return (lines[0] if lines else stderr.splitlines()[-1] if stderr else "")[:300]


def markdown(results, supported):
    per_op = collections.defaultdict(collections.Counter)
    for _, op, status, _ in results:
        per_op[op][status] += 1
    totals = collections.Counter(status for _, _, status, _ in results)
    lines = [
        "# ONNX backend node tests",
        "",
        "Generated by `scripts/onnx_conformance.py --write-docs docs/onnx-conformance.md`",
        "from the node tests of Debian's `libonnx-testdata` (ONNX 1.12): each test",
        "imported, JIT-compiled and run by `tandem-run`, its outputs compared with",
        "the expected ones at ONNX's tolerances (rtol 1e-3, atol 1e-7).",
        "*Unsupported* means the importer reported an operator, variant or element",
        "type Tandem does not handle; *failed* means a wrong result or an error.",
        "",
        f"**{totals['passed']} passed, {totals['failed']} failed, "
        f"{totals['unsupported']} unsupported** of {len(results)} tests.",
        "",
        "| operator | claimed | tests | passed | failed | unsupported |",
        "|---|---|---|---|---|---|",
    ]
    for op in sorted(per_op, key=lambda o: (o not in supported, o)):
        c = per_op[op]
        lines.append(f"| {op} | {'yes' if op in supported else ''} | {sum(c.values())} | "
                     f"{c['passed']} | {c['failed']} | {c['unsupported']} |")
    unsupported = [(t, why) for t, op, s, why in results if s == "unsupported" and op in supported]
    if unsupported:
        lines += ["", "## Unsupported variants of claimed operators", ""]
        for test, why in sorted(unsupported):
            why = re.sub(r"^.*?error: ", "", why)
            lines.append(f"- `{test}`: {why}")
    return "\n".join(lines) + "\n"


def write_junit(path, results):
    suite = ET.Element("testsuite", name="onnx-node-tests", tests=str(len(results)))
    for test, op, status, why in results:
        case = ET.SubElement(suite, "testcase", classname=f"onnx.{op}", name=test)
        if status == "failed":
            ET.SubElement(case, "failure", message=why)
        elif status == "unsupported":
            ET.SubElement(case, "skipped", message=why)
    ET.ElementTree(suite).write(path, encoding="unicode")


def supported_ops():
    """The operator types the importer has handlers for, from its docs table."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    text = open(os.path.join(root, "docs", "onnx-import.md")).read()
    table = text.split("## Supported operators", 1)[1].split("\n\n", 2)[1]
    ops = set()
    for line in table.splitlines()[2:]:
        cell = line.split("|")[1]
        ops.update(o.strip() for o in cell.split(",") if o.strip())
    return ops


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(root, "build"))
    parser.add_argument("--write-docs")
    parser.add_argument("--check-docs")
    parser.add_argument("--junit")
    parser.add_argument("--filter", default="")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    if args.filter and (args.write_docs or args.check_docs):
        parser.error("--write-docs and --check-docs need the whole run (no --filter)")

    tests = sorted(d for d in glob.glob(os.path.join(TESTDATA, "test_*"))
                   if args.filter in os.path.basename(d))
    if not tests:
        sys.exit(f"no node tests under {TESTDATA} (install libonnx-testdata)")
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda d: run_test(args.build, d), tests))

    supported = supported_ops()
    failed_claimed = 0
    for test, op, status, why in results:
        if status == "failed":
            print(f"FAILED {test} ({op}): {why}")
            failed_claimed += op in supported
    doc = markdown(results, supported)
    if args.write_docs:
        with open(args.write_docs, "w") as f:
            f.write(doc)
    if args.junit:
        write_junit(args.junit, results)
    stale = False
    if args.check_docs:
        with open(args.check_docs) as f:
            stale = f.read() != doc
        if stale:
            print(f"{args.check_docs} is out of date; regenerate it with "
                  f"scripts/onnx_conformance.py --write-docs {args.check_docs}")
    per_op = collections.Counter((op, s) for _, op, s, _ in results)
    claimed = sorted({op for _, op, _, _ in results if op in supported})
    for op in claimed:
        print(f"{op:24} passed {per_op[(op, 'passed')]:3}  failed {per_op[(op, 'failed')]:3}  "
              f"unsupported {per_op[(op, 'unsupported')]:3}")
    totals = collections.Counter(s for _, _, s, _ in results)
    print(f"node tests: {totals['passed']} passed, {totals['failed']} failed, "
          f"{totals['unsupported']} unsupported (of {len(results)}); "
          f"{failed_claimed} failures in claimed operators")
    sys.exit(1 if totals["failed"] or stale else 0)


if __name__ == "__main__":
    main()
