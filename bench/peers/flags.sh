# Sourced by bench/peers/build.sh and bench/bench_sockets.sh: the flags a
# peer is built with so that it stands beside tether like for like (musl,
# static, the size flags of tether's Makefile: -Os, function/data sections,
# --gc-sections, stripped, no RELRO padding, a 32-byte common page, no
# build id).  tether's roles are also hardened (the Makefile's HARDEN: the
# stack protector and lib/fortify.h's buffer checks), which the peers'
# sources were not written for; the size rows therefore set each peer
# beside tether built without it too (bench/lib.sh's unhardened).
PEER_FLAGS="-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-stack-protector
	-static -s -Wl,--gc-sections -Wl,-z,noseparate-code -Wl,-z,norelro -Wl,-z,common-page-size=32
	-Wl,--build-id=none"
