BINS += tether-supervise
tether-supervise_SRCS := $(wildcard supervisor/*.c)
TEST_HELPERS += $(BUILD)/helpers/fakedaemon
