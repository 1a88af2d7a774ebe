/* Unit tests of the pure parts of lib/: formatting, JSON escaping, signal
 * names, number parsing, option parsing, exit-status mapping. */
#define UNIT_NAME "unit_lib"
#include "check.h"

#include "buf.h"
#include "fd.h"
#include "opt.h"
#include "proc.h"
#include "sig.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <time.h>
#include <sys/wait.h>

static const char *fmt(const char *f, ...)
{
	static char store[256];
	struct buf b = BUF_INIT(store);
	va_list ap;

	va_start(ap, f);
	buf_vprintf(&b, f, ap);
	va_end(ap);
	return buf_cstr(&b);
}

static void formatting(void)
{
	CHECK_STR(fmt("%d %i %u %x", -42, 7, 4000000000u, 255), "-42 7 4000000000 ff");
	CHECK_STR(fmt("%ld %lld %zu", -1L, -9223372036854775807LL - 1, (size_t)12), "-1 -9223372036854775808 12");
	CHECK_STR(fmt("%s|%.*s|%c|%%", "ab", 2, "xyz", 'q'), "ab|xy|q|%");
	CHECK_STR(fmt("'%.3s' '%.0s' '%.10s'", "abcdef", "x", "ab"), "'abc' '' 'ab'");
	CHECK_STR(fmt("%.64s|", "short"), "short|");
	CHECK_STR(fmt("%s", (char *)0), "(null)");
	errno = ENOENT;
	CHECK_STR(fmt("open x: %m"), "open x: No such file or directory (ENOENT)");
	CHECK_INT(errno, ENOENT);
}

/* buf_utc against the C library, over every day from 1970 to 2400 (each
 * at a different second) and the edges of days, months and leap years. */
static void utc_dates(void)
{
	char want[64], got[64];
	long long edges[] = { 0, 59, 86399, 86400, 951782399, 951782400, 951868800,
			      4107542399, 4107542400, 1700000000 };
	int bad = 0;

	for (long long i = -10; i < 157000 && bad < 5; i++) {
		long long sec = i < 0 ? edges[i + 10] : i * 86400 + (i * 7919) % 86400;
		time_t t = sec;
		struct tm tm;
		struct buf b = BUF_INIT(got);

		gmtime_r(&t, &tm);
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, (long)(sec % 999983));
		buf_utc(&b, sec, sec % 999983);
		if (strcmp(want, buf_cstr(&b)) && ++bad)
			printf("  %lld: %s != %s\n", sec, buf_cstr(&b), want);
	}
	CHECK_INT(bad, 0);
}

static void truncation(void)
{
	char store[8];
	struct buf b = BUF_INIT(store);

	buf_str(&b, "0123456789");
	CHECK(b.truncated);
	CHECK_STR(buf_cstr(&b), "0123456");
}

static void json_escaping(void)
{
	char store[128];
	struct buf b = BUF_INIT(store);
	const char in[] = "a\"b\\c\nd\te\r\x01\x1f\x7f" "é";

	buf_json(&b, in, sizeof(in) - 1);
	CHECK_STR(buf_cstr(&b), "a\\\"b\\\\c\\nd\\te\\r\\u0001\\u001f\\u007fé");
}

static void signal_names(void)
{
	char tmp[16];

	CHECK_INT(sig_parse("TERM"), SIGTERM);
	CHECK_INT(sig_parse("SIGTERM"), SIGTERM);
	CHECK_INT(sig_parse("sigkill"), SIGKILL);
	CHECK_INT(sig_parse("15"), 15);
	CHECK_INT(sig_parse("RTMIN"), SIGRTMIN);
	CHECK_INT(sig_parse("SIGRTMIN+3"), SIGRTMIN + 3);
	CHECK_INT(sig_parse("RTMAX-1"), SIGRTMAX - 1);
	CHECK_INT(sig_parse("RTMAX+1"), -1);
	CHECK_INT(sig_parse("0"), -1);
	CHECK_INT(sig_parse("65"), -1);
	CHECK_INT(sig_parse("SIGNOPE"), -1);
	CHECK_INT(sig_parse(""), -1);
	CHECK_INT(sig_parse("15x"), -1);
	CHECK_STR(sig_name(SIGTERM, tmp), "SIGTERM");
	CHECK_STR(sig_name(SIGRTMIN + 2, tmp), "SIGRTMIN+2");
	CHECK_STR(sig_name(99, tmp), "signal 99");
}

static void numbers(void)
{
	long v = -7, ms = -7;

	CHECK_INT(parse_long("42", 0, 100, &v), 0);
	CHECK_INT(v, 42);
	CHECK_INT(parse_long("-3", -5, 5, &v), 0);
	CHECK_INT(v, -3);
	CHECK_INT(parse_long("101", 0, 100, &v), -1);
	CHECK_INT(parse_long("", 0, 100, &v), -1);
	CHECK_INT(parse_long("4x", 0, 100, &v), -1);
	CHECK_INT(parse_long("99999999999999999999999", 0, 100, &v), -1);
	CHECK_INT(parse_seconds_ms("5", 100, &ms), 0);
	CHECK_INT(ms, 5000);
	CHECK_INT(parse_seconds_ms("0.25", 100, &ms), 0);
	CHECK_INT(ms, 250);
	CHECK_INT(parse_seconds_ms("1.005", 100, &ms), 0);
	CHECK_INT(ms, 1005);
	CHECK_INT(parse_seconds_ms("1.0001", 100, &ms), -1);
	CHECK_INT(parse_seconds_ms("-1", 100, &ms), -1);
	CHECK_INT(parse_seconds_ms("1.", 100, &ms), -1);
	CHECK_INT(parse_seconds_ms("101", 100, &ms), -1);
	CHECK_INT(parse_seconds_ms("", 100, &ms), -1);
	/* The fraction counts in the bound (audit C5). */
	CHECK_INT(parse_seconds_ms("100", 100, &ms), 0);
	CHECK_INT(ms, 100000);
	CHECK_INT(parse_seconds_ms("100.000", 100, &ms), 0);
	CHECK_INT(parse_seconds_ms("100.001", 100, &ms), -1);
	CHECK_INT(parse_seconds_ms("86400.999", 86400, &ms), -1);
	CHECK_INT(parse_seconds_ms("86399.999", 86400, &ms), 0);
	CHECK_INT(ms, 86399999);
	CHECK_INT(parse_seconds_ms("0.5", 0, &ms), -1);
	CHECK_INT(parse_seconds_ms("0", 0, &ms), 0);
}

