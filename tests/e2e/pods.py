#!/usr/bin/env python3
"""The pods of images/pods/ made runnable by podman kube play (4.3.1), and facts about them.

    pods.py play SRC DST POD [TERMLOG]  writes SRC's pod as DST under the name POD, with the
                                         podman-only changes below
    pods.py claims FILE                  the claims of FILE's PVCs (kube down leaves their volumes)
    pods.py emptydirs SRC                the emptyDir names of SRC's pod, one a line

The podman-only changes (images/README.md, "The test bench"), none of which a cluster needs:
  - metadata.name is POD (generateName dropped): the suites pick unique names;
  - every emptyDir and PVC volume, and each claim, is renamed POD-<name>: kube play turns an
    emptyDir into a podman volume named after it, shared by every pod that uses the name
    (images/NOTES.md), and a claim into a volume of the claim's name;
  - a hostPath file TERMLOG is mounted at /dev/termination-log in the compute container:
    kube play ignores terminationMessagePath;
  - a pod with init containers and restartPolicy Always (the default, the hp pod's) gets
    OnFailure: podman applies the pod's policy to init containers too (podman#16343) and
    restarts the finished copy, which then races its removal ("failed to remove once init
    container ... as it is running", every play here);
  - a virtiofs container with a read-only root gets an emptyDir at /var/run/virtiofsd: the
    test image's virtiofsd is Debian's C virtiofsd 7.2, which takes its lock there (KubeVirt's
    Rust virtiofsd does not);
  - annotations whose value is longer than 63 characters are dropped (velero's two hook
    commands): kube play 4.3.1 checks annotation values against the 63-character limit of label
    values and refuses the pod ("value length exceeds Kubernetetes max 63"); Kubernetes
    allows annotation values of any length up to the object's 256 KiB of annotations.
"""
import sys

import yaml


def pod_of(path):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d and d.get("kind") == "Pod"]
    if len(docs) != 1:
        sys.exit(f"pods.py: {path}: expected one Pod, found {len(docs)}")
    return docs[0]


def containers(spec):
    return spec.get("initContainers", []) + spec.get("containers", [])


def play(src, dst, pod, termlog=None):
    p = pod_of(src)
    meta = p["metadata"]
    meta.pop("generateName", None)
    meta["name"] = pod
    annotations = meta.get("annotations") or {}
    for key in [k for k, v in annotations.items() if len(str(v)) > 63]:
        del annotations[key]
    spec = p["spec"]
    renamed = {}
    for v in spec.get("volumes", []):
        if "emptyDir" in v or "persistentVolumeClaim" in v:
            renamed[v["name"]] = f"{pod}-{v['name']}"
            v["name"] = renamed[v["name"]]
        if "persistentVolumeClaim" in v:
            claim = v["persistentVolumeClaim"]
            claim["claimName"] = f"{pod}-{claim['claimName']}"
    for c in containers(spec):
        for m in c.get("volumeMounts", []):
            m["name"] = renamed.get(m["name"], m["name"])
    if termlog:
        for c in spec["containers"]:
            if c["name"].endswith("compute"):
                c.setdefault("volumeMounts", []).append(
                    {"name": f"{pod}-termination-log", "mountPath": "/dev/termination-log"})
                spec["volumes"].append({"name": f"{pod}-termination-log",
                                        "hostPath": {"path": termlog, "type": "FileOrCreate"}})
    if spec.get("initContainers") and spec.get("restartPolicy", "Always") == "Always":
        spec["restartPolicy"] = "OnFailure"
    for c in spec["containers"]:
        ro = (c.get("securityContext") or {}).get("readOnlyRootFilesystem")
        if c["name"].startswith("virtiofs-") and ro:
            c["volumeMounts"].append({"name": f"{pod}-virtiofsd-run", "mountPath": "/var/run/virtiofsd"})
            spec["volumes"].append({"name": f"{pod}-virtiofsd-run", "emptyDir": {}})
    with open(dst, "w") as f:
        yaml.safe_dump(p, f, sort_keys=False)


def claims(path):
    for v in pod_of(path)["spec"].get("volumes", []):
        if "persistentVolumeClaim" in v:
            print(v["persistentVolumeClaim"]["claimName"])


def emptydirs(src):
    for v in pod_of(src)["spec"].get("volumes", []):
        if "emptyDir" in v:
            print(v["name"])


def main(argv):
    cmds = {"play": (play, (5, 6)), "claims": (claims, (3, 3)), "emptydirs": (emptydirs, (3, 3))}
    if len(argv) < 2 or argv[1] not in cmds or not cmds[argv[1]][1][0] <= len(argv) <= cmds[argv[1]][1][1]:
        sys.exit(__doc__.split("\n\n")[1])
    cmds[argv[1]][0](*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
