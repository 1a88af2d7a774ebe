# Sourced by bench/bench_init.sh: each init's command line for "run this"
# (CMD) and the peers in the order the tables list them (PEERS).  Two
# builds of each peer: Debian 12's own packages (tini-static and catatonit
# static with glibc, dumb-init dynamic) and the same sources built with
# musl, static, with tether's size flags (bench/peers/build.sh, which
# `make bench` runs; "-musl" in the name).  The musl rows compare like with
# like; the Debian rows show what a node installs today.
PEER_BIN=${TETHER_ROOT:-.}/build/peers/bin
declare -A CMD=(
	[tether]="$TETHER_BUILD/tether --"
	[tini-static]="tini-static --"
	[catatonit]="catatonit --"
	[dumb-init]="dumb-init"
	[tini-musl]="$PEER_BIN/tini --"
	[catatonit-musl]="$PEER_BIN/catatonit --"
	[dumb-init-musl]="$PEER_BIN/dumb-init"
)
PEERS="tini-musl catatonit-musl dumb-init-musl tini-static catatonit dumb-init"
# dumb-init: the mirror serves no debian.tar.xz for 1.2.5-2 (404), so
# build.sh uses the upstream tarball.  Debian's own changelog (installed
# with the package) shows that 1.2.5-1 dropped the last source patch and
# 1.2.5-2 changed only the watch file and Standards-Version: the C file is
# Debian's either way.  The row says which source was used.
if [ -e "$PEER_BIN/../src/dumb-init.note" ]; then
	echo "| dumb-init-musl: upstream 1.2.5 source (Debian's part is not served here; by Debian's changelog its only patch, to the tests, was dropped in 1.2.5-1) | | | | |"
fi
for p in tini-musl catatonit-musl dumb-init-musl; do
	if [ ! -x "${CMD[$p]%% *}" ]; then
		echo "| $p: not built (bench/peers/build.sh); its rows are left out | | | | |"
		PEERS=${PEERS/$p /}
	fi
done
