#!/usr/bin/python3
"""Sums JUnit XML reports (lit, ctest, pytest) into one summary line.

Usage: summarize_tests.py REPORT.xml...

Prints one line per layer, then `N passed, N failed[, N skipped]` covering all
of them; exits 1 if anything failed or a report is missing or unreadable.
"""

import sys
import xml.etree.ElementTree as ET


def count(path):
    """(passed, failed, skipped) of every <testcase> in a JUnit report."""
    passed = failed = skipped = 0
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None or case.get("status") in ("notrun", "disabled"):
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main(paths):
    totals = [0, 0, 0]
    broken = 0
    for path in paths:
        try:
            counts = count(path)
        except (OSError, ET.ParseError) as err:
            print(f"{path}: no usable report ({err})")
            broken += 1
            continue
        print(f"{path}: {counts[0]} passed, {counts[1]} failed, {counts[2]} skipped")
        totals = [t + c for t, c in zip(totals, counts)]
    totals[1] += broken
    line = f"{totals[0]} passed, {totals[1]} failed"
    if totals[2]:
        line += f", {totals[2]} skipped"
    print(line)
    return 1 if totals[1] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
