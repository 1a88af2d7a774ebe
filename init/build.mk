BINS += tether
tether_SRCS := $(wildcard init/*.c)
TEST_HELPERS += $(BUILD)/helpers/sigrecord $(BUILD)/helpers/sigstate
