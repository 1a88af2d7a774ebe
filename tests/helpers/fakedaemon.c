/* A stand-in for virtlogd, virtqemud, MAIN or QEMU in tether-supervise's
 * tests.  Its name is the basename it was run under (use symlinks).
 * Everything it does is steered by FAKE_* variables, NAME being its name
 * with '-' as '_':
 *   FAKE_DIR            where NAME.log (one line per event, ending in
 *                       t=<monotonic ns> rt=<realtime ns>) and NAME.env go
 *   --help in argv      probe: exit 1 if FAKE_REJECT_FLAGS is set and a
 *                       --no-* flag is present, else 0
 *   FAKE_GATE_NAME      a fifo read before anything else is done
 *   FAKE_WRITE_NAME     files to create (space separated), like MAIN
 *                       writing the daemons' configs
 *   FAKE_CHECK_NAME     a path whose existence at start is recorded
 *   FAKE_SOCK_NAME      unix socket to listen on (removed on SIGTERM)
 *   FAKE_LINE_NAME      print one line of that many bytes on stderr
 *   FAKE_CRASH_NAME     exit 3 after start, for the first N runs
 *   FAKE_SPAWN_NAME     a program to start daemonised (double fork)
 *   FAKE_EXIT_NAME      exit with this code after start
 *   FAKE_IGNORE_TERM_NAME  SIGTERM is only recorded
 *   FAKE_TERM_CODE_NAME    exit code on SIGTERM (default 0)
 * Without FAKE_DIR in its environment (a daemon given only
 * LIBVIRT_UNIX_SOCKET_AUTH_PID), it reads these variables, one KEY=VALUE
 * a line, from fake.env beside the name it was run under; NAME.env still
 * records the environment it was given. */
#include "buf.h"
#include "fd.h"
#include "sock.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static char name[64], logpath[4096];
static char **given_env;	/* before fake.env was read */

static const char *var(const char *what)
{
	char key[128];
	struct buf b = BUF_INIT(key);

	buf_printf(&b, "FAKE_%s_%s", what, name);
	return getenv(buf_cstr(&b));
}

static long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void record(const char *text)
{
	char line[8192];
	struct buf b = BUF_INIT(line);
	int fd = open(logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

	/* t: monotonic, to order the fakes; rt: wall clock, to compare
	 * with the timestamps of tether-supervise's log. */
	buf_printf(&b, "%s t=%lld rt=%lld\n", text, now_ns(CLOCK_MONOTONIC),
		   now_ns(CLOCK_REALTIME));
	if (fd >= 0) {
		if (write(fd, b.p, b.len) < 0)
			_exit(99);
		close(fd);
	}
}

static int runs_so_far(void)
{
	char data[65536];
	int fd = open(logpath, O_RDONLY | O_CLOEXEC), n = 0;
	ssize_t len = fd < 0 ? 0 : read(fd, data, sizeof(data));

	if (fd >= 0)
		close(fd);
	for (ssize_t i = 0; i + 6 <= len; i++)
		n += !memcmp(data + i, "start ", 6) && (i == 0 || data[i - 1] == '\n');
	return n;
}

static void status_field(const char *field, struct buf *out)
{
	char data[4096], *p;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, data, sizeof(data) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return;
	data[n] = '\0';
	p = strstr(data, field);
	if (!p)
		return;
	p += strlen(field);
	while (*p == '\t' || *p == ' ')
		p++;
	buf_put(out, p, strcspn(p, "\n"));
}

static void record_start(int argc, char **argv)
{
	char line[4096];
	struct buf b = BUF_INIT(line);
	const char *check = var("CHECK"), *auth = getenv("LIBVIRT_UNIX_SOCKET_AUTH_PID");
	struct stat st;

	buf_printf(&b, "start pid=%d ppid=%d auth=%s capamb=", getpid(), getppid(),
		   auth ? auth : "-");
	status_field("CapAmb:", &b);
	buf_str(&b, " sigign=");
	status_field("SigIgn:", &b);
	if (check)
		buf_printf(&b, " check=%d", stat(check, &st) == 0);
	buf_str(&b, " argv=");
	for (int i = 1; i < argc; i++)
		buf_printf(&b, "%s%s", i > 1 ? "," : "", argv[i]);
	record(buf_cstr(&b));

	char envpath[4200];
	struct buf e = BUF_INIT(envpath);
	buf_printf(&e, "%s/%s.env", getenv("FAKE_DIR"), name);
	int fd = open(buf_cstr(&e), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	for (char **v = given_env; fd >= 0 && *v; v++)
		if (write(fd, *v, strlen(*v)) < 0 || write(fd, "\n", 1) < 0)
			break;
	if (fd >= 0)
		close(fd);
}

static int probe(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (getenv("FAKE_REJECT_FLAGS") && !strncmp(argv[i], "--no-", 5)) {
			dprintf(2, "%s: unrecognized option '%s'\n", name, argv[i]);
			return 1;
		}
	return 0;
}

static void gate(void)
{
	const char *g = var("GATE");
	char c;
	int fd;

	if (!g)
		return;
	fd = open(g, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, &c, 1) < 0)
		_exit(98);
	close(fd);
}

static void write_files(void)
{
	const char *w = var("WRITE");
	char path[4096];

	while (w && *w) {
		size_t n = strcspn(w, " ");
		if (n && n < sizeof(path)) {
			memcpy(path, w, n);
			path[n] = '\0';
			int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			if (fd >= 0)
				close(fd);
		}
		w += n + (w[n] == ' ');
	}
}

static void long_line(void)
{
	const char *l = var("LINE");
	long n;

	if (!l || parse_long(l, 10, 1 << 24, &n))
		return;
	char *p = malloc(n + 1);
	if (!p)
		return;
	memset(p, 'x', n);
	memcpy(p, "BEGIN", 5);
	memcpy(p + n - 3, "END", 3);
	p[n] = '\n';
	for (long off = 0, w; off <= n; off += w)
		if ((w = write(2, p + off, n + 1 - off)) <= 0)
			break;
	free(p);
}

static void daemonise(const char *prog)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (fork() == 0) {
			setsid();
			execl(prog, prog, (char *)0);
			_exit(127);
		}
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, 0, 0);
}

