/* The virtiofs placeholder: PID 1 of the virtiofs container, alive exactly
 * as long as the virtiofsd that tether-enter launches into it. */
#ifndef TETHER_INIT_PLACEHOLDER_H
#define TETHER_INIT_PLACEHOLDER_H

#include "config.h"

int run_placeholder(const struct config *cfg);

#endif
