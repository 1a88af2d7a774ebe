#include "env.h"
#include "buf.h"
#include "caps.h"
#include "log.h"

#include <errno.h>
#include <string.h>

#define CAP_NBS 10	/* CAP_NET_BIND_SERVICE */

extern char **environ;

void child_env_ambient(struct child_env *e, int on)
{
	if (!e->nbs || e->ambient_on == on)
		return;
	if ((on ? cap_raise_ambient(CAP_NBS) : cap_lower_ambient(CAP_NBS)) < 0)
		log_warn("%s CAP_NET_BIND_SERVICE as ambient: %m", on ? "raising" : "lowering");
	else
		e->ambient_on = on;
}

/* virtqemud's environment: ours (that is MAIN's or the parent's) with the
 * variable added (any older value replaced), or the variable alone, as
 * Deckhouse's virt-launcher gives it (ENV_AUTH_PID_ONLY). */
static char **qemud_env(long auth_pid, enum qemud_env how)
{
	static char entry[48];
	static char *env[1024];
	static const char key[] = "LIBVIRT_UNIX_SOCKET_AUTH_PID=";
	struct buf b = BUF_INIT(entry);
	size_t i = 0;

	if (how == ENV_INHERIT && !auth_pid)
		return environ;
	for (char **e = environ; how == ENV_INHERIT && *e; e++) {
		if (!strncmp(*e, key, sizeof(key) - 1))
			continue;
		if (i == sizeof(env) / sizeof(*env) - 2) {
			errno = E2BIG;
			return 0;
		}
		env[i++] = *e;
	}
	if (auth_pid) {
		buf_printf(&b, "%s%ld", key, auth_pid);
		env[i++] = (char *)buf_cstr(&b);
	}
	env[i] = 0;
	return env;
}

void child_env_caps(struct child_env *e, enum mode m)
{
	int p = cap_permitted(CAP_NBS);

	e->nbs = p == 1;
	if (p < 0)
		log_warn("capget: %m");
	else if (!p)
		log_warn("CAP_NET_BIND_SERVICE is not in the permitted set: %s run without it",
			 m == MODE_PARENT ? "virtqemud" : "MAIN and virtqemud");
}

int child_env_qemud(struct child_env *e, const struct config *c, long auth_pid)
{
	e->qemud = qemud_env(auth_pid, c->qemud_env);
	if (!e->qemud) {
		log_error("environment for virtqemud: %m");
		return -1;
	}
	return 0;
}
