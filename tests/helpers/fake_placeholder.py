#!/usr/bin/python3
"""fake_placeholder.py SOCKET RECORD ANSWER: plays the placeholder's side of
a registration, as the container's PID 1 (uid 107, no capabilities).

Listens on SOCKET, writes "listening" to RECORD, answers a RESERVE with
"OK 0" (recorded as "reserved"), takes one REGISTER message
with its descriptors and records what it got: how many fds, whether the
last two are one pipe, stop_r's O_ASYNC and owner.  Then answers with
ANSWER ("OK" gets the pid appended; "ERR x", "BUSY 3" are sent as they are).
After "OK" it stops the registered program as the real placeholder would:
a direct kill first (recorded: EPERM for a root program), then one byte on
stop_w; and records the program's wait status once it has reaped it."""
import array, fcntl, os, signal, socket, sys

sock_path, rec_path, answer = sys.argv[1], sys.argv[2], sys.argv[3]


def record(line):
    with open(rec_path, "a") as f:
        f.write(line + "\n")


def pid_of(pidfd):
    with open("/proc/self/fdinfo/%d" % pidfd) as f:
        for line in f:
            if line.startswith("Pid:"):
                return int(line.split()[1])
    return -1


s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sock_path)
s.listen(4)
record("listening")
c, _ = s.accept()
fds = array.array("i")
msg, anc, _, _ = c.recvmsg(64, socket.CMSG_SPACE(8 * fds.itemsize))
if msg == b"RESERVE\n" and not anc:
    c.send(b"OK 0\n")
    record("reserved")
    msg, anc, _, _ = c.recvmsg(64, socket.CMSG_SPACE(8 * fds.itemsize))
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
record("message %r fds %d" % (msg, len(fds)))
pid = pid_of(fds[0]) if fds else -1
record("pid %d" % pid)
if len(fds) == 3:
    r, w = fds[1], fds[2]
    record("same pipe %s" % (os.fstat(r).st_ino == os.fstat(w).st_ino))
    record("async %s" % bool(fcntl.fcntl(r, fcntl.F_GETFL) & os.O_ASYNC))
    record("owner %s" % (fcntl.fcntl(r, fcntl.F_GETOWN) == pid))
if answer != "OK":
    c.send(answer.encode() + b"\n")
    record("answered " + answer)
    while True:
        try:
            p, st = os.wait()
        except ChildProcessError:
            break
        record("reaped %d status %d" % (p, st))
        if p == pid:
            break
    sys.exit(0)
c.send(b"OK %d\n" % pid)
try:
    os.kill(pid, signal.SIGTERM)
    record("kill: delivered")
except PermissionError:
    record("kill: EPERM")
os.write(fds[2], b"x")
while True:
    p, st = os.wait()
    if p == pid:
        record("virtiofsd %s" % ("signal %d" % os.WTERMSIG(st) if os.WIFSIGNALED(st)
                                 else "exit %d" % os.WEXITSTATUS(st)))
        break
