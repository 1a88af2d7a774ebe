BINS += tether-enter
tether-enter_SRCS := $(wildcard cgroup/*.c)
TEST_HELPERS += $(BUILD)/helpers/fake_virtiofsd $(BUILD)/helpers/vfs_register \
	$(BUILD)/helpers/backlog_fill $(BUILD)/helpers/setns_nopidfd \
	$(BUILD)/helpers/fortify_trap $(BUILD)/helpers/hostile_vfsd $(BUILD)/helpers/connflood

# tether-enter runs as root on the host: it is built, with a copy of lib/
# of its own, with the stack protector and buffer-size checks.  glibc has
# _FORTIFY_SOURCE; musl's headers implement none of it, so there
# lib/fortify.h does the checks (a -D_FORTIFY_SOURCE alone would be a lie).
ifneq ($(findstring musl,$(CC)),)
ENTER_HARDEN := -fstack-protector-strong -include lib/fortify.h
else
ENTER_HARDEN := -fstack-protector-strong -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2
endif
tether-enter_CFLAGS := $(ENTER_HARDEN)
tether-enter_LIB := $(BUILD)/enter/libtether.a

$(BUILD)/enter/%.o: %.c $(BUILD)/cc.id | $(KINC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TCFLAGS) $(ENTER_HARDEN) -MMD -MP -c -o $@ $<
-include $(wildcard $(BUILD)/enter/lib/*.d)

$(tether-enter_LIB): $(LIB_SRCS:%.c=$(BUILD)/enter/%.o)
	rm -f $@
	$(AR) rcs $@ $^

# Built as tether-enter is, to show its checks trap (tests/virtiofs).
# private: the flags must not reach the shared lib/ it links.
$(BUILD)/helpers/fortify_trap: private TCFLAGS += $(ENTER_HARDEN)
