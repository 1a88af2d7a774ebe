#ifndef TETHER_INIT_RUN_H
#define TETHER_INIT_RUN_H

#include "config.h"
#include "role.h"

/* Each returns tether's exit code.  rs: the signal state tether inherited,
 * which the program gets back. */
int run_program(const struct config *cfg, const struct role_start *rs);
int run_pause(const struct config *cfg);

#endif
