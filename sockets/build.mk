BINS += container-disk
container-disk_SRCS := $(wildcard sockets/*.c)
container-disk_DEPS := $(BUILD)/gen/sockets_filter.h
SECCOMP_ACTION_sockets := errno
TEST_HELPERS += $(BUILD)/helpers/sockclient
TEST_HELPERS += $(BUILD)/helpers/jail
