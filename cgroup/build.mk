BINS += tether-enter
tether-enter_SRCS := $(wildcard cgroup/*.c)
TEST_HELPERS += $(BUILD)/helpers/fake_virtiofsd $(BUILD)/helpers/vfs_register \
	$(BUILD)/helpers/backlog_fill $(BUILD)/helpers/setns_nopidfd \
	$(BUILD)/helpers/fortify_trap

# tether-enter runs as root on the host: it is built, with a copy of lib/
# of its own, with the stack protector and buffer-size checks.  glibc has
# _FORTIFY_SOURCE; musl's headers implement none of it, so there
# lib/fortify.h does the checks (a -D_FORTIFY_SOURCE alone would be a lie).
ifneq ($(findstring musl,$(CC)),)
ENTER_HARDEN := -fstack-protector-strong -include lib/fortify.h
else
ENTER_HARDEN := -fstack-protector-strong -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2
endif
tether-enter_LIB := $(BUILD)/enter/libtether.a
ENTER_OBJS := $(tether-enter_SRCS:%.c=$(BUILD)/%.o)
# private: the flags must not reach the shared lib/ objects these depend on.
$(ENTER_OBJS): private TCFLAGS += $(ENTER_HARDEN)
$(ENTER_OBJS): lib/fortify.h

$(BUILD)/enter/%.o: %.c $(wildcard lib/*.h) | $(KINC)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TCFLAGS) $(ENTER_HARDEN) -c -o $@ $<

$(tether-enter_LIB): $(LIB_SRCS:%.c=$(BUILD)/enter/%.o)
	rm -f $@
	$(AR) rcs $@ $^

# Built as tether-enter is, to show its checks trap (tests/virtiofs).
$(BUILD)/helpers/fortify_trap: private TCFLAGS += $(ENTER_HARDEN)
