/* Command-line options, without getopt's global state so that parsing is
 * a pure function the unit tests can call.  Accepts -a, -abc clusters,
 * -e5 / -e 5, --long, --long=value / --long value, and "--". Parsing stops
 * at the first argument that is not an option (the program to run). */
#ifndef TETHER_OPT_H
#define TETHER_OPT_H

enum { OPT_END = -1, OPT_ERR = -2 };

struct opt {
	const char *lng;	/* NULL: short only */
	char shrt;		/* 0: long only */
	int has_arg;
	int id;
};

struct optstate {
	int argc;
	char **argv;
	int i;			/* next argv index; after OPT_END, the first operand */
	int ci;			/* position inside a short-option cluster */
	const char *arg;	/* the option's argument, if it takes one */
	const struct opt *more;	/* searched after the caller's table (cli.c) */
	char err[160];
};

void opt_start(struct optstate *s, int argc, char **argv);
/* The next option's id, OPT_END, or OPT_ERR with s->err filled in. */
int opt_next(struct optstate *s, const struct opt *opts);

#endif
