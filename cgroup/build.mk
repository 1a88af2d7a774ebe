BINS += tether-enter
tether-enter_SRCS := $(wildcard cgroup/*.c)
TEST_HELPERS += $(BUILD)/helpers/fake_virtiofsd $(BUILD)/helpers/vfs_register \
	$(BUILD)/helpers/backlog_fill $(BUILD)/helpers/setns_nopidfd \
	$(BUILD)/helpers/fortify_trap $(BUILD)/helpers/hostile_vfsd $(BUILD)/helpers/connflood

# tether-enter runs as root on the host: it is built hardened as every
# role is (HARDEN in the Makefile), and links the one lib/ they all link.
# fortify_trap, built with the same flags, shows the checks trap
# (tests/virtiofs/test_enter_build.sh).
