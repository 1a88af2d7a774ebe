#!/usr/bin/env python3
"""Fault injection over tether's roles (issue 23).

For one role and one scenario: a first run under `strace -D -o LOG` (the
tracee keeps its pid, so a PID 1 stays PID 1) records every system call the
role's own process makes and how many times; then the scenario is re-run
once per (syscall, call index, errno from ERRNOS) with
`strace -e inject=SYSCALL:error=ERRNO:when=N`, and each run is classified:

  expected   the scenario's full result (exit code, effects, nothing left)
  clean      a documented failure code of the role and one stderr line
             naming the errno's text, nothing left behind
  defect     a hang past the bound, a crash signal, an undocumented code,
             a wrong result with a success code, a lost or corrupt
             termination-log line, a process or socket left behind
  unnamed    a documented failure code and a warning/error line, but
             the line gives another reason than the errno (a kernel
             refusal reported as the peer's fault): counted apart
  unreached  the injection did not happen (the run took another path);
             counted apart, never as a pass

Only the role's own process is traced (no -f): the code a role runs in a
forked child before exec, and the programs it starts, are not injected.

  faults.py [--smoke] [--strict] [--max-index N] [--budget S] [--lock] [--report FILE]
            [--only SYSCALL:ERRNO:N]... SCENARIO...
  faults.py --list

--smoke: each syscall's first call only, with its first errno.  Full
(default): every call index reached up to --max-index (default 40) per
syscall; a syscall reached more often gets indices 1..max/2, then evenly
spread ones up to its last call.  Every errno of the table per index.
--strict: an unnamed run fails like a defect (test_regressions.sh).
Results: one line per run on stdout; PASS/FAIL per (scenario, syscall)
group appended to $TETHER_RESULTS; a JSON summary to --report.
"""
import errno as E
import fcntl
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.environ.get("TETHER_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
BUILD = os.path.realpath(os.environ.get("TETHER_BUILD") or os.path.join(ROOT, "build"))
SLOW = int(os.environ.get("TETHER_SLOW", "1"))
SCRATCH = "/tmp/faults"
LOCK = "/tmp/tether-test.lock"
DELAY = [0]  # --only's fourth field: microseconds the injected call waits first
ONLY = []  # --only SYSCALL:ERRNO:N (repeatable): just those runs
USE_LOCK = False  # --lock: each run under the shared test lock (never when a caller holds it)
STRICT = [False]  # --strict: an unnamed run fails too (test_regressions.sh)

# The errnos each call can really return with valid arguments (man 2,
# the kernel's paths); ENOSYS for calls newer than kernels still in use.
# A syscall not listed (getpid, rt_sigprocmask with valid sets, exit_group)
# cannot fail in these roles and is not injected.
ERRNOS = {
    "read": "EINTR EAGAIN EIO",
    "write": "EINTR EAGAIN EIO ENOSPC EPIPE",
    "writev": "EINTR EAGAIN EIO ENOSPC",
    "pread64": "EINTR EIO", "pwrite64": "EINTR EIO ENOSPC",
    "open": "EINTR ENOMEM EMFILE ENFILE EACCES ENOENT EIO",
    "openat": "EINTR ENOMEM EMFILE ENFILE EACCES ENOENT EIO",
    "close": "EINTR EIO",
    "close_range": "ENOSYS ENOMEM",
    "epoll_create1": "EMFILE ENFILE ENOMEM",
    "epoll_ctl": "ENOMEM ENOSPC",
    "epoll_wait": "EINTR", "epoll_pwait": "EINTR", "epoll_pwait2": "EINTR",
    "signalfd4": "EMFILE ENFILE ENOMEM ENODEV",
    "timerfd_create": "EMFILE ENFILE ENOMEM",
    "inotify_init1": "EMFILE ENFILE ENOMEM",
    "inotify_add_watch": "EACCES ENOENT ENOMEM ENOSPC",
    "inotify_rm_watch": "EINVAL",
    "fork": "EAGAIN ENOMEM", "vfork": "EAGAIN ENOMEM",
    "clone": "EAGAIN ENOMEM", "clone3": "EAGAIN ENOMEM ENOSYS",
    "wait4": "EINTR ECHILD", "waitid": "EINTR ECHILD",
    "kill": "EPERM ESRCH",
    "tkill": "EPERM ESRCH", "tgkill": "EPERM ESRCH",
    "pidfd_open": "EMFILE ENFILE ENOMEM ESRCH ENOSYS",
    "pidfd_send_signal": "EPERM ESRCH ENOSYS",
    "pidfd_getfd": "EMFILE EPERM ENOSYS",
    "socket": "EMFILE ENFILE ENOMEM ENOBUFS EACCES",
    "socketpair": "EMFILE ENFILE ENOMEM",
    "bind": "EACCES EADDRINUSE ENOMEM ENOSPC",
    "listen": "EADDRINUSE",
    "accept": "EAGAIN EINTR EMFILE ENFILE ENOMEM ECONNABORTED ENOBUFS",
    "accept4": "EAGAIN EINTR EMFILE ENFILE ENOMEM ECONNABORTED ENOBUFS",
    "connect": "EAGAIN EINTR ECONNREFUSED ENOENT EACCES",
    "sendmsg": "EAGAIN EINTR ENOBUFS ENOMEM EPIPE ECONNREFUSED",
    "sendto": "EAGAIN EINTR ENOBUFS ENOMEM EPIPE ECONNREFUSED",
    "recvmsg": "EAGAIN EINTR ENOMEM", "recvfrom": "EAGAIN EINTR ENOMEM",
    "getsockopt": "ENOBUFS ENOPROTOOPT",
    "setsockopt": "ENOMEM ENOBUFS",
    "getsockname": "ENOBUFS", "getpeername": "ENOBUFS ENOTCONN",
    "shutdown": "ENOTCONN",
    "fstat": "EIO ENOMEM", "newfstatat": "EACCES ENOENT ENOMEM EIO",
    "stat": "EACCES ENOENT ENOMEM EIO", "lstat": "EACCES ENOENT ENOMEM EIO",
    "statx": "EACCES ENOENT ENOMEM EIO ENOSYS",
    "fstatfs": "EIO ENOMEM", "statfs": "EACCES ENOENT EIO ENOMEM",
    "unlink": "EACCES EBUSY EIO ENOENT EPERM EROFS",
    "unlinkat": "EACCES EBUSY EIO ENOENT EPERM EROFS",
    "mkdir": "EACCES EEXIST ENOSPC EROFS", "mkdirat": "EACCES EEXIST ENOSPC EROFS",
    "rmdir": "EACCES EBUSY ENOTEMPTY EROFS",
    "rename": "EACCES EBUSY EIO ENOSPC EROFS", "renameat": "EACCES EBUSY EIO ENOSPC EROFS",
    "renameat2": "EACCES EBUSY EIO ENOSPC EROFS",
    "chdir": "EACCES ENOENT EIO ENOMEM", "fchdir": "EACCES EIO",
    "chroot": "EACCES EPERM ENOMEM",
    "getdents64": "EIO ENOENT ENOMEM",
    "readlink": "EACCES ENOENT EIO ENOMEM", "readlinkat": "EACCES ENOENT EIO ENOMEM",
    "access": "EACCES ENOENT", "faccessat": "EACCES ENOENT", "faccessat2": "EACCES ENOENT ENOSYS",
    "prctl": "EINVAL EPERM",
    "ioctl": "ENOTTY EINVAL EPERM",
    "fcntl": "EMFILE EAGAIN EINTR EPERM",
    "dup": "EMFILE", "dup2": "EMFILE EINTR EBUSY", "dup3": "EMFILE EINTR EBUSY",
    "setns": "EPERM ENOMEM EINVAL",
    "unshare": "EPERM ENOMEM ENOSPC",
    "setsid": "EPERM", "setpgid": "EPERM ESRCH", "getpgid": "ESRCH",
    "capset": "EPERM", "capget": "EPERM",
    "setresuid": "EPERM EAGAIN", "setresgid": "EPERM", "setgroups": "EPERM ENOMEM",
    "setuid": "EPERM EAGAIN", "setgid": "EPERM",
    "seccomp": "ENOMEM EINVAL",
    "mmap": "ENOMEM EAGAIN", "munmap": "ENOMEM", "mremap": "ENOMEM", "brk": "ENOMEM",
    "mprotect": "ENOMEM",
    "fsync": "EIO ENOSPC EINTR", "fdatasync": "EIO ENOSPC EINTR",
    "ftruncate": "EIO EINTR EFBIG",
    "pipe2": "EMFILE ENFILE",
    "lseek": "EINVAL",
    "getrandom": "EAGAIN EINTR",
    "rt_sigtimedwait": "EINTR EAGAIN",
    "nanosleep": "EINTR", "clock_nanosleep": "EINTR",
    "mount": "EPERM ENOMEM EBUSY", "umount2": "EPERM EBUSY",
    "flock": "EINTR EWOULDBLOCK ENOLCK",
    "openat2": "EINTR ENOMEM EMFILE ENFILE EACCES ENOENT ENOSYS",
    "getcwd": "ENOMEM",
    "prlimit64": "EPERM", "setrlimit": "EPERM", "getrlimit": "EPERM",
    "setpriority": "EPERM EACCES",
    "fchmod": "EPERM EROFS EIO", "fchmodat": "EPERM EROFS EIO", "chmod": "EPERM EROFS EIO",
    "fchown": "EPERM EROFS", "fchownat": "EPERM EROFS", "chown": "EPERM EROFS",
    "utimensat": "EACCES EPERM",
    "memfd_create": "EMFILE ENFILE ENOMEM",
    "sendfile": "EIO ENOMEM", "copy_file_range": "EIO ENOSPC",
    "poll": "EINTR ENOMEM", "ppoll": "EINTR ENOMEM", "select": "EINTR ENOMEM", "pselect6": "EINTR ENOMEM",
    "linkat": "EACCES EEXIST ENOSPC", "symlinkat": "EACCES EEXIST ENOSPC",
    "mknodat": "EACCES EEXIST ENOSPC",
    "sched_setaffinity": "EPERM", "sched_setscheduler": "EPERM",
    "ioprio_set": "EPERM",
}


# The calls a removal at exit makes (list a directory, check, unlink).
REMOVAL = {"unlink", "unlinkat", "lstat", "newfstatat", "fstat", "statx", "getdents64", "open", "openat"}

# An errno a role reports in words of its own, correctly.
SAYS = {"EADDRINUSE": "another process listens there"}


def strerror(name):
    return os.strerror(getattr(E, name))


# ---- small tools -------------------------------------------------------

class Role:
    """A role started under strace -D: the Popen is the role itself (or
    the unshare/setpriv chain that execs into it); stderr and stdout are
    one pipe read into .out as it comes."""

    def __init__(self, argv, pre=(), strace=None, env=None, cwd=None):
        self.log = strace[0] if strace else None
        st = []
        if strace:
            st = ["strace", "-D", "-q", "-o", strace[0]] + strace[1:] + ["--"]
        r, w = os.pipe()
        self.p = subprocess.Popen(list(pre) + st + list(argv), stdin=subprocess.DEVNULL,
                                  stdout=w, stderr=w, env=env, cwd=cwd, start_new_session=True)
        os.close(w)
        self.fd = r
        os.set_blocking(r, False)
        self.out = b""
        self.rc = None

    def pump(self, timeout):
        ready, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if ready:
            try:
                d = os.read(self.fd, 65536)
            except BlockingIOError:
                d = b""
            if not d:
                return False
            self.out += d
            if len(self.out) > 1 << 20:  # a soak logs megabytes: keep the tail
                self.out = self.out[-(1 << 18):]
        return True

    def wait_out(self, regex, seconds):
        """Waits (on the pipe, woken by output) for a line matching regex."""
        end = time.monotonic() + seconds * SLOW
        rx = re.compile(regex.encode())
        while not rx.search(self.out):
            left = end - time.monotonic()
            if left <= 0 or self.poll() is not None and not self.pump(0):
                return False
            if not self.pump(min(left, 0.05)):
                if self.poll() is not None:
                    return bool(rx.search(self.out))
        return True

    def poll(self):
        if self.rc is None:
            self.rc = self.p.poll()
        return self.rc

    def wait(self, seconds):
        """The exit code, or None (then killed) past the bound."""
        end = time.monotonic() + seconds * SLOW
        while self.poll() is None and time.monotonic() < end:
            self.pump(0.02)
        if self.poll() is None:
            return None
        end = time.monotonic() + 0.3
        while time.monotonic() < end and self.pump(0.02):
            pass
        return self.rc

    def kill(self):
        if self.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.p.wait()
        try:
            os.close(self.fd)
        except OSError:
            pass

    def text(self):
        return self.out.decode(errors="replace")


def wait_path(path, seconds, role=None):
    """Bounded wait for a path; polled (no inotify in Python's stdlib),
    5 ms steps; stops early when the role has exited."""
    end = time.monotonic() + seconds * SLOW
    while not os.path.lexists(path):
        if time.monotonic() > end or role is not None and role.poll() is not None:
            return False
        if role is not None:
            role.pump(0.005)
        else:
            time.sleep(0.005)
    return True


def child_of(pid):
    """The first child of pid, from /proc (bounded wait)."""
    end = time.monotonic() + 5 * SLOW
    while time.monotonic() < end:
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                kids = f.read().split()
            if kids:
                return int(kids[0])
        except OSError:
            return None
        time.sleep(0.005)
    return None


def blocked(pid, seconds):
    """Bounded wait until pid runs tether and has blocked its signals."""
    end = time.monotonic() + seconds * SLOW
    while time.monotonic() < end:
        try:
            exe = os.readlink("/proc/%d/exe" % pid)
            with open("/proc/%d/status" % pid) as f:
                if exe == BUILD + "/tether" and \
                        any(l.startswith("SigBlk:") and l.split()[1].strip("0") for l in f):
                    return True
        except OSError:
            return False
        time.sleep(0.005)
    return False


def procs_with(marker):
    """Pids whose command line holds marker (strace's own excluded)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cl = f.read()
            with open("/proc/%s/comm" % d) as f:
                comm = f.read().strip()
        except OSError:
            continue
        if marker.encode() in cl and comm != "strace":
            out.append(int(d))
    return out


def kill_all(marker):
    for pid in procs_with(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in [int(d) for d in os.listdir("/proc") if d.isdigit()]:
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if marker.encode() in f.read():
                    os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def status_of(rc):
    return "signal %d" % -rc if rc is not None and rc < 0 else str(rc)


# ---- scenarios ---------------------------------------------------------
# Each: run(d, strace) -> dict(rc=..., ok=bool, why=str, out=str, left=[...])
# clean: the role's documented failure codes (its README).

def sc_tether_run(d, strace):
    sl = os.path.join(d, "sl")
    os.symlink(shutil.which("sleep"), sl)
    script = "%s 1000 & %s 1000 & echo ready; exec %s 1000" % (sl, sl, sl)
    r = Role([BUILD + "/tether", "--", "sh", "-c", script], strace=strace)
    res = {"why": ""}
    if r.wait_out("ready", 5):
        r.p.send_signal(signal.SIGTERM)
    rc = r.wait(20)
    res.update(rc=rc, out=r.text())
    r.kill()
    res["ok"] = rc == 143
    if rc == 137 and not procs_with(sl):
        # The TERM did not reach the program; the grace ran out and the
        # tree was killed: tether's documented escalation.
        res["alt"] = "TERM not forwarded; escalated to KILL after the grace (137), tree stopped"
    if not res["ok"]:
        res["why"] = "exit %s, not 143" % status_of(rc)
    return res


SC_TETHER_RUN = dict(role="tether", run=sc_tether_run, clean={111, 126, 127},
                     what="tether -- sh (two background sleeps, exec sleep); TERM; the tree stopped; 143")


def sc_tether_pause(d, strace):
    sl = os.path.join(d, "sl")
    os.symlink(shutil.which("sleep"), sl)
    r = Role([BUILD + "/tether", "--pause", "-vv"], pre=["unshare", "--pid", "--fork", "--mount-proc"],
             strace=strace)
    res = {"why": ""}
    tp = child_of(r.p.pid)
    # Not before tether runs and has set up ("pausing"): a TERM sent to
    # strace's half, before its exec of tether, would be lost.  Without the
    # line (its write injected), 3 s after the exec.
    if tp and blocked(tp, 5) and (r.wait_out("pausing", 3) or True):
        # Orphans re-parented to tether as PID 1, to be reaped.
        subprocess.run(["nsenter", "-t", str(tp), "-p", "-m", "sh", "-c",
                        "%s 0.01 & %s 0.01 & %s 0.02 &" % (sl, sl, sl)],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=5 * SLOW)
        end = time.monotonic() + 3 * SLOW
        while time.monotonic() < end and r.poll() is None:
            if not procs_with(sl):
                break
            r.pump(0.01)
        if procs_with(sl):
            res["why"] = "orphans not reaped: %s" % procs_with(sl)
        if r.poll() is None:
            os.kill(tp, signal.SIGTERM)
    rc = r.wait(15)
    res.update(rc=rc, out=r.text())
    r.kill()
    res["ok"] = rc == 0 and not res["why"]
    if rc != 0:
        res["why"] = (res["why"] + "; " if res["why"] else "") + "exit %s, not 0" % status_of(rc)
    return res


SC_TETHER_PAUSE = dict(role="tether", run=sc_tether_pause, clean={111},
                       what="tether --pause as PID 1; three orphans reaped; TERM; 0")

CONTAINER = ["unshare", "--pid", "--fork", "--mount", "--mount-proc", "--net", "--ipc", "--uts", "--cgroup"]
DROP = ["setpriv", "--reuid", "107", "--regid", "107", "--clear-groups", "--inh-caps=-all",
        "--bounding-set=-all", "--"]


def container(d, strace=None):
    os.chmod(d, 0o755)
    run = os.path.join(d, "run")
    os.mkdir(run)
    os.chmod(run, 0o777)
    sock = os.path.join(run, "ph.sock")
    r = Role([BUILD + "/tether", "--placeholder", "--socket", sock, "-vv", "--log-format", "text"],
             pre=CONTAINER + DROP, strace=strace)
    return r, sock


def ns_child(ph, d, argv):
    """Starts argv as root in the container, an orphan child of its PID 1;
    returns its host pid."""
    out = subprocess.run(["nsenter", "-t", str(ph), "-p", "-m", "-n", "-i", "-u", "--", "sh", "-c",
                          '"$@" </dev/null >/dev/null 2>&1 & echo $!', "sh"] + argv,
                         capture_output=True, text=True, timeout=5 * SLOW).stdout.strip()
    end = time.monotonic() + 5 * SLOW
    while time.monotonic() < end:
        for p in procs_with(d):
            try:
                with open("/proc/%d/status" % p) as f:
                    nspid = [l.split()[-1] for l in f if l.startswith("NSpid:")]
            except OSError:
                continue
            if nspid and nspid[0] == out:
                return p
        time.sleep(0.005)
    return None


def sc_placeholder(d, strace):
    rec = os.path.join(d, "rec")
    r, sock = container(d, strace)
    res = {"why": ""}
    ph = child_of(r.p.pid)
    # Ready: the line, or (its write refused) the socket.
    if (r.wait_out("listening on", 5) or wait_path(sock, 1, r)) and r.poll() is None and ph:
        v = ns_child(ph, d, [BUILD + "/helpers/sigrecord", rec, "TERM"]) if ph else None
        if v and wait_path(rec, 5, r):
            ans = subprocess.run([BUILD + "/helpers/vfs_register", "--channel", sock, str(v)],
                                 capture_output=True, text=True, timeout=10 * SLOW).stdout.strip()
            if not ans.startswith("OK"):
                # The registrant is told (tether-enter then kills its
                # program and exits 11): a clean refusal, if the
                # placeholder did not register it all the same.
                res["refused"] = ans or "no answer"
        else:
            res["why"] = "no virtiofsd stand-in"
    if r.poll() is None and ph:
        try:
            os.kill(ph, signal.SIGTERM)
        except ProcessLookupError:
            pass
    rc = r.wait(15)
    res.update(rc=rc, out=r.text())
    r.kill()
    got = open(rec).read().split() if os.path.exists(rec) else []
    if res.get("refused") and "virtiofsd registered" in res["out"]:
        res["why"] = "registered virtiofsd, but the registrant was told %r" % res["refused"]
    elif res.get("refused"):
        res["why"] = "registration refused: %r" % res["refused"]
    elif not res["why"] and got != ["ready", "15"]:
        res["why"] = "virtiofsd got %s, not TERM" % got
    if os.path.lexists(sock):
        res.setdefault("left", []).append("socket " + sock)
    if rc != 0 and not res["why"]:
        res["why"] = "exit %s, not 0" % status_of(rc)
    res["ok"] = rc == 0 and not res["why"]
    return res


SC_PLACEHOLDER = dict(role="tether --placeholder", run=sc_placeholder, clean={1, 111, 143},
                      what="placeholder (uid 107, PID 1); root virtiofsd stand-in registered with the stop channel; TERM reaches it; 0; socket removed")


def cgroups(d):
    """A fresh cgroup per mounted hierarchy (v2, or v1 pids+memory)."""
    name = "tether-faults-%d-%s" % (os.getpid(), os.path.basename(d))
    dirs = []
    with open("/proc/self/mounts") as f:
        mounts = [l.split() for l in f]
    for m in mounts:
        if not m[1].startswith("/sys/fs/cgroup"):
            continue
        if m[2] == "cgroup2" or m[2] == "cgroup" and ({"pids", "memory"} & set(m[3].split(","))):
            p = os.path.join(m[1], name)
            os.mkdir(p)
            dirs.append(p)
    return dirs


def sc_enter(d, strace):
    rec = os.path.join(d, "rec")
    dirs = cgroups(d)
    res = {"why": ""}
    pre = ["sh", "-c", 'for c in $1; do echo $$ >"$c/cgroup.procs" || exit 1; done; shift; exec "$@"',
           "sh", " ".join(dirs)]
    os.chmod(d, 0o755)
    run = os.path.join(d, "run")
    os.mkdir(run)
    os.chmod(run, 0o777)
    sock = os.path.join(run, "ph.sock")
    c = Role([BUILD + "/tether", "--placeholder", "--socket", sock, "-vv", "--log-format", "text"],
             pre=pre + CONTAINER + DROP)
    try:
        if not c.wait_out("listening on", 5):
            return dict(rc=None, ok=False, why="harness: the container did not start", out=c.text(),
                        harness=True)
        ph = child_of(c.p.pid)
        e = Role([BUILD + "/tether-enter", "--pid", str(ph),
                  "-e", "FAKE_RECORD=" + rec, "--", BUILD + "/helpers/fake_virtiofsd"], strace=strace)
        rc = e.wait(30)
        res.update(rc=rc, out=e.text())
        e.kill()
        alive = c.poll() is None
        if rc == 0:
            if not wait_path(rec, 5):
                res["why"] = "exit 0 but virtiofsd never ran"
        elif not alive:
            res["why"] = "a failed launch ended the container"
        # The container's stop: with a registered virtiofsd, its code (the
        # stand-in is killed by TERM: 143); without, 0.
        if alive:
            try:
                os.kill(ph, signal.SIGTERM)
            except ProcessLookupError:
                pass
        crc = c.wait(10)
        if crc is None:
            res["why"] = res["why"] or "the container did not stop after the launch"
        elif rc == 0 and crc != 143 and not res["why"]:
            res["why"] = "exit 0 but the container ended %s, not 143 (virtiofsd not registered?)" % status_of(crc)
        elif rc != 0 and crc not in (0, 143):
            res["why"] = res["why"] or "container ended %s after a failed launch" % status_of(crc)
        res["ok"] = rc == 0 and not res["why"]
        return res
    finally:
        c.kill()
        kill_all(d)
        for p in dirs:
            for _ in range(50):
                try:
                    os.rmdir(p)
                    break
                except OSError:
                    time.sleep(0.02)


SC_ENTER = dict(role="tether-enter", run=sc_enter, clean={3, 4, 5, 7, 8, 9, 10, 11},
                what="tether-enter --pid into a placeholder container (own cgroups); fake virtiofsd started and registered; container's TERM ends it: 143")


def sc_container_disk(d, strace):
    disks = os.path.join(d, "disks")
    os.mkdir(disks)
    hp = os.path.join(disks, "hp")
    r = Role([BUILD + "/container-disk", "--copy-path", hp, "--manage", "--no-seccomp"], strace=strace)
    res = {"why": ""}
    if wait_path(hp + ".sock", 5, r) and (r.wait_out("listening on", 3) or True) and r.poll() is None:
        n_ok = 0
        for _ in range(20):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(2 * SLOW)
            try:
                s.connect(hp + ".sock")
                n_ok += 1
            except OSError:
                pass
            s.close()
        vols = []
        for i in range(3):
            v = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            v.bind(os.path.join(disks, "vol%d.sock" % i))
            v.listen(1)
            vols.append(v)
        r.wait_out("appeared: .*vol2.sock", 3)
        os.unlink(os.path.join(disks, "vol0.sock"))
        r.wait_out("disappeared: .*vol0.sock", 3)
        for v in vols:
            v.close()
        if n_ok != 20 and r.poll() is None:
            res["why"] = "%d of 20 connections taken" % n_ok
    if r.poll() is None:
        r.p.send_signal(signal.SIGTERM)
    rc = r.wait(10)
    res.update(rc=rc, out=r.text())
    r.kill()
    left = [f for f in os.listdir(disks) if f.endswith(".sock")]
    if left:
        res["left"] = ["socket " + os.path.join(disks, f) for f in left]
    if rc != 0 and not res["why"]:
        res["why"] = "exit %s, not 0" % status_of(rc)
    res["ok"] = rc == 0 and not res["why"]
    return res


SC_CONTAINER_DISK = dict(role="container-disk", run=sc_container_disk, clean={1},
                         what="container-disk --manage (no seccomp: strace's injection and a filter do not mix); 20 connections; 3 volume sockets come, 1 goes; TERM; 0, every socket removed")

EVENT = '{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-reset"}}'
LINE = '{"event":"SHUTDOWN","details":"{\\"guest\\":true,\\"reason\\":\\"guest-reset\\"}"}'


def sup_env(d):
    b = os.path.join(d, "bin")
    for x in ("bin", "run", "disks"):
        os.mkdir(os.path.join(d, x))
    for n in ("virtlogd", "virtqemud", "main"):
        os.symlink(BUILD + "/helpers/fakedaemon", os.path.join(b, n))
    env = dict(os.environ, FAKE_DIR=d, FAKE_SOCK_virtlogd=d + "/run/virtlogd-sock",
               FAKE_SOCK_virtqemud=d + "/run/virtqemud-sock",
               FAKE_WRITE_main="%s/run/virtlogd.conf %s/run/virtqemud.conf" % (d, d))
    opts = ["--log-format", "json", "--no-prepare", "--no-seed",
            "--termination-log", d + "/tl", "--event-socket", d + "/ev.sock",
            "--virtlogd", b + "/virtlogd", "--virtqemud", b + "/virtqemud",
            "--virtlogd-conf", d + "/run/virtlogd.conf", "--virtqemud-conf", d + "/run/virtqemud.conf",
            "--virtlogd-socket", d + "/run/virtlogd-sock", "--virtqemud-socket", d + "/run/virtqemud-sock",
            "--cleanup-glob", d + "/disks/*.sock", "--backoff", "0.01"]
    return env, opts, b


def starts(d, name):
    try:
        with open(os.path.join(d, name + ".log")) as f:
            return [int(m.group(1)) for m in re.finditer(r"^start pid=(\d+)", f.read(), re.M)]
    except OSError:
        return []


def sc_supervise(d, strace):
    env, opts, b = sup_env(d)
    disk = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    disk.bind(d + "/disks/a.sock")
    r = Role([BUILD + "/tether-supervise"] + opts + ["--", b + "/main"], strace=strace, env=env)
    res = {"why": ""}
    acked = False
    # Ready: the line, or (its write refused) virtqemud's socket.
    if (r.wait_out("virtqemud is ready", 10) or wait_path(d + "/run/virtqemud-sock", 1, r)) and r.poll() is None:
        first = starts(d, "virtlogd")
        if first:
            os.kill(first[-1], signal.SIGKILL)
            end = time.monotonic() + 5 * SLOW
            while len(starts(d, "virtlogd")) < 2 and time.monotonic() < end and r.poll() is None:
                r.pump(0.01)
            if len(starts(d, "virtlogd")) < 2 and r.poll() is None:
                res["why"] = "virtlogd not restarted"
        if r.poll() is None:
            s = subprocess.run([BUILD + "/tether-supervise", "--send-event", d + "/ev.sock", EVENT],
                               capture_output=True, text=True, timeout=15 * SLOW)
            acked = s.returncode == 0
            res["event"] = "acked" if acked else "refused (%d): %s" % (s.returncode, s.stderr.strip())
    if r.poll() is None:
        r.p.send_signal(signal.SIGTERM)
    rc = r.wait(20)
    res.update(rc=rc, out=r.text())
    r.kill()
    disk.close()
    tl = open(d + "/tl", "rb").read() if os.path.exists(d + "/tl") else b""
    lines = tl.split(b"\n")
    if tl and not tl.endswith(b"\n"):
        res["why"] = "termination log ends in a cut line: %r" % tl[-80:]
    for l in lines[:-1]:
        try:
            o = json.loads(l)
            assert isinstance(o["event"], str) and isinstance(o["details"], str)
        except Exception:
            res["why"] = "corrupt termination-log line %r" % l[:120]
    if acked and LINE.encode() not in lines:
        res["why"] = "event acknowledged but its line is not in the termination log"
    if os.path.lexists(d + "/disks/a.sock"):
        res.setdefault("left", []).append("socket disks/a.sock")
    if rc != 0 and not res["why"]:
        res["why"] = "exit %s, not 0" % status_of(rc)
    res["ok"] = rc == 0 and not res["why"]
    if res["ok"] and not acked:
        res["ok"] = False
        res["degraded"] = "the event was refused to its sender: " + res.get("event", "")
    return res


SC_SUPERVISE = dict(role="tether-supervise", run=sc_supervise, clean={3, 5, 111}, awaits_main=True,
                    what="tether-supervise, both fake daemons ready; virtlogd killed and restarted; a SHUTDOWN event sent; TERM: ordered stop, 0, the line in the termination log, the cleanup-glob socket removed")

SCENARIOS = {
    "tether-run": SC_TETHER_RUN,
    "tether-pause": SC_TETHER_PAUSE,
    "placeholder": SC_PLACEHOLDER,
    "enter": SC_ENTER,
    "container-disk": SC_CONTAINER_DISK,
    "supervise": SC_SUPERVISE,
}

# ---- the driver --------------------------------------------------------

CRASH = {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGABRT, signal.SIGFPE, signal.SIGSYS,
         signal.SIGTRAP}


def run_once(name, sc, inject=None):
    """One run in a fresh directory, under the test lock."""
    d = tempfile.mkdtemp(prefix="run-", dir=SCRATCH)
    log = os.path.join(d, "strace.log")
    os.close(os.open(log, os.O_CREAT | os.O_WRONLY, 0o666))
    os.chmod(log, 0o666)  # strace may run as uid 107 (the placeholder)
    st = [log]
    if inject:
        st += ["-e", "inject=%s:error=%s:when=%d" % inject + (":delay_enter=%d" % DELAY[0] if DELAY[0] else "")]
    t0 = time.monotonic()
    try:
        res = sc["run"](d, st)
    except Exception as ex:  # a harness failure is reported, not hidden
        res = dict(rc=None, ok=False, why="harness: %r" % ex, out="", harness=True)
    finally:
        res_left = procs_with(d)
        kill_all(d)
    res["secs"] = time.monotonic() - t0
    if res_left:
        res.setdefault("left", []).append("processes %s" % res_left)
    try:
        res["trace"] = open(log, errors="replace").read()
    except OSError:
        res["trace"] = ""
    shutil.rmtree(d, ignore_errors=True)
    return res


def count_calls(trace):
    """syscall -> times called, from an strace -o log of one process."""
    counts = {}
    for line in trace.splitlines():
        m = re.match(r"(?:\d+ +)?([a-z_0-9]+)\(", line)
        if m:
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
        elif "resumed>" in line:
            continue
    return counts


def classify(sc, res, inject):
    """expected | clean | defect | unreached, and one line why."""
    sysc, err, _ = inject
    tr = res.get("trace", "")
    rc = res.get("rc")
    killed = re.search(r"\+\+\+ killed by (SIG[A-Z0-9]+)", tr)
    if res.get("harness"):
        return "defect", res["why"]
    if rc is None and sc.get("awaits_main") and sysc == "kill":
        named = next((l for l in res.get("out", "").splitlines() if strerror(err) in l), None)
        if named or err == "ESRCH":
            # The stop's TERM to MAIN refused (said in a line; ESRCH means
            # "gone" and is ignored): MAIN is awaited with no bound of its
            # own, as virt-launcher-monitor does; kubelet's grace period
            # is the bound.
            return "clean", "TERM to MAIN refused, MAIN awaited (kubelet's grace bounds it)"
    if rc is None:
        return "defect", "hang: still running past its bound"
    if killed and getattr(signal, killed.group(1), None) in CRASH:
        return "defect", "crash: " + killed.group(1)
    if rc < 0 and -rc in CRASH or rc >= 128 + 4 and rc - 128 in CRASH and rc != 143:
        return "defect", "crash: exit %s" % status_of(rc)
    named = next((l for l in res.get("out", "").splitlines() if strerror(err) in l or err in l), None)
    if not named and err in SAYS:
        named = next((l for l in res.get("out", "").splitlines() if re.search(SAYS[err], l)), None)
    if res.get("left") and err == "ENOENT" and sysc in REMOVAL and \
            not any(x.startswith("processes") for x in res["left"]):
        # ENOENT on a file that exists contradicts the filesystem: it
        # says "already gone", and a role that believes it is right.
        return "clean", "ENOENT taken as already removed: " + ", ".join(res["left"])
    if res.get("left"):
        # A removal at exit that the kernel refused, and said so.
        if sysc in REMOVAL and named and rc in sc["clean"] | {0} and \
                not any(x.startswith("processes") for x in res["left"]):
            return "clean", "left %s: %s" % (", ".join(res["left"]), named.strip()[:120])
        return "defect", "left behind: " + ", ".join(res["left"])
    if "registered virtiofsd, but" in res.get("why", ""):
        return "defect", res["why"]
    if res.get("refused") and rc in (0, 143):
        return "clean", res["why"]
    if "(INJECTED)" not in tr:
        return ("expected" if res["ok"] else "unreached"), "not injected (path not taken)" + (
            "" if res["ok"] else ": " + res["why"])
    if res["ok"]:
        return "expected", ""
    if res.get("alt"):
        return "clean", res["alt"]
    if res.get("degraded"):
        return "clean", res["degraded"]
    if rc in sc["clean"]:
        text = res.get("out", "")
        want = strerror(err)
        line = next((l for l in text.splitlines() if want in l or err in l or
                     err in SAYS and re.search(SAYS[err], l)), None)
        if line:
            return "clean", line.strip()[:160]
        warn = next((l for l in text.splitlines() if re.search(r"error|warn", l)), None)
        if warn:
            return "unnamed", "exit %d, errno not named: %s" % (rc, warn.strip()[:140])
        return "defect", "exit %d (documented) but no line says why" % rc
    return "defect", res["why"] or "exit %s" % status_of(rc)


def indices(n, cap, smoke):
    if smoke:
        return [1]
    if n <= max(cap, 1):
        return list(range(1, n + 1))
    head = list(range(1, max(cap // 2, 1) + 1))
    rest = cap - len(head)
    step = (n - head[-1]) / rest
    return head + sorted({min(n, int(round(head[-1] + step * (i + 1)))) for i in range(rest)})


def result_line(word, text):
    path = os.environ.get("TETHER_RESULTS")
    if path:
        with open(path, "a") as f:
            f.write("%s %s\n" % (word, text))


def run_scenario(name, smoke, cap, budget, out):
    sc = SCENARIOS[name]
    base = run_once(name, sc)
    counts = count_calls(base["trace"])
    if not base["ok"] or base.get("left"):
        msg = "%s: the scenario fails without any fault: %s %s (exit %s)\n%s" % (
            name, base["why"], base.get("left", ""), status_of(base.get("rc")), base.get("out", "")[-2000:])
        print("FAIL " + msg)
        result_line("FAIL", "faults/%s:baseline: %s" % (name, base["why"] or base.get("left")))
        return {"scenario": name, "baseline": False, "why": msg}
    print("== %s: %s" % (name, sc["what"]))
    print("   baseline: %d calls of %d syscalls in %.1f s: %s" % (
        sum(counts.values()), len(counts), base["secs"],
        " ".join("%s×%d" % kv for kv in sorted(counts.items()))), flush=True)
    plan = []
    skipped = []
    for s, n in sorted(counts.items()):
        if s not in ERRNOS:
            skipped.append(s)
            continue
        errs = ERRNOS[s].split()
        for i in indices(n, cap, smoke):
            for e in errs[:1] if smoke else errs:
                plan.append((s, e, i))
    if ONLY:
        plan = [p for p in plan if (p[0], p[1], p[2]) in ONLY] or [(s_, e_, i_) for s_, e_, i_ in ONLY]
    print("   plan: %d runs; not injected (no errno in the table): %s" % (len(plan), " ".join(skipped)),
          flush=True)
    t0 = time.monotonic()
    tally = {"expected": 0, "clean": 0, "unnamed": 0, "defect": 0, "unreached": 0}
    groups = {}
    defects = []
    done = 0
    for inj in plan:
        if budget and time.monotonic() - t0 > budget:
            break
        res = run_once(name, sc, inj)
        kind, why = classify(sc, res, inj)
        tally[kind] += 1
        done += 1
        groups.setdefault(inj[0], []).append(kind)
        print("   %-9s %s:%s@%d exit %s %.1fs %s" % (kind, inj[0], inj[1], inj[2], status_of(res.get("rc")),
                                                  res["secs"], why), flush=True)
        if kind == "defect":
            defects.append(dict(inject="%s:%s@%d" % inj, why=why, out=res.get("out", "")[-1500:]))
            sys.stdout.write("      output: " + res.get("out", "")[-800:].replace("\n", "\n      ") + "\n")
    for s, kinds in sorted(groups.items()):
        word = "FAIL" if "defect" in kinds or STRICT[0] and "unnamed" in kinds else "PASS"
        result_line(word, "faults/%s:%s (%d runs: %s)" % (
            name, s, len(kinds), ", ".join("%d %s" % (kinds.count(k), k) for k in
                                           ("expected", "clean", "unnamed", "defect", "unreached") if kinds.count(k))))
    left = len(plan) - done
    summary = dict(scenario=name, role=sc["role"], what=sc["what"], baseline=True,
                   syscalls=len(counts), calls=sum(counts.values()), counts=counts, not_injected=skipped,
                   planned=len(plan), runs=done, not_run=left, secs=round(time.monotonic() - t0), **tally,
                   defects=defects)
    print("   %s: %d runs (%d planned, %d not run: budget): %d expected, %d clean, %d unnamed, %d defect, %d unreached" % (
        name, done, len(plan), left, tally["expected"], tally["clean"], tally["unnamed"], tally["defect"],
        tally["unreached"]),
        flush=True)
    return summary


def main(argv):
    smoke = "--smoke" in argv
    cap, budget, report, names = 40, 0, None, []
    it = iter(argv)
    for a in it:
        if a == "--smoke":
            continue
        elif a == "--strict":
            STRICT[0] = True
        elif a == "--lock":
            global USE_LOCK
            USE_LOCK = True
        elif a == "--max-index":
            cap = int(next(it))
        elif a == "--budget":
            budget = float(next(it))
        elif a == "--report":
            report = next(it)
        elif a == "--only":
            f_ = next(it).split(":")
            ONLY.append((f_[0], f_[1], int(f_[2])))
            if len(f_) > 3:
                DELAY[0] = int(f_[3])
        elif a == "--list":
            for n, sc in SCENARIOS.items():
                print("%-15s %s" % (n, sc["what"]))
            return 0
        elif a in SCENARIOS:
            names.append(a)
        elif a == "all":
            names += list(SCENARIOS)
        else:
            print("faults.py: unknown argument %r (try --list)" % a, file=sys.stderr)
            return 2
    if not shutil.which("strace"):
        print("SKIP: strace is not installed")
        result_line("SKIP", "faults: strace is not installed")
        return 0
    os.makedirs(SCRATCH, exist_ok=True)
    os.chmod(SCRATCH, 0o755)
    out = []
    for n in names:
        # --lock: the scenario's whole matrix under the shared test lock
        # (the suites find processes by machine-wide patterns).
        lock = open(LOCK, "a") if USE_LOCK else None
        if lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            out.append(run_scenario(n, smoke, cap, budget, None))
        finally:
            if lock:
                lock.close()
    if report:
        with open(report, "w") as f:
            json.dump(dict(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), smoke=smoke, cap=cap,
                           scenarios=out), f, indent=1)
    bad = [s for s in out if not s.get("baseline") or s.get("defect") or STRICT[0] and s.get("unnamed")]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
