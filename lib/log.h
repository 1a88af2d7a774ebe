/* Logging: one line per event on stderr, never stdout (it belongs to the
 * child).  JSON in KubeVirt's shape by default:
 *   {"component":"tether","level":"info","msg":"…","pos":"run.c:42",
 *    "timestamp":"2026-11-22T01:02:03.456789Z"}
 * or "tether: info: msg" with LOG_TEXT. */
#ifndef TETHER_LOG_H
#define TETHER_LOG_H

#include <stddef.h>

/* LOG_NOTICE is an info line that a role shows at its default level (a
 * lifecycle event someone reading the container's log needs: "listening",
 * "exited"), while LOG_INFO lines appear only when asked for.  Both are
 * "info" in the output. */
enum log_level { LOG_ERROR, LOG_WARN, LOG_NOTICE, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_JSON, LOG_TEXT };

void log_setup(const char *component, enum log_level max, enum log_format fmt);
enum log_level log_level_max(void);
int log_format_parse(const char *s, enum log_format *out);

void log_write(enum log_level lvl, const char *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* One already-formed message under another component's name (a daemon's
 * output line); msg need not be NUL-terminated and may be long: scratch
 * must hold the escaped line (6 * len + 256 bytes is always enough). */
void log_line(const char *component, enum log_level lvl, const char *msg,
	      size_t len, char *scratch, size_t scratch_len);

#define LOG_STR2(x) #x
#define LOG_STR(x) LOG_STR2(x)
#define LOG_POS __FILE_NAME__ ":" LOG_STR(__LINE__)
#define log_error(...) log_write(LOG_ERROR, LOG_POS, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, LOG_POS, __VA_ARGS__)
#define log_notice(...) log_write(LOG_NOTICE, LOG_POS, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, LOG_POS, __VA_ARGS__)
#define log_debug(...) log_write(LOG_DEBUG, LOG_POS, __VA_ARGS__)

#endif
