#!/usr/bin/env python3
"""Prints the README's tables from faults.py --report and soak.py --report
JSON files:  table.py FILE.json...  """
import json
import sys

rows, soaks, dates = [], [], set()
def from_out(path):
    """The same figures from faults.py's printed output (a .out file)."""
    import re
    text = open(path).read()
    out, cur = [], None
    for line in text.splitlines():
        m = re.match(r"== (\S+): ", line)
        if m:
            cur = dict(scenario=m.group(1), baseline=True)
        m = re.match(r"   baseline: (\d+) calls of (\d+) syscalls", line)
        if m and cur:
            cur.update(calls=int(m.group(1)), syscalls=int(m.group(2)))
        m = re.match(r"   (\S+): (\d+) runs .*: (\d+) expected, (\d+) clean, (\d+) unnamed, (\d+) defect, (\d+) unreached",
                     line)
        if m and cur:
            cur.update(runs=int(m.group(2)), expected=int(m.group(3)), clean=int(m.group(4)),
                       unnamed=int(m.group(5)), defect=int(m.group(6)), unreached=int(m.group(7)))
            out.append(cur)
    return dict(date="", scenarios=out)


for path in sys.argv[1:]:
    data = from_out(path) if path.endswith(".out") else json.load(open(path))
    if data["date"]:
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
