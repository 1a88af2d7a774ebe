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

int role_run_loop(struct loop *l, int fail_code)
{
	int code = loop_run(l);

	if (code >= 0)
		return code;
	log_error("event loop: %m");
	tree_signal(SIGKILL);
	return fail_code;
}
