/* errno values by their symbolic names, for %m (buf.c). */
#ifndef TETHER_ERRNAMES_H
#define TETHER_ERRNAMES_H

/* Symbolic name of an errno value ("ENOENT"), or NULL. */
const char *errno_name(int err);

#endif
