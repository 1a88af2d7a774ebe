#!/usr/bin/python3
"""dying_placeholder.py --placeholder --socket SOCKET ...: a placeholder that
dies as the reservation reaches it, started where start_container starts
tether (PID 1 of the container, uid 107).

It listens on SOCKET, logs "listening on" to stderr, takes one connection,
reads the reservation and resets the connection (SO_LINGER 0), then lives
100 ms more and exits 0: the reset reaches tether-enter before the kernel
marks the process exited, as when a real placeholder is killed mid-launch."""
import socket, struct, sys, time

path = sys.argv[sys.argv.index("--socket") + 1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(4)
print("dying_placeholder: listening on " + path, file=sys.stderr, flush=True)
c, _ = s.accept()
c.recv(256)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
s.close()
time.sleep(0.1)
