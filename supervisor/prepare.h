/* Read-only root: the directories the daemons write to, inside the
 * writable emptyDirs, and /etc/libvirt seeded from the image's copy. */
#ifndef SUPERVISE_PREPARE_H
#define SUPERVISE_PREPARE_H

#include "config.h"

/* mkdir -p: each missing component is created 0755. */
int make_dirs(const char *path);
/* 0, or -1 after one error line naming the directory or file. */
int prepare(const struct config *c);

#endif
