#!/usr/bin/env python3
"""Prints the README's tables from faults.py --report and soak.py --report
JSON files:  table.py FILE.json...  """
import json
import sys

rows, soaks, dates = [], [], set()
for path in sys.argv[1:]:
    data = json.load(open(path))
    dates.add(data["date"][:10])
    for s in data.get("scenarios", []):
        if not s.get("baseline"):
            rows.append("| %s | baseline failed | | | | | | |" % s["scenario"])
            continue
        rows.append("| %s | %d calls of %d syscalls | %d | %d | %d | %d | %d | %d |" % (
            s["scenario"], s["calls"], s["syscalls"], s["runs"], s["expected"], s["clean"],
            s.get("unnamed", 0), s["defect"], s["unreached"]))
    for s in data.get("soaks", []):
        soaks.append("| %s | %s |" % ("PASS" if s["ok"] else "FAIL", s["line"]))
if rows:
    print("| scenario | recorded | runs | expected | clean | unnamed | defect | unreached |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
if soaks:
    print("| | figures |")
    print("|---|---|")
    print("\n".join(soaks))
