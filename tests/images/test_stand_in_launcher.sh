#!/bin/bash
# The patched virt-launcher's C side in a real compute container (podman kube play, uid 107,
# read-only root, ALL dropped but NET_BIND_SERVICE): tether-supervise as PID 1 in its monitor
# drop-in runs the stand-in launcher (images/launcher --patched, its options from
# TETHER_LAUNCHER_ARGS as it would get them under /usr/bin/virt-launcher), which starts
# `tether-supervise --for-parent`, which runs virtlogd and libvirtd (standing in for virtqemud).
# Seen from the host: the process tree, libvirtd's one-variable environment naming the launcher,
# the launcher admitted by libvirtd; then the launcher sends SHUTDOWN (SIGUSR1) and exits, or dies
# (SIGUSR2), and the daemons stop in order. The container spec is what tether's pods need in
# their compute container to run the stand-in (images/kubevirt/README.md).
#
# Needs the podman lock: flock -o /tmp/tether-podman.lock flock -o /tmp/tether-test.lock ...
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$ROOT/tests/lib/common.sh"
. "$ROOT/images/lib.sh"

POD=tether-test-standin
CTR=$POD-compute

# The launcher image: tether-supervise answers to /usr/bin/virt-launcher-monitor there, and the
# stand-in is /usr/bin/virt-launcher.
IMAGE=localhost/tether-launcher:latest

oneTimeSetUp() {
	img_env
	UNAVAILABLE=$(img_unavailable_reason) || UNAVAILABLE=
	[ -z "$UNAVAILABLE" ] || return 0
	TETHER_IMAGE_BUILD=${TETHER_IMAGE_BUILD:-$ROOT/build} "$ROOT/images/build.sh" launcher >/dev/null ||
		BUILD_FAILED="images/build.sh launcher failed"
}

oneTimeTearDown() {
	[ -z "$UNAVAILABLE" ] || return 0
	img_cleanup
}

suite_setUp() {
	[ -z "$UNAVAILABLE" ] || { skip_test "$UNAVAILABLE"; return; }
	[ -z "${BUILD_FAILED:-}" ] || { fail "$BUILD_FAILED"; startSkipping; return; }
	install -o 107 -g 107 -m 0644 /dev/null "$T/termination-log"
	# The image's config, and the socket's directory: libvirtd gets no XDG_RUNTIME_DIR from
	# --for-parent (Deckhouse's one-variable environment) and would put it under $HOME/.cache.
	mkdir -m 0755 "$T/conf"
	{ cat "$ROOT/images/compute/virtqemud.conf"; echo 'unix_sock_dir = "/var/run/libvirt"'; } \
		>"$T/conf/virtqemud.conf"
	write_pod "$T/pod.yaml"
}

suite_tearDown() {
	[ -z "$UNAVAILABLE" ] || return 0
	img_cleanup
}

# What tether-supervise --for-parent gets from the stand-in (--supervise-arg each): the daemons
# of the compute image at its paths, the configs seeded from the image, the directories made.
SUP_ARGS="--virtqemud /usr/sbin/libvirtd --virtqemud-conf /var/run/libvirt/virtqemud.conf
--virtqemud-socket /var/run/libvirt/libvirt-sock --seed-from /etc/libvirt-init
--prepare-dir /var/run/libvirt --prepare-dir /var/log/libvirt
--prepare-dir /var/run/kubevirt-private/libvirt"

launcher_args() {
	local a out="--patched --config /etc/tether-test/virtqemud.conf --socket /var/run/libvirt/libvirt-sock"
	for a in $SUP_ARGS; do out="$out --supervise-arg $a"; done
	echo "$out"
}

# write_pod FILE: one compute container; the monitor's command line is KubeVirt's.
write_pod() {
	local vol
	{
		cat <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $POD
spec:
  restartPolicy: Never
  containers:
  - name: compute
    image: $IMAGE
    imagePullPolicy: Never
    command: ["/usr/bin/virt-launcher-monitor",
      "--qemu-timeout", "251s", "--name", "vm1", "--uid", "1234-abcd", "--namespace", "default",
      "--kubevirt-share-dir", "/var/run/kubevirt", "--container-disk-dir",
      "/var/run/kubevirt/container-disks", "--grace-period-seconds", "45", "--hook-sidecars", "0"]
    env:
    - {name: TETHER_LAUNCHER_ARGS, value: "$(launcher_args)"}
    securityContext:
      runAsUser: 107
      runAsGroup: 107
      runAsNonRoot: true
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      capabilities:
        drop: ["ALL"]
        add: ["NET_BIND_SERVICE"]
    volumeMounts:
YAML
		for vol in var-run:/var/run var-log:/var/log etc-libvirt:/etc/libvirt \
			var-lib-libvirt:/var/lib/libvirt var-cache-libvirt:/var/cache/libvirt tmp:/tmp \
			private:/var/run/kubevirt-private public:/var/run/kubevirt \
			libvirt-runtime:/var/run/libvirt; do
			echo "    - {name: $POD-${vol%%:*}, mountPath: ${vol#*:}}"
		done
		echo "    - {name: $POD-tl, mountPath: /dev/termination-log}"
		echo "    - {name: $POD-conf, mountPath: /etc/tether-test, readOnly: true}"
		echo "  volumes:"
		for vol in var-run var-log etc-libvirt var-lib-libvirt var-cache-libvirt tmp private \
			public libvirt-runtime; do
			echo "  - {name: $POD-$vol, emptyDir: {}}"
		done
		echo "  - {name: $POD-tl, hostPath: {path: $T/termination-log, type: File}}"
		echo "  - {name: $POD-conf, hostPath: {path: $T/conf, type: Directory}}"
	} >"$1"
}

