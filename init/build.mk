BINS += tether
tether_SRCS := $(wildcard init/*.c)
TEST_HELPERS += $(BUILD)/helpers/sigrecord $(BUILD)/helpers/sigstate
# Benchmark programs (bench/bench_init.sh).
TEST_HELPERS += $(BUILD)/helpers/orphanstorm $(BUILD)/helpers/sigpingpong