enum { A = 1, B, E, LONG, VAL };
static const struct opt opts[] = {
	{ 0, 'a', 0, A }, { 0, 'b', 0, B }, { 0, 'e', 1, E },
	{ "long", 0, 0, LONG }, { "val", 'v', 1, VAL }, { 0, 0, 0, 0 },
};

static void options(void)
{
	char *argv[] = { "p", "-ab", "-e5", "-e", "6", "--long", "--val=x",
			 "--val", "y", "-vz", "--", "-a", 0 };
	struct optstate s;
	int expect[] = { A, B, E, E, LONG, VAL, VAL, VAL };
	const char *args[] = { 0, 0, "5", "6", 0, "x", "y", "z" };

	opt_start(&s, 12, argv);
	for (int i = 0; i < 8; i++) {
		CHECK_INT(opt_next(&s, opts), expect[i]);
		if (args[i])
			CHECK_STR(s.arg, args[i]);
	}
	CHECK_INT(opt_next(&s, opts), OPT_END);
	CHECK_STR(argv[s.i], "-a");
}

static void option_errors(void)
{
	char *unknown[] = { "p", "--nope", 0 };
	char *missing[] = { "p", "-e", 0 };
	char *extra[] = { "p", "--long=1", 0 };
	char *cluster[] = { "p", "-aq", 0 };
	char *operand[] = { "p", "prog", "-a", 0 };
	struct optstate s;

	opt_start(&s, 2, unknown);
	CHECK_INT(opt_next(&s, opts), OPT_ERR);
	CHECK_STR(s.err, "unknown option '--nope'");
	opt_start(&s, 2, missing);
	CHECK_INT(opt_next(&s, opts), OPT_ERR);
	CHECK_STR(s.err, "missing argument for '-e'");
	opt_start(&s, 2, extra);
	CHECK_INT(opt_next(&s, opts), OPT_ERR);
	CHECK_STR(s.err, "option takes no argument: '--long'");
	opt_start(&s, 2, cluster);
	CHECK_INT(opt_next(&s, opts), A);
	CHECK_INT(opt_next(&s, opts), OPT_ERR);
	CHECK_STR(s.err, "unknown option '-q'");
	opt_start(&s, 3, operand);
	CHECK_INT(opt_next(&s, opts), OPT_END);
	CHECK_INT(s.i, 1);
}

static void exit_codes(void)
{
	CHECK_INT(exit_code_of(3 << 8), 3);
	CHECK_INT(exit_code_of(255 << 8), 255);
	CHECK_INT(exit_code_of(SIGTERM), 143);
	CHECK_INT(exit_code_of(SIGKILL | 0x80), 137);	/* core dumped */
	CHECK_INT(exec_failure_code(ENOENT), 127);
	CHECK_INT(exec_failure_code(ENOTDIR), 127);
	CHECK_INT(exec_failure_code(EACCES), 126);
	CHECK_INT(exec_failure_code(ENOEXEC), 126);
}

/* read_proc_field: the first number of a "Key:\t" line, the line found
 * only at a line's start. */
static void proc_fields(void)
{
	char path[] = "/tmp/unit_lib_status.XXXXXX";
	static const char text[] = "Name:\tx Uid:\t5\nXUid:\t6\nUid:\t1000\t1001\t1002\n"
				   "Pid:\t-1\nBad:\t12x\n";
	long v = 0;
	int fd = mkstemp(path);

	CHECK(fd >= 0 && write(fd, text, sizeof(text) - 1) == (ssize_t)sizeof(text) - 1);
	close(fd);
	CHECK_INT(read_proc_field(path, "Uid", 0, 0xfffffffe, &v), 0);
	CHECK_INT(v, 1000);
	CHECK_INT(read_proc_field(path, "Pid", -1, 100, &v), 0);
	CHECK_INT(v, -1);
	CHECK_INT(read_proc_field(path, "Pid", 0, 100, &v), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(read_proc_field(path, "Bad", 0, 100, &v), -1);
	CHECK_INT(read_proc_field(path, "Gid", 0, 100, &v), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(read_proc_field(path, "Name", 0, 100, &v), -1);
	unlink(path);
	CHECK_INT(read_proc_field(path, "Uid", 0, 100, &v), -1);
	CHECK_INT(errno, ENOENT);
}

int main(void)
{
	RUN(formatting);
	RUN(utc_dates);
	RUN(truncation);
	RUN(json_escaping);
	RUN(signal_names);
	RUN(numbers);
	RUN(options);
	RUN(option_errors);
	RUN(exit_codes);
	RUN(proc_fields);
	UNIT_DONE();
}
