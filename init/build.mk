BINS += tether
tether_SRCS := $(wildcard init/*.c)
