#!/usr/bin/env python3
"""The termination log's bound during a trim (supervisor/README.md, "How
the file is written"): at rest the file is at most --termination-log-max;
a trim first writes the new content C at the end, so between that write
and the final cut the file is the old content + C, which is less than
twice --termination-log-max.  This holds the trim open at its cut
(`strace -e inject=ftruncate:delay_enter`, the cut being the only
ftruncate of a trim that succeeds) and reads the file's size meanwhile:
it must exceed the cap (the window the README describes is real) and stay
under twice the cap; after the trim the file is within the cap and every
line whole JSON, the newest last.  One PASS/FAIL line to $TETHER_RESULTS.
"""
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faults as F  # noqa: E402

MAX = 1024
HOLD_US = 1000000  # the cut waits 1 s: long enough to be seen, bounded


def event(i):
    return ('{"event": "SHUTDOWN", "data": {"guest": true, "reason": "n%04d"}}' % i).encode()


def main():
    name = "faults/termlog-bound"
    if not shutil.which("strace"):
        print("SKIP %s: strace is not installed" % name)
        F.result_line("SKIP", name + ": strace is not installed")
        return 0
    os.makedirs(F.SCRATCH, exist_ok=True)
    d = tempfile.mkdtemp(prefix="tlbound-", dir=F.SCRATCH)
    env, opts, b = F.sup_env(d)
    tl = d + "/tl"
    log = d + "/strace.log"
    r = F.Role([F.BUILD + "/tether-supervise"] + opts + ["--termination-log-max", str(MAX), "--", b + "/main"],
               strace=[log, "-e", "inject=ftruncate:delay_enter=%d" % HOLD_US], env=env)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(d + "/client.sock")
    s.settimeout(10 * F.SLOW)
    why, peak, sizes_at_rest = "", 0, []
    try:
        if not r.wait_out("virtqemud is ready", 10):
            why = "tether-supervise not ready: " + r.text()[-800:]
        i = 0
        # Fill the log to its cap with acknowledged events (each one
        # written whole before its "ok"): at rest it never passes MAX.
        while not why:
            i += 1
            size = os.path.getsize(tl) if os.path.exists(tl) else 0
            if size + len(F.LINE) + 8 > MAX:
                break
            s.sendto(event(i), d + "/ev.sock")
            if s.recv(300) != b"ok":
                why = "event %d refused" % i
            sizes_at_rest.append(os.path.getsize(tl))
        if not why:
            # The next one does not fit: a trim, its cut held for HOLD_US.
            s.setblocking(False)
            s.sendto(event(i), d + "/ev.sock")
            end = time.monotonic() + 10 * F.SLOW
            ack = None
            while ack is None and time.monotonic() < end:
                peak = max(peak, os.path.getsize(tl))
                try:
                    ack = s.recv(300)
                except BlockingIOError:
                    time.sleep(0.001)
            if ack != b"ok":
                why = "the event that trims was not acknowledged: %r" % ack
        final = open(tl, "rb").read()
        lines = final.split(b"\n")
        if not why and "ftruncate(" not in open(log).read():
            why = "no ftruncate: the trim did not happen"
        elif not why and max(sizes_at_rest) > MAX:
            why = "%d bytes at rest, over the cap %d" % (max(sizes_at_rest), MAX)
        elif not why and peak <= MAX:
            why = "the trim never showed more than %d bytes: the window is not what the README says" % peak
        elif not why and peak >= 2 * MAX:
            why = "%d bytes during the trim: not under twice the cap (%d)" % (peak, 2 * MAX)
        elif not why and (len(final) > MAX or not final.endswith(b"\n")):
            why = "after the trim: %d bytes, ends %r" % (len(final), final[-40:])
        elif not why and (b"n%04d" % i) not in lines[-2]:
            why = "the newest line is not last: %r" % lines[-2]
        if not why:
            for line in lines[:-1]:
                json.loads(line)
    except Exception as ex:  # reported, never hidden
        why = why or "harness: %r" % ex
    finally:
        if r.poll() is None:
            r.p.send_signal(signal.SIGTERM)
        rc = r.wait(20)
        r.kill()
        s.close()
        F.kill_all(d)
        shutil.rmtree(d, ignore_errors=True)
    if not why and rc != 0:
        why = "tether-supervise exited %s, not 0" % F.status_of(rc)
    if why:
        print("FAIL %s: %s" % (name, why))
        F.result_line("FAIL", "%s: %s" % (name, why))
        return 1
    text = "at rest at most %d bytes, %d during the held trim (cap %d, bound %d)" % (
        max(sizes_at_rest), peak, MAX, 2 * MAX)
    print("PASS %s: %s" % (name, text))
    F.result_line("PASS", "%s: %s" % (name, text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
