BINS += tether-enter
tether-enter_SRCS := $(wildcard cgroup/*.c)
TEST_HELPERS += $(BUILD)/helpers/fake_virtiofsd $(BUILD)/helpers/vfs_register \
	$(BUILD)/helpers/backlog_fill