static int serve(void)
{
	const char *sock = var("SOCK"), *ign = var("IGNORE_TERM");
	const char *code = var("TERM_CODE");
	sigset_t set;
	int sig, fd = -1;
	char text[64];

	if (sock)
		record("binding");
	if (sock && (fd = unix_listen(sock, SOCK_STREAM, 8)) < 0) {
		dprintf(2, "%s: listen %s failed\n", name, sock);
		return 4;
	}
	if (sock)
		record("listening");
	sigfillset(&set);
	for (;;) {
		sig = sigwaitinfo(&set, 0);
		if (sig < 0 || sig == SIGCHLD)
			continue;
		struct buf b = BUF_INIT(text);
		buf_printf(&b, "signal %d", sig);
		record(buf_cstr(&b));
		if (sig == SIGTERM && ign)
			continue;
		if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
			if (sock)
				unlink(sock);
			long c = 0;
			if (code)
				parse_long(code, 0, 255, &c);
			return c;
		}
	}
}

static void load_env(const char *argv0)
{
	static char data[8192];
	char path[4096];
	const char *slash = strrchr(argv0, '/');
	struct buf b = BUF_INIT(path);
	ssize_t n;
	int fd;

	buf_printf(&b, "%.*s/fake.env", slash ? (int)(slash - argv0) : 1, slash ? argv0 : ".");
	fd = open(buf_cstr(&b), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, data, sizeof(data) - 1);
	close(fd);
	for (char *p = data, *nl; n > 0 && p < data + n; p = nl + 1) {
		nl = memchr(p, '\n', data + n - p);
		if (!nl)
			break;
		*nl = '\0';
		if (strchr(p, '='))
			putenv(p);
	}
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/'), *v;
	sigset_t all;
	long n;

	given_env = environ;
	if (!getenv("FAKE_DIR"))
		load_env(argv[0]);

	base = base ? base + 1 : argv[0];
	for (size_t i = 0; base[i] && i < sizeof(name) - 1; i++)
		name[i] = base[i] == '-' ? '_' : base[i];
	struct buf lp = BUF_INIT(logpath);
	buf_printf(&lp, "%s/%s.log", getenv("FAKE_DIR") ? getenv("FAKE_DIR") : "/tmp", name);
	buf_cstr(&lp);
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help"))
			return probe(argc, argv);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, 0);
	int run = runs_so_far();
	record_start(argc, argv);
	gate();
	write_files();
	long_line();
	if ((v = var("SPAWN")))
		daemonise(v);
	if ((v = var("CRASH")) && !parse_long(v, 0, 1000, &n) && run < n) {
		record("crash");
		return 3;
	}
	if ((v = var("EXIT")) && !parse_long(v, 0, 255, &n)) {
		record("exit");
		return n;
	}
	return serve();
}
