/* tether-supervise's loop: MAIN, the daemons, signals, the ordered stop. */
#ifndef SUPERVISE_RUN_H
#define SUPERVISE_RUN_H

#include "config.h"

struct role_start;
/* Runs the loop to the exit code. */
int supervise(const struct config *cfg, const struct role_start *rs);

#endif
