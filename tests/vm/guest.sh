#!/bin/bash
# Runs inside a tests/vm VM, as the child of tether (PID 1): mounts the
# cgroup shape of VM_MODE as the node's init would, places itself in a
# service cgroup as systemd does, runs the suites with their results named
# vm-<mode>/..., writes them to /run/out and powers the VM off.
set -u
. /run/out/env
# /usr/bin first: a name looked up in vain costs a 9p round trip each time.
export PATH=/usr/bin:/usr/sbin:/usr/local/bin:/usr/local/sbin:/bin:/sbin
export HOME=/root LANG=C.UTF-8
OUT=/run/out
echo "booted $(cut -d' ' -f1 /proc/uptime)" >"$OUT/times"
CG=/sys/fs/cgroup

# v2 as systemd mounts it: every controller enabled from the root down to
# system.slice; this runner in system.slice/vm-tests.service, PID 1 in
# init.scope.
mount_v2() {
	mount -t cgroup2 -o nsdelegate cgroup2 $CG || return 1
	local c
	for c in $(cat $CG/cgroup.controllers); do
		echo "+$c" >$CG/cgroup.subtree_control || return 1
	done
	mkdir $CG/init.scope $CG/system.slice $CG/system.slice/vm-tests.service
	echo 1 >$CG/init.scope/cgroup.procs
	for c in $(cat $CG/system.slice/cgroup.controllers); do
		echo "+$c" >$CG/system.slice/cgroup.subtree_control || return 1
	done
	echo $$ >$CG/system.slice/vm-tests.service/cgroup.procs
}

# v1 as CentOS 7 mounts it: a tmpfs with one hierarchy per controller,
# cpu,cpuacct and net_cls,net_prio combined (with their short names as
# links), and systemd's named hierarchy.
mount_v1() {
	mount -t tmpfs -o mode=0755 cgroup $CG || return 1
	local c dir
	for c in $(awk 'NR > 1 && $4 == 1 { print $1 }' /proc/cgroups); do
		case $c in
		cpu|cpuacct) dir=cpu,cpuacct ;;
		net_cls|net_prio) dir=net_cls,net_prio ;;
		*) dir=$c ;;
		esac
		[ -d $CG/$dir ] && continue
		mkdir $CG/$dir
		mount -t cgroup -o "$dir" cgroup $CG/$dir || return 1
	done
	ln -s cpu,cpuacct $CG/cpu && ln -s cpu,cpuacct $CG/cpuacct
	ln -s net_cls,net_prio $CG/net_cls && ln -s net_cls,net_prio $CG/net_prio
	mkdir $CG/systemd
	mount -t cgroup -o none,name=systemd cgroup $CG/systemd || return 1
	mkdir -p $CG/systemd/system.slice/vm-tests.service
	echo $$ >$CG/systemd/system.slice/vm-tests.service/cgroup.procs
}

# hybrid: v1 as above plus systemd's empty cgroup2 at /sys/fs/cgroup/unified.
mount_hybrid() {
	mount_v1 || return 1
	mkdir $CG/unified
	mount -t cgroup2 -o nsdelegate cgroup2 $CG/unified || return 1
	mkdir -p $CG/unified/system.slice/vm-tests.service
	echo $$ >$CG/unified/system.slice/vm-tests.service/cgroup.procs
}

finish() {
	echo "suites $(cut -d' ' -f1 /proc/uptime)" >>"$OUT/times"
	touch "$OUT/done"
	sync
	echo o >/proc/sysrq-trigger
	sleep 60
}

if ! "mount_$VM_MODE"; then
	echo "FAIL ${VM_PREFIX%/}: could not set up the cgroup mounts of mode $VM_MODE" >>"$OUT/results"
	finish
fi
{ echo "== $VM_MODE: $(uname -r)"; grep cgroup /proc/self/mounts; cat /proc/self/cgroup; } >"$OUT/cgroups"
cd "$VM_ROOT"
# Emulated (TCG), the suites run 13 to 30 times slower than on the host
# (a process start costs about 30 ms): the suites' deadlines grow and their
# stress counts shrink by TETHER_SLOW (tests/lib/common.sh), and a suite's
# limit grows to match.
export TETHER_SLOW=$VM_SLOW
TETHER_SUITE_TIMEOUT=$((300 * VM_SLOW)) \
TETHER_BUILD=$VM_BUILD TETHER_RESULT_PREFIX=$VM_PREFIX TETHER_RESULTS_FILE=$OUT/results \
	tests/run $VM_SUITES
finish
