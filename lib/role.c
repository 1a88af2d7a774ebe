#include "role.h"
#include "log.h"
#include "sig.h"

#include <fcntl.h>
#include <unistd.h>

static int stdio_open(void)
{
	for (int fd = 0; fd < 3; fd++) {
		/* open takes the lowest free fd: this one. */
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
			return -1;
	}
	return 0;
}

int role_start(struct role_start *rs)
{
	if (sig_block_all(&rs->mask) < 0)
		return -1;
	rs->chld_ignored = sig_chld_default();
	if (rs->chld_ignored < 0)
		return -1;
	return stdio_open();
}

/* The table of role.h's comment, which the README quotes. */
static const int stop_table[][5] = {
	[STOP_TETHER] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT },
	[STOP_HOLDER] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT },
	[STOP_SUPERVISE] = { SIGTERM, SIGINT, SIGQUIT },
};

void role_stop_signals(enum stop_mode m, sigset_t *set)
{
	sigemptyset(set);
	for (const int *s = stop_table[m]; *s; s++)
		sigaddset(set, *s);
}

void role_term_rest(void)
{
	if (tree_signal(SIGTERM) < 0)
		log_warn("sending SIGTERM to the remaining processes: %m");
	tree_signal(SIGCONT);
}

void role_stop_rest(struct grace *g, long grace_ms, void (*term)(void))
{
	log_info("stopping the remaining processes");
	(term ? term : role_term_rest)();
	grace_start(g, grace_ms);
}

/* loop_run, its failure logged. */
static int run_loop(struct loop *l)
{
	int code = loop_run(l);

	if (code < 0)
		log_error("event loop: %m");
	return code;
}

int role_run_loop(struct loop *l, int fail_code)
{
	int code = run_loop(l);

	if (code >= 0)
		return code;
	tree_signal(SIGKILL);
	return fail_code;
}

int role_run_loop_alone(struct loop *l, int fail_code)
{
	int code = run_loop(l);

	return code >= 0 ? code : fail_code;
}
