#!/usr/bin/env python3
"""pods_table.py README PODS_DIR: checks that tether's pods differ from KubeVirt's renderings only
where the differences table says so.

PODS_DIR holds one folder per rendering (kubevirt/, deckhouse/), each with NAME.rendered.yaml (what
virt-controller renders) and NAME.yaml (tether's pod). Every line of NAME.yaml that is not in the
rendering, and every line of the rendering that NAME.yaml drops, must be in a changed block whose
tether lines all carry a "# tether: ID" marker; every ID must be a row of README's differences
table ("| `ID` | ..." rows), and every row must be used. Comments and blank lines are not
compared. Both files must be valid YAML, and tether's pod must mount only volumes it declares.
Prints one line per problem; exit 1 if there is any.
"""
import difflib
import os
import re
import sys

import yaml

MARK = re.compile(r"tether: ([a-z0-9-]+)")


def split(line):
    """(content, markers) of one YAML line: the comment is cut at the first ' #' or leading '#'."""
    m = re.search(r"(^|\s)#", line)
    content, comment = (line[:m.start()], line[m.end():]) if m else (line, "")
    content = content.rstrip()
    marks = MARK.findall(comment)
    if not content and marks:
        content = "#tether"
    return content, marks


def lines_of(path):
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            content, marks = split(line.rstrip("\n"))
            if content:
                out.append((n, content, marks))
    return out


def table_ids(readme):
    with open(readme) as f:
        return set(re.findall(r"^\| `([a-z0-9-]+)` \|", f.read(), re.M))


def mounts_declared(path, errors):
    with open(path) as f:
        pod = yaml.safe_load(f)
    spec = pod["spec"]
    vols = {v["name"] for v in spec.get("volumes", [])}
    for c in spec.get("initContainers", []) + spec.get("containers", []):
        for m in c.get("volumeMounts", []):
            if m["name"] not in vols:
                errors.append(f"{path}: {c['name']} mounts {m['name']}, which is no volume of the pod")


def compare(rendered, tether, errors, used):
    a, b = lines_of(rendered), lines_of(tether)
    sm = difflib.SequenceMatcher(None, [x[1] for x in a], [x[1] for x in b], autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            for n, _, marks in b[j1:j2]:
                if marks:
                    errors.append(f"{tether}:{n}: marked {', '.join(marks)} but equal to the rendering")
            continue
        if j1 == j2:
            for n, content, _ in a[i1:i2]:
                errors.append(f"{rendered}:{n}: dropped without a row: {content.strip()}")
            continue
        for n, content, marks in b[j1:j2]:
            if not marks:
                errors.append(f"{tether}:{n}: differs from the rendering without a row: {content.strip()}")
            used.update((m, tether, n) for m in marks)


def main(readme, pods_dir):
    errors, used = [], set()
    ids = table_ids(readme)
    if not ids:
        errors.append(f"{readme}: no differences table (rows starting with | `ID` |)")
    pairs = 0
    for rendering in sorted(os.listdir(pods_dir)):
        folder = os.path.join(pods_dir, rendering)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".rendered.yaml"):
                continue
            rendered = os.path.join(folder, name)
            tether = os.path.join(folder, name.replace(".rendered.yaml", ".yaml"))
            if not os.path.exists(tether):
                errors.append(f"{rendered}: no {os.path.basename(tether)} beside it")
                continue
            pairs += 1
            try:
                mounts_declared(rendered, errors)
                mounts_declared(tether, errors)
            except (yaml.YAMLError, KeyError, TypeError) as e:
                errors.append(f"{folder}: {name}: not a valid pod: {e}")
                continue
            compare(rendered, tether, errors, used)
    if pairs == 0:
        errors.append(f"{pods_dir}: no NAME.rendered.yaml with its NAME.yaml")
    for m, path, n in sorted(used):
        if m not in ids:
            errors.append(f"{path}:{n}: marker {m} is no row of the table in {readme}")
    for i in sorted(ids - {m for m, _, _ in used}):
        errors.append(f"{readme}: row {i} marks no line of any pod")
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[0])
    sys.exit(main(sys.argv[1], sys.argv[2]))
