#ifndef TETHER_INIT_RUN_H
#define TETHER_INIT_RUN_H

#include "config.h"

/* Each returns tether's exit code. orig is the mask tether inherited. */
int run_program(const struct config *cfg, const sigset_t *orig);
int run_pause(const struct config *cfg, const sigset_t *orig);

#endif
