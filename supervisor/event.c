#include "event.h"
#include "buf.h"

#include <string.h>

#define MAX_DEPTH 32
#define MAX_NAME 64

struct jp {
	const char *s, *end;
	struct buf *out;	/* compact copy of what is parsed, or NULL */
	const char *err;
};

static int fail(struct jp *p, const char *why)
{
	if (!p->err)
		p->err = why;
	return -1;
}

static void emit(struct jp *p, const char *s, size_t n)
{
	if (p->out)
		buf_put(p->out, s, n);
}

static void ws(struct jp *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' ||
				 *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static int hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* Length of the UTF-8 sequence at s (0 if invalid). */
static int utf8_len(const unsigned char *s, const unsigned char *end)
{
	int n = *s >= 0xf0 && *s <= 0xf4 ? 4 : *s >= 0xe0 ? 3 : *s >= 0xc2 ? 2 : 0;

	if (*s >= 0xf8 || n == 0 || end - s < n)
		return 0;
	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((n == 3 && *s == 0xe0 && s[1] < 0xa0) ||
	    (n == 3 && *s == 0xed && s[1] >= 0xa0) ||
	    (n == 4 && *s == 0xf0 && s[1] < 0x90) ||
	    (n == 4 && *s == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

static int string(struct jp *p)
{
	const char *start = p->s++;

	while (p->s < p->end && *p->s != '"') {
		unsigned char c = *p->s;

		if (c < 0x20)
			return fail(p, "control character in a string");
		if (c == '\\') {
			if (p->end - p->s < 2)
				return fail(p, "unfinished escape");
			if (p->s[1] == 'u') {
				if (p->end - p->s < 6 || !hex(p->s[2]) || !hex(p->s[3]) ||
				    !hex(p->s[4]) || !hex(p->s[5]))
					return fail(p, "bad \\u escape");
				p->s += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", p->s[1]) || !p->s[1])
				return fail(p, "bad escape");
			p->s += 2;
			continue;
		}
		if (c < 0x80) {
			p->s++;
			continue;
		}
		int n = utf8_len((const unsigned char *)p->s,
				 (const unsigned char *)p->end);
		if (!n)
			return fail(p, "invalid UTF-8");
		p->s += n;
	}
	if (p->s >= p->end)
		return fail(p, "unterminated string");
	p->s++;
	emit(p, start, p->s - start);
	return 0;
}

static int digits(struct jp *p)
{
	const char *start = p->s;

	while (p->s < p->end && *p->s >= '0' && *p->s <= '9')
		p->s++;
	return p->s > start ? 0 : fail(p, "bad number");
}

static int number(struct jp *p)
{
	const char *start = p->s;

	if (*p->s == '-')
		p->s++;
	if (p->s < p->end && *p->s == '0')
		p->s++;
	else if (digits(p))
		return -1;
	if (p->s < p->end && *p->s == '.') {
		p->s++;
		if (digits(p))
			return -1;
	}
	if (p->s < p->end && (*p->s == 'e' || *p->s == 'E')) {
		p->s++;
		if (p->s < p->end && (*p->s == '+' || *p->s == '-'))
			p->s++;
		if (digits(p))
			return -1;
	}
	emit(p, start, p->s - start);
	return 0;
}

static int literal(struct jp *p)
{
	static const char *const words[] = { "true", "false", "null" };

	for (int i = 0; i < 3; i++) {
		size_t n = strlen(words[i]);

		if ((size_t)(p->end - p->s) >= n && !memcmp(p->s, words[i], n)) {
			emit(p, p->s, n);
			p->s += n;
			return 0;
		}
	}
	return fail(p, "unexpected character");
}

static int value(struct jp *p, int depth);

/* Objects and arrays share one loop: '{' "k": v, … '}' or '[' v, … ']'. */
static int container(struct jp *p, int depth)
{
	char close = *p->s == '{' ? '}' : ']';
	int object = close == '}';

	if (depth >= MAX_DEPTH)
		return fail(p, "nested too deeply");
	emit(p, p->s++, 1);
	ws(p);
	if (p->s < p->end && *p->s == close) {
		emit(p, p->s++, 1);
		return 0;
	}
	for (;;) {
		ws(p);
		if (object) {
			if (p->s >= p->end || *p->s != '"' || string(p))
				return fail(p, "expected a member name");
			ws(p);
			if (p->s >= p->end || *p->s != ':')
				return fail(p, "expected ':'");
			emit(p, p->s++, 1);
		}
		if (value(p, depth + 1))
			return -1;
		ws(p);
		if (p->s >= p->end)
			return fail(p, "unterminated object or array");
		if (*p->s == close) {
			emit(p, p->s++, 1);
			return 0;
		}
		if (*p->s != ',')
			return fail(p, "expected ',' or the end of an object or array");
		emit(p, p->s++, 1);
	}
}

static int value(struct jp *p, int depth)
{
	ws(p);
	if (p->s >= p->end)
		return fail(p, "missing value");
	switch (*p->s) {
	case '{': case '[': return container(p, depth);
	case '"': return string(p);
	case '-': case '0' ... '9': return number(p);
	default: return literal(p);
	}
}

/* Go's encoding/json escaping of a string's bytes (HTML-safe). */
static void go_escape(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			buf_char(b, '\\');
			buf_char(b, c);
		} else if (c == '<' || c == '>' || c == '&' || c < 0x20) {
			buf_str(b, "\\u00");
			buf_char(b, "0123456789abcdef"[c >> 4]);
			buf_char(b, "0123456789abcdef"[c & 15]);
		} else if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
			   ((unsigned char)s[i + 2] & 0xfe) == 0xa8) {
			buf_str(b, (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
			i += 2;
		} else {
			buf_char(b, c);
		}
	}
}

struct members {
	const char *name;	/* inside the quotes */
	size_t name_len;
	const char *data;	/* compacted into data_buf */
	int have_data;
};

static int valid_name(const char *s, size_t n)
{
	if (n == 0 || n > MAX_NAME)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* One member of the top-level object: "event" and "data" are kept,
 * anything else (timestamp) is only checked. */
static int member(struct jp *p, struct members *m, struct buf *data)
{
	const char *key = p->s;
	struct buf *saved = p->out;

	p->out = 0;
	if (p->s >= p->end || *p->s != '"' || string(p))
		return fail(p, "expected a member name");
	size_t klen = p->s - key;
	ws(p);
	if (p->s >= p->end || *p->s++ != ':')
		return fail(p, "expected ':'");
	ws(p);
	if (klen == 7 && !memcmp(key, "\"event\"", 7)) {
		const char *v = p->s;

		if (m->name || p->s >= p->end || *p->s != '"' || string(p))
			return fail(p, "\"event\" must be one string");
		m->name = v + 1;
		m->name_len = p->s - v - 2;
	} else if (klen == 6 && !memcmp(key, "\"data\"", 6)) {
		if (m->have_data)
			return fail(p, "\"data\" given twice");
		m->have_data = 1;
		p->out = data;
		if (value(p, 1))
			return -1;
	} else if (value(p, 1)) {
		return -1;
	}
	p->out = saved;
	return 0;
}

static int top(struct jp *p, struct members *m, struct buf *data)
{
	ws(p);
	if (p->s >= p->end || *p->s++ != '{')
		return fail(p, "an event must be a JSON object");
	ws(p);
	if (p->s < p->end && *p->s == '}')
		p->s++;
	else
		for (;;) {
			ws(p);
			if (member(p, m, data))
				return -1;
			ws(p);
			if (p->s < p->end && *p->s == ',') {
				p->s++;
				continue;
			}
			if (p->s < p->end && *p->s == '}') {
				p->s++;
				break;
			}
			return fail(p, "expected ',' or '}'");
		}
	ws(p);
	return p->s == p->end ? 0 : fail(p, "text after the object");
}

static long finish(struct buf *b, const char *name, size_t name_len,
		   const char *details, size_t details_len)
{
	buf_str(b, "{\"event\":\"");
	buf_put(b, name, name_len);
	buf_str(b, "\",\"details\":\"");
	go_escape(b, details, details_len);
	buf_str(b, "\"}\n");
	return b->truncated ? -1 : (long)b->len;
}

static long reject(char *err, size_t err_len, const char *why)
{
	struct buf e = { err, 0, err_len, 0 };

	buf_str(&e, why);
	buf_cstr(&e);
	return -1;
}

long event_line(const char *in, size_t len, char *out, size_t cap,
		char *err, size_t err_len)
{
	static char data_store[8192];
	struct buf data = BUF_INIT(data_store), line = { out, 0, cap, 0 };
	struct jp p = { in, in + len, 0, 0 };
	struct members m = { 0 };

	if (memchr(in, '\0', len))
		return reject(err, err_len, "NUL byte in the event");
	if (top(&p, &m, &data))
		return reject(err, err_len, p.err);
	if (!m.name)
		return reject(err, err_len, "no \"event\" member");
	if (!valid_name(m.name, m.name_len))
		return reject(err, err_len, "the event name must be 1 to 64 letters, digits or '_'");
	if (m.name_len == strlen(OWN_EVENT) && !memcmp(m.name, OWN_EVENT, m.name_len))
		return reject(err, err_len, "the event name " OWN_EVENT " is tether-supervise's own");
	if (data.truncated)
		return reject(err, err_len, "\"data\" is too long");
	long n = finish(&line, m.name, m.name_len, data.p, data.len);
	if (n < 0)
		return reject(err, err_len, "the line would be too long for the termination log");
	return n;
}

long event_own_line(const char *details_json, char *out, size_t cap)
{
	struct buf line = { out, 0, cap, 0 };

	return finish(&line, OWN_EVENT, strlen(OWN_EVENT), details_json,
		      strlen(details_json));
}
