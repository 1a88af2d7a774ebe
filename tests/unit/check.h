/* A tiny unit-test harness: each TEST prints "PASS name" or "FAIL name"
 * lines that tests/run counts. */
#ifndef TETHER_CHECK_H
#define TETHER_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failed;
static int check_any_failed;

#define CHECK(cond) do { \
	if (!(cond)) { \
		printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		check_failed = 1; \
	} } while (0)
#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (!a_ || !b_ || strcmp(a_, b_)) { \
		printf("  %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
		       a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
		check_failed = 1; \
	} } while (0)
#define CHECK_INT(a, b) do { \
	long long a_ = (a), b_ = (b); \
	if (a_ != b_) { \
		printf("  %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, \
		       #a, a_, b_); \
		check_failed = 1; \
	} } while (0)

#define RUN(fn) do { \
	check_failed = 0; \
	fn(); \
	printf("%s %s:%s\n", check_failed ? "FAIL" : "PASS", UNIT_NAME, #fn); \
	check_any_failed |= check_failed; \
	} while (0)

#define UNIT_DONE() return check_any_failed

/* A command line for a parser: ARGV("prog", "-x", "1") gives argv, with
 * the terminating NULL, in static storage the parser may keep pointers
 * into (until the next ARGV); argc is ARGC of the same list. */
static char *check_argv[64];
static inline char **check_keep_argv(char **v)
{
	int i = 0;

	for (; v[i] && i < 63; i++)
		check_argv[i] = v[i];
	check_argv[i] = 0;
	return check_argv;
}
#define ARGV(...) check_keep_argv((char *[]){ __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)))

#endif
