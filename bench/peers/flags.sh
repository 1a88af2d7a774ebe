# Sourced by bench/peers/build.sh and bench/bench_sockets.sh: the flags a
# peer is built with so that it stands beside tether like for like (musl,
# static, the size flags of tether's Makefile: -Os, function/data sections,
# --gc-sections, stripped, no RELRO padding, no build id).
PEER_FLAGS="-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-stack-protector
	-static -s -Wl,--gc-sections -Wl,-z,noseparate-code -Wl,-z,norelro -Wl,--build-id=none"
