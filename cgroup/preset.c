/* The virtiofsd preset: KubeVirt's argv for the Rust virtiofsd >= 1.13,
 * or its nearest equivalent for the C virtiofsd 7.2 of Debian 12, chosen
 * from `virtiofsd --version` (launch.c's probe: run in the container,
 * confined as virtiofsd will be) unless --flavor names it. */
#include "enter.h"
#include "buf.h"
#include "fd.h"
#include "log.h"

#include <string.h>

static char pool[8192];
static struct buf store = BUF_INIT(pool);

/* A formatted argument kept in the pool for the lifetime of the run. */
static char *arg(const char *fmt, const char *a)
{
	char *s = store.p + store.len;

	buf_printf(&store, fmt, a);
	buf_char(&store, '\0');
	return store.truncated ? 0 : s;
}

/* "virtiofsd version 7.2.22 (Debian ...)" is the C one (QEMU's version);
 * "virtiofsd 1.13.2" the Rust one.  ver gets major * 1000 + minor. */
static enum flavor classify(const char *text, long *ver)
{
	const char *p = strstr(text, "virtiofsd");
	long major = 0, minor = 0;

	if (!p)
		return FLAVOR_AUTO;
	p += 9;
	if (!strncmp(p, " version", 8)) {
		*ver = 0;
		return FLAVOR_C;
	}
	while (*p == ' ')
		p++;
	while (*p >= '0' && *p <= '9')
		major = major * 10 + (*p++ - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			minor = minor * 10 + (*p - '0');
	*ver = major * 1000 + minor;
	return *ver ? FLAVOR_RUST : FLAVOR_AUTO;
}

static int add(struct target *t, int *n, char *a)
{
	if (!a || *n == MAX_ARGV) {
		log_error("virtiofsd argv too long");
		return -1;
	}
	t->argv[(*n)++] = a;
	return 0;
}

static int rust_argv(const struct opts *o, struct target *t, int *n)
{
	char uid[24];
	struct buf b = BUF_INIT(uid);
	char *fixed[] = {
		"--socket-path", (char *)o->socket_path, "--shared-dir", (char *)o->shared_dir,
		"--cache", "auto", "--sandbox", "chroot",
		"--modcaps=+dac_read_search:-mknod", "--inode-file-handles=prefer",
		"--migration-mode=file-handles", "--migration-on-error=guest-error",
	};

	buf_printf(&b, "%ld", o->uid);
	buf_cstr(&b);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (add(t, n, fixed[i]) < 0)
			return -1;
	if (add(t, n, arg("--translate-uid=squash-guest:0:%s:4294967295", uid)) < 0 ||
	    add(t, n, arg("--translate-gid=squash-guest:0:%s:4294967295", uid)) < 0)
		return -1;
	return add(t, n, "--xattr");
}

static const char c_cannot[] =
	"--inode-file-handles=prefer, --migration-mode=file-handles, "
	"--migration-on-error=guest-error, --translate-uid/--translate-gid squash-guest";

static int c_argv(const struct opts *o, struct target *t, int *n)
{
	char *fixed[] = {
		"-o", "sandbox=chroot", "-o", "cache=auto", "-o", "xattr",
		"-o", "modcaps=+dac_read_search:-mknod",
	};

	if (o->strict) {
		log_error("the C virtiofsd cannot honour %s; refusing (--strict)", c_cannot);
		return -1;
	}
	/* Once, and plainly: under the dispatcher's name nothing in the
	 * caller's argv says it accepts this. */
	log_warn("the C virtiofsd cannot honour %s: started without them: guest uids and gids are NOT squashed to %ld (files the guest creates keep the guest's ids on the volume); no migration%s",
		 c_cannot, o->uid, o->dispatcher ? " (virtiofs-dispatcher does not imply --strict: give --strict to refuse)" : "");
	if (add(t, n, arg("--socket-path=%s", o->socket_path)) < 0 ||
	    add(t, n, "-o") < 0 || add(t, n, arg("source=%s", o->shared_dir)) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (add(t, n, fixed[i]) < 0)
			return -1;
	return 0;
}

int preset_flavor(const struct opts *o, const char *text, enum flavor *f, long *ver)
{
	if ((*f = classify(text, ver)) == FLAVOR_AUTO) {
		log_error("%s --version: not a virtiofsd I know: '%.80s'", o->bin, text);
		return -1;
	}
	log_info("%s is the %s virtiofsd (%.*s)", o->bin, *f == FLAVOR_C ? "C" : "Rust",
		 (int)strcspn(text, "\n"), text);
	return 0;
}

/* The argv for a known flavour (ver: major * 1000 + minor for Rust). */
int preset_argv(const struct opts *o, struct target *t, enum flavor f, long ver)
{
	int n = 0;

	if (!o->preset) {
		for (char **a = o->rest; *a; a++)
			if (add(t, &n, *a) < 0)
				return -1;
		return 0;
	}
	if (f == FLAVOR_RUST && ver < 1013) {
		log_error("virtiofsd %ld.%ld is older than 1.13: it lacks --translate-uid/--translate-gid (1.13), --migration-mode=file-handles (1.12)",
			  ver / 1000, ver % 1000);
		return -1;
	}
	if (add(t, &n, (char *)o->bin) < 0 ||
	    (f == FLAVOR_RUST ? rust_argv(o, t, &n) : c_argv(o, t, &n)) < 0)
		return -1;
	for (char **a = o->rest; *a; a++)
		if (add(t, &n, *a) < 0)
			return -1;
	return 0;
}

/* The argv to exec; with --virtiofsd and --flavor auto, after the probe. */
int program_argv(const struct opts *o, struct target *t)
{
	char text[512];
	enum flavor f = o->flavor;
	long ver = 1013;	/* --flavor rust: trusted to be recent */
	int rc;

	if (o->preset && f == FLAVOR_AUTO) {
		if ((rc = probe(o, t, text, sizeof(text))) != 0)
			return rc;
		if (preset_flavor(o, text, &f, &ver) < 0)
			return ENTER_EXEC;
	}
	return preset_argv(o, t, f, ver) < 0 ? ENTER_EXEC : ENTER_OK;
}
