#!/usr/bin/env python3
"""Long life, compressed (issue 23): each role through a bounded storm of
its everyday work, with its open fd count, RSS and (for tether-supervise)
the termination log's size sampled during it.  The figures must end where
they started: the same fd count, RSS within one page, the log within its
cap.  The start sample is taken after a warm-up of 1% of the load (the
first use of a code path faults its pages in once; that is not growth).

  soak.py [--lock] [--scale F] [--report FILE] [tether|supervise|container-disk|placeholder|all]

--scale multiplies every count (default 1: the issue's numbers; TETHER_SLOW
divides them).  Prints one line per sample and PASS/FAIL per role, also
appended to $TETHER_RESULTS.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "faults"))
import faults as F  # noqa: E402

BUILD, SLOW = F.BUILD, F.SLOW
PAGE = os.sysconf("SC_PAGE_SIZE")
SCALE = 1.0


def n(count):
    return max(1, int(count * SCALE / SLOW))


def sample(pid, tl=None):
    try:
        fds = len(os.listdir("/proc/%d/fd" % pid))
        with open("/proc/%d/status" % pid) as f:
            rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) * 1024
    except (OSError, StopIteration):
        return None
    size = os.path.getsize(tl) if tl and os.path.exists(tl) else None
    return dict(t=time.monotonic(), fds=fds, rss=rss, tl=size)


class Sampler(threading.Thread):
    """Samples pid every 0.5 s while the storm runs."""

    def __init__(self, pid, tl=None):
        super().__init__(daemon=True)
        self.pid, self.tl, self.out, self.stop = pid, tl, [], threading.Event()

    def run(self):
        while not self.stop.wait(0.5):
            s = sample(self.pid, self.tl)
            if s:
                self.out.append(s)


class Storm:
    """with Storm(pid[, tl]) as m: the storm, sampled every 0.5 s; after
    it, m.start, m.end, m.samples and m.secs (the storm's time up to
    m.lap(), or to the end of the block)."""

    def __init__(self, pid, tl=None):
        self.pid, self.tl, self.secs = pid, tl, None

    def __enter__(self):
        self.start = sample(self.pid, self.tl)
        self.sm = Sampler(self.pid, self.tl)
        self.sm.start()
        self.t0 = time.monotonic()
        return self

    def lap(self):
        self.secs = time.monotonic() - self.t0

    def __exit__(self, *exc):
        if self.secs is None:
            self.lap()
        self.sm.stop.set()
        self.sm.join()
        self.samples = self.sm.out
        self.end = sample(self.pid, self.tl)
        return False


def verdict(name, what, start, end, samples, tl_max=None, extra=""):
    peak_fds = max([s["fds"] for s in samples] + [start["fds"], end["fds"]])
    peak_rss = max([s["rss"] for s in samples] + [start["rss"], end["rss"]])
    ok = end["fds"] == start["fds"] and abs(end["rss"] - start["rss"]) <= PAGE
    tlpart = ""
    if tl_max is not None:
        tls = [s["tl"] or 0 for s in samples] + [start["tl"] or 0, end["tl"] or 0]
        # A trim writes the new content at the end first, then at 0, then
        # cuts (supervisor/tlfile.c): for a moment the file holds both.
        ok = ok and (end["tl"] or 0) <= tl_max and max(tls) <= 2 * tl_max
        tlpart = ", termination log %s → %s bytes (peak %d during a trim; cap %d)" % (
            start["tl"], end["tl"], max(tls), tl_max)
    line = "%s: %s; fds %d → %d (peak %d), RSS %d → %d KiB (peak %d)%s%s" % (
        name, what, start["fds"], end["fds"], peak_fds, start["rss"] // 1024, end["rss"] // 1024,
        peak_rss // 1024, tlpart, extra)
    print(("PASS " if ok else "FAIL ") + line, flush=True)
    F.result_line("PASS" if ok else "FAIL", "soak/" + line)
    return dict(name=name, ok=ok, line=line, start=start, end=end, peak_fds=peak_fds, peak_rss=peak_rss,
                samples=len(samples))


# ---- tether: orphans and forwarded signals ----------------------------

def soak_tether(d):
    """tether as PID 1 of a PID namespace, its program sigrecord: orphans
    come from orphanstorm run in the namespace (nsenter), signals are
    real-time ones (queued, never merged) sent to tether in batches, each
    forwarded one recorded by sigrecord: every one is counted."""
    orphans, signals = n(100000), n(100000)
    batch = 1000
    rec = os.path.join(d, "rec")
    storm = BUILD + "/helpers/orphanstorm"
    sig = signal.SIGRTMIN + 1
    r = F.Role([BUILD + "/tether", "--", BUILD + "/helpers/sigrecord", rec, "TERM"],
               pre=["unshare", "--pid", "--fork", "--mount-proc"])
    try:
        tp = F.child_of(r.p.pid)
        if not tp or not F.wait_path(rec, 10, r):
            raise RuntimeError("tether's program did not start: " + r.text())
        sent = [0]

        def storm_orphans(k):
            for _ in range(k):
                subprocess.run(["nsenter", "-t", str(tp), "-p", "-m", storm, str(batch)], check=True,
                               stdout=subprocess.DEVNULL)
                r.pump(0)

        def send(k):
            for done in range(0, k, 500):
                for _ in range(min(500, k - done)):
                    os.kill(tp, sig)
                    sent[0] += 1
                want = len("ready\n") + sent[0] * len("%d\n" % sig)
                end = time.monotonic() + 10 * SLOW
                while os.path.getsize(rec) < want:
                    if time.monotonic() > end:
                        raise RuntimeError("%d signals sent, %d forwarded" % (
                            sent[0], (os.path.getsize(rec) - 6) // len("%d\n" % sig)))
                    r.pump(0.001)

        storm_orphans(1)
        send(1000)
        with Storm(tp) as m:
            storm_orphans(max(1, orphans // batch))
            send(signals)
        start, end, secs = m.start, m.end, m.secs
        os.kill(tp, signal.SIGTERM)
        rc = r.wait(10)
        res = verdict("tether", "%d orphans reaped, %d real-time signals forwarded (each recorded) in %.0f s" % (
            max(1, orphans // batch) * batch, signals, secs), start, end, m.samples,
            extra="; exit %s" % F.status_of(rc))
        if rc != 0:
            res["ok"] = False
        return res
    finally:
        r.kill()


# ---- tether-supervise: daemon crashes and events -----------------------

def children(pid, comm):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            kids = [int(k) for k in f.read().split()]
    except OSError:
        return []
    out = []
    for k in kids:
        try:
            with open("/proc/%d/comm" % k) as f:
                if f.read().strip() == comm:
                    out.append(k)
        except OSError:
            pass
    return out


def soak_supervise(d):
    crashes, events = n(10000), n(100000)
    env, opts, b = F.sup_env(d)
    opts += ["--backoff", "0", "--backoff-max", "0", "--crash-budget", "0"]
    r = F.Role([BUILD + "/tether-supervise"] + opts + ["--", b + "/main"], env=env)
    tl = d + "/tl"
    try:
        if not r.wait_out("virtqemud is ready", 20):
            raise RuntimeError("not ready: " + r.text()[-2000:])
        sp = r.p.pid
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind("\0tether-soak-%d" % os.getpid())
        s.settimeout(5 * SLOW)

        def kill_restart(count):
            last = None
            for _ in range(count):
                end = time.monotonic() + 10 * SLOW
                while True:
                    v = children(sp, "virtlogd")
                    if v and v[0] != last:
                        break
                    if time.monotonic() > end:
                        raise RuntimeError("virtlogd not restarted")
                    r.pump(0.001)
                last = v[0]
                os.kill(last, signal.SIGKILL)

        def send(count):
            bad = 0
            for i in range(count):
                s.sendto(F.EVENT.encode(), d + "/ev.sock")
                if i % 64 == 0:
                    r.pump(0)
                try:
                    if s.recv(300) != b"ok":
                        bad += 1
                except socket.timeout:
                    raise RuntimeError("event %d of %d: no answer in 5 s" % (i + 1, count))
            return bad

        try:
            kill_restart(max(1, crashes // 100))
            send(max(200, events // 100))  # also fills the log to its cap
        except Exception as ex:
            raise RuntimeError("warm-up: %r: %s" % (ex, r.text()[-1500:]))
        r.out = b""
        with Storm(sp, tl) as m:
            try:
                kill_restart(crashes)
                bad = send(events)
            except Exception as ex:
                raise RuntimeError("storm: %r: %s" % (ex, r.text()[-1500:]))
            m.lap()
            # Let the last restart settle before the end sample.
            end_t = time.monotonic() + 10 * SLOW
            while not children(sp, "virtlogd") and time.monotonic() < end_t:
                r.pump(0.01)
        start, end, secs = m.start, m.end, m.secs
        r.p.send_signal(signal.SIGTERM)
        rc = r.wait(20)
        data = open(tl, "rb").read()
        whole = data.endswith(b"\n") and all(json.loads(l) for l in data.split(b"\n")[:-1])
        res = verdict("tether-supervise", "%d virtlogd crashes and restarts, %d events (%d not ok) in %.0f s" % (
            crashes, events, bad, secs), start, end, m.samples, tl_max=4096,
            extra="; exit %s; log whole lines: %s" % (F.status_of(rc), whole))
        if rc != 0 or bad or not whole:
            res["ok"] = False
        return res
    finally:
        r.kill()


# ---- container-disk: connections and hotplug sockets ------------------

def soak_container_disk(d):
    conns, plugs = n(1000000), n(10000)
    disks = os.path.join(d, "disks")
    os.mkdir(disks)
    hp = os.path.join(disks, "hp")
    r = F.Role([BUILD + "/container-disk", "--copy-path", hp, "--manage"])
    client = BUILD + "/helpers/sockclient"
    try:
        if not F.wait_path(hp + ".sock", 10, r):
            raise RuntimeError("no socket: " + r.text())

        def plug(count):
            for i in range(count):
                p = os.path.join(disks, "vol%d.sock" % (i % 50))
                v = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                v.bind(p)
                v.close()
                os.unlink(p)
                r.pump(0)

        subprocess.run([client, hp + ".sock", str(max(1, conns // 100))], check=True, capture_output=True)
        plug(max(1, plugs // 100))
        cp = r.p.pid
        with Storm(cp) as m:
            half = conns // 2
            cl = [subprocess.Popen([client, hp + ".sock", str(k)], stdout=subprocess.PIPE, text=True)
                  for k in (half, conns - half)]
            plug(plugs)
            outs = [c.communicate()[0].strip() for c in cl]
        start, end, secs = m.start, m.end, m.secs
        r.p.send_signal(signal.SIGTERM)
        rc = r.wait(10)
        left = [f for f in os.listdir(disks) if f.endswith(".sock")]
        res = verdict("container-disk", "%d connections (%s), %d volume sockets came and went in %.0f s" % (
            conns, " + ".join(outs), plugs, secs), start, end, m.samples,
            extra="; exit %s; sockets left: %d" % (F.status_of(rc), len(left)))
        if rc != 0 or left or any(c.returncode for c in cl):
            res["ok"] = False
        return res
    finally:
        r.kill()


# ---- the placeholder: registrations and refusals ----------------------

def soak_placeholder(d):
    count = n(10000)
    rec = os.path.join(d, "rec")
    r, sock = F.container(d)
    reg = BUILD + "/helpers/vfs_register"
    try:
        if not r.wait_out("listening on", 10):
            raise RuntimeError("no placeholder: " + r.text())
        ph = F.child_of(r.p.pid)

        def attempts(k, v):
            answers = {}
            for i in range(k):
                target = v if i % 2 else ph
                a = subprocess.run([reg, sock, str(target)], capture_output=True, text=True).stdout.strip()
                key = a.split(":")[0][:40]
                answers[key] = answers.get(key, 0) + 1
                r.pump(0)
            return answers

        # The first registration is the real one; every later one is
        # refused (BUSY) and so is the placeholder itself (ERR).
        v = F.ns_child(ph, d, [BUILD + "/helpers/sigrecord", rec, "TERM"])
        F.wait_path(rec, 5)
        first = subprocess.run([reg, "--channel", sock, str(v)], capture_output=True, text=True).stdout.strip()
        attempts(max(2, count // 100), v)
        with Storm(ph) as m:
            answers = attempts(count, v)
        start, end, secs = m.start, m.end, m.secs
        os.kill(ph, signal.SIGTERM)
        rc = r.wait(10)
        res = verdict("placeholder", "1 registration (%s), %d refused ones (%s) in %.0f s" % (
            first, count, ", ".join("%s ×%d" % kv for kv in sorted(answers.items())), secs), start, end, m.samples,
            extra="; exit %s (virtiofsd got TERM: %s)" % (F.status_of(rc),
                                                         open(rec).read().split() == ["ready", "15"]))
        if rc != 0 or not first.startswith("OK") or any(k.startswith("OK") for k in answers):
            res["ok"] = False
        return res
    finally:
        r.kill()
        F.kill_all(d)


SOAKS = {"tether": soak_tether, "supervise": soak_supervise, "container-disk": soak_container_disk,
         "placeholder": soak_placeholder}


def main(argv):
    global SCALE
    names, report, lock = [], None, False
    it = iter(argv)
    for a in it:
        if a == "--scale":
            SCALE = float(next(it))
        elif a == "--lock":
            lock = True
        elif a == "--report":
            report = next(it)
        elif a == "all":
            names += list(SOAKS)
        elif a in SOAKS:
            names.append(a)
        else:
            print("soak.py: unknown argument %r" % a, file=sys.stderr)
            return 2
    os.makedirs(F.SCRATCH, exist_ok=True)
    os.chmod(F.SCRATCH, 0o755)
    out = []
    for name in names or list(SOAKS):
        d = tempfile.mkdtemp(prefix="soak-", dir=F.SCRATCH)
        held = open(F.LOCK, "a") if lock else None
        if held:
            F.fcntl.flock(held, F.fcntl.LOCK_EX)
        try:
            out.append(SOAKS[name](d))
        except Exception as ex:
            print("FAIL soak/%s: %s" % (name, ex), flush=True)
            F.result_line("FAIL", "soak/%s: %s" % (name, str(ex)[:300]))
            out.append(dict(name=name, ok=False, line=str(ex)))
        finally:
            F.kill_all(d)
            subprocess.run(["rm", "-rf", d])
            if held:
                held.close()
    if report:
        with open(report, "w") as f:
            json.dump(dict(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), scale=SCALE, soaks=out), f,
                      indent=1)
    return 0 if all(o["ok"] for o in out) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
