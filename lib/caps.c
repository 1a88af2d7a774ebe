#include "caps.h"
#include "fd.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CAP_VERSION_3 0x20080522

struct cap_header {
	uint32_t version;
	int pid;
};

struct cap_data {
	uint32_t effective, permitted, inheritable;
};

static const char *const names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid",
	"kill", "setgid", "setuid", "setpcap", "linux_immutable",
	"net_bind_service", "net_broadcast", "net_admin", "net_raw",
	"ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot",
	"sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
	"sys_resource", "sys_time", "sys_tty_config", "mknod", "lease",
	"audit_write", "audit_control", "setfcap", "mac_override",
	"mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read",
	"perfmon", "bpf", "checkpoint_restore",
};

int cap_parse(const char *name)
{
	long n;

	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	if (!parse_long(name, 0, 63, &n))
		return n;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(name, names[i]))
			return i;
	return -1;
}

int cap_last(void)
{
	char text[16];
	long last;
	ssize_t n = read_small(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", text, sizeof(text));

	if (n <= 0)
		return 40;
	if (text[n - 1] == '\n')
		text[n - 1] = '\0';
	return parse_long(text, 0, 63, &last) ? 40 : (int)last;
}

static int caps_get(struct cap_data d[2])
{
	struct cap_header h = { CAP_VERSION_3, 0 };

	return syscall(SYS_capget, &h, d);
}

static int caps_set(struct cap_data d[2])
{
	struct cap_header h = { CAP_VERSION_3, 0 };

	return syscall(SYS_capset, &h, d);
}

int cap_permitted(int cap)
{
	struct cap_data d[2];

	if (caps_get(d) < 0)
		return -1;
	return (d[cap / 32].permitted >> (cap % 32)) & 1;
}

int cap_raise_ambient(int cap)
{
	struct cap_data d[2];

	if (caps_get(d) < 0)
		return -1;
	d[cap / 32].inheritable |= 1u << (cap % 32);
	if (caps_set(d) < 0)
		return -1;
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
}

int cap_lower_ambient(int cap)
{
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, cap, 0, 0);
}

static int drop_bounding(uint64_t keep)
{
	int last = cap_last();

	for (int cap = 0; cap <= last; cap++) {
		if (keep >> cap & 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -1;
	}
	return 0;
}

int caps_limit(uint64_t keep)
{
	struct cap_data d[2];

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -1;
	/* Dropping from the bounding set needs CAP_SETPCAP, so it goes first,
	 * while we may still hold it. Without it, an empty permitted set is
	 * enough: nothing can be regained across exec without file caps,
	 * and no_new_privs (set by the caller) disables those. */
	if (drop_bounding(keep) < 0 && errno != EPERM)
		return -1;
	if (caps_get(d) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		uint32_t k = keep >> (32 * i);
		d[i].effective &= k;
		d[i].permitted &= k;
		d[i].inheritable = d[i].permitted;
	}
	if (caps_set(d) < 0)
		return -1;
	for (int cap = 0; cap < 64; cap++)
		if ((keep >> cap & 1) &&
		    (d[cap / 32].permitted >> (cap % 32) & 1) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return -1;
	return 0;
}

int no_new_privs(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}
