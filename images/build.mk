# images/: FROM-scratch images for every role (images/build.sh) and the compute
# image's MAIN, the launcher (images/launcher.c).
LAUNCHER := $(BUILD)/images/launcher
TEST_HELPERS += $(LAUNCHER)

$(LAUNCHER): images/launcher.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TCFLAGS) $(LDFLAGS) -o $@ $^

# Builds the images whose binaries exist in $(BUILD) and prints their sizes.
images: all
	TETHER_IMAGE_BUILD=$(BUILD) images/build.sh

.PHONY: images