# start: plays the pod and waits until libvirtd admitted the launcher; sets MON (PID 1), LAU,
# SUP, QEMUD, LOGD (host pids).
start() {
	pod_play "$T/pod.yaml" && pod_wait_running "$POD" 20 ||
		{ fail "the pod did not start: $(podman logs "$CTR" 2>&1 | tail -3)"; return 1; }
	ctr_wait_log "$CTR" 'has LIBVIRT_UNIX_SOCKET_AUTH_PID=[0-9]*: this launcher' 30 ||
		{ fail "the launcher was not admitted: $(podman logs "$CTR" 2>&1 | grep -v '"virtqemud"' | tail -5)"; return 1; }
	MON=$(ctr_pid "$CTR")
	LAU=$(pgrep -P "$MON")
	SUP=$(pgrep -P "$LAU")
	QEMUD=$(pgrep -P "$SUP" -x libvirtd)
	LOGD=$(pgrep -P "$SUP" -x virtlogd)
}

# ns_pid PID: PID as the container sees it.
ns_pid() {
	awk '/^NSpid/ { print $NF }' "/proc/$1/status"
}

# finish SIGNAL: sends it to the launcher, waits for the container's end; sets RC.
finish() {
	kill -"$1" "$LAU"
	timeout 30 podman wait "$CTR" >/dev/null || fail "the container did not end"
	RC=$(ctr_exit_code "$CTR")
	podman logs "$CTR" >"$T/log" 2>&1
}

stopped_in_order() {
	grep -o 'virtqemud exited (exit code 0)\|stopping virtlogd' "$T/log" | tr '\n' ' ' |
		grep -q '^virtqemud exited (exit code 0) stopping virtlogd'
}

test_the_process_tree() {
	isSkipping && return 0
	start || return
	assertEquals "PID 1 is tether-supervise" "1 tether-supervis" "$(ns_pid "$MON") $(cat "/proc/$MON/comm")"
	assertEquals "its child is the launcher" virt-launcher "$(cat "/proc/$LAU/comm")"
	assertEquals "the launcher's child is tether-supervise --for-parent" \
		"$(printf '%s\n' /usr/bin/tether-supervise --for-parent)" \
		"$(tr '\0' '\n' <"/proc/$SUP/cmdline" | head -2)"
	assertNotNull "libvirtd is its child" "$QEMUD"
	assertNotNull "virtlogd is its child" "$LOGD"
	assertEquals "libvirtd's environment: the launcher's pid, alone" \
		"LIBVIRT_UNIX_SOCKET_AUTH_PID=$(ns_pid "$LAU")" "$(tr '\0' '\n' <"/proc/$QEMUD/environ")"
	assertEquals "libvirtd has NET_BIND_SERVICE ambient" 0000000000000400 \
		"$(awk '/^CapAmb/ { print $2 }' "/proc/$QEMUD/status")"
	assertEquals "libvirtd runs as 107" 107 "$(awk '/^Uid/ { print $2 }' "/proc/$QEMUD/status")"
}

test_shutdown_event_then_exit() {
	isSkipping && return 0
	start || return
	finish USR1
	assertEquals "the container's code: the launcher's" 0 "$RC"
	assertEquals "the termination log, byte-exact" \
		'{"event":"SHUTDOWN","details":"{\"guest\":true,\"reason\":\"guest-shutdown\"}"}' \
		"$(cat "$T/termination-log")"
	assertTrue "libvirtd stopped before virtlogd" stopped_in_order
	assertTrue "the launcher waited for tether-supervise" "grep -q 'tether-supervise has stopped' '$T/log'"
}

test_launcher_dies() {
	isSkipping && return 0
	start || return
	finish USR2
	assertEquals "the container's code for a killed launcher (the monitor's 255)" 255 "$RC"
	assertTrue "its death noticed" "grep -q 'the parent (pid [0-9]*) has exited' '$T/log'"
	assertTrue "libvirtd stopped before virtlogd" stopped_in_order
	assertFalse "no SIGKILL needed" "grep -q 'grace period over' '$T/log'"
	assertEquals "nothing in the termination log" 0 "$(stat -c %s "$T/termination-log")"
}

. "$ROOT/tests/lib/run.sh"
