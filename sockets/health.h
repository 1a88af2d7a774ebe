/* --health-check: an exec probe that asks the socket itself. */
#ifndef TETHER_SOCKETS_HEALTH_H
#define TETHER_SOCKETS_HEALTH_H

#include "config.h"

/* 0 when this container's holder listens; 1 with an error line if not. */
int health_check(const struct cd_config *cfg);

#endif
