# images/: FROM-scratch images for every role (images/build.sh) and the compute
# image's MAIN, the launcher (images/launcher.c).
LAUNCHER := $(BUILD)/images/launcher
TEST_HELPERS += $(LAUNCHER)

$(LAUNCHER): images/launcher.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TCFLAGS) $(LDFLAGS) -o $@ $^

# Builds the images whose binaries exist in $(BUILD) and prints their sizes; with
# ARCH=arm64 (or s390x) that architecture's, tagged :<arch>.  images-all: every
# architecture's, and an OCI image index of each image, <repository>:multiarch.
images: all
	TETHER_IMAGE_BUILD=$(BUILD) TETHER_IMAGE_ARCH=$(ARCH) images/build.sh

images-all: images
	for a in $(OTHER_ARCHES); do $(MAKE) ARCH=$$a images || exit 1; done
	images/build.sh --index

.PHONY: images images-all
