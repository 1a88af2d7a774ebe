#include "buf.h"
#include "errnames.h"

#include <errno.h>
#include <string.h>

void buf_put(struct buf *b, const char *s, size_t n)
{
	size_t room = b->cap - b->len;

	if (n > room) {
		n = room;
		b->truncated = 1;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void buf_str(struct buf *b, const char *s)
{
	buf_put(b, s ? s : "(null)", strlen(s ? s : "(null)"));
}

void buf_char(struct buf *b, char c)
{
	buf_put(b, &c, 1);
}

void buf_ulong(struct buf *b, unsigned long long v, unsigned base)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	buf_put(b, tmp + i, sizeof(tmp) - i);
}

void buf_long(struct buf *b, long long v)
{
	if (v < 0) {
		buf_char(b, '-');
		buf_ulong(b, 0 - (unsigned long long)v, 10);
	} else {
		buf_ulong(b, v, 10);
	}
}

void buf_json(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\') {
			buf_char(b, '\\');
			buf_char(b, c);
		} else if (c == '\n') {
			buf_put(b, "\\n", 2);
		} else if (c == '\t') {
			buf_put(b, "\\t", 2);
		} else if (c == '\r') {
			buf_put(b, "\\r", 2);
		} else if (c < 0x20 || c == 0x7f) {
			buf_put(b, "\\u00", 4);
			buf_char(b, "0123456789abcdef"[c >> 4]);
			buf_char(b, "0123456789abcdef"[c & 15]);
		} else {
			buf_char(b, c);
		}
	}
}

static void put_errno(struct buf *b, int err)
{
	const char *name = errno_name(err);

	buf_str(b, strerror(err));
	buf_put(b, " (", 2);
	if (name)
		buf_str(b, name);
	else
		buf_ulong(b, err, 10);
	buf_char(b, ')');
}

/* Reads one integer argument of the size the modifiers named. */
static long long arg_signed(va_list *ap, int size)
{
	if (size == 2)
		return va_arg(*ap, long long);
	if (size == 1)
		return va_arg(*ap, long);
	if (size == 3)
		return va_arg(*ap, size_t);
	return va_arg(*ap, int);
}

static unsigned long long arg_unsigned(va_list *ap, int size)
{
	if (size == 2)
		return va_arg(*ap, unsigned long long);
	if (size == 1)
		return va_arg(*ap, unsigned long);
	if (size == 3)
		return va_arg(*ap, size_t);
	return va_arg(*ap, unsigned int);
}

static const char *conv(struct buf *b, const char *f, va_list *ap, int err)
{
	int size = 0, prec = -1;

	if (f[0] == '.' && f[1] == '*') {
		prec = va_arg(*ap, int);
		f += 2;
	} else if (f[0] == '.') {
		/* %.64s: bounded, so a long run of digits cannot overflow. */
		for (prec = 0, f++; *f >= '0' && *f <= '9'; f++)
			prec = prec > 99999 ? prec : prec * 10 + (*f - '0');
	}
	for (;; f++) {
		if (*f == 'h')
			continue;
		if (*f == 'l')
			size++;
		else if (*f == 'z')
			size = 3;
		else
			break;
	}
	switch (*f) {
	case 's': {
		const char *s = va_arg(*ap, const char *);
		if (s && prec >= 0)
			buf_put(b, s, strnlen(s, prec));
		else
			buf_str(b, s);
		break;
	}
	case 'd': case 'i': buf_long(b, arg_signed(ap, size)); break;
	case 'u': buf_ulong(b, arg_unsigned(ap, size), 10); break;
	case 'x': buf_ulong(b, arg_unsigned(ap, size), 16); break;
	case 'c': buf_char(b, (char)va_arg(*ap, int)); break;
	case 'm': put_errno(b, err); break;
	case '%': buf_char(b, '%'); break;
	case '\0': return f;
	default: buf_char(b, '%'); buf_char(b, *f); break;
	}
	return f + 1;
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	int err = errno;
	va_list cp;

	va_copy(cp, ap);
	while (*fmt) {
		const char *pct = strchr(fmt, '%');

		if (!pct) {
			buf_str(b, fmt);
			break;
		}
		buf_put(b, fmt, pct - fmt);
		fmt = conv(b, pct + 1, &cp, err);
	}
	va_end(cp);
	errno = err;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

static void put_digits(struct buf *b, long v, int n)
{
	for (long div = n == 6 ? 100000 : 10; div; div /= 10)
		buf_char(b, '0' + v / div % 10);
}

/* The civil date of a day count is Howard Hinnant's public-domain
 * algorithm: 400-year eras from 0000-03-01, so that the leap day ends the
 * year. */
void buf_utc(struct buf *b, long long sec, long usec)
{
	long long days = sec / 86400 + 719468, era = days / 146097;
	long doe = days - era * 146097, rem = sec % 86400;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	long mon = mp < 10 ? mp + 3 : mp - 9;

	buf_long(b, yoe + era * 400 + (mon <= 2));
	buf_char(b, '-');
	put_digits(b, mon, 2);
	buf_char(b, '-');
	put_digits(b, doy - (153 * mp + 2) / 5 + 1, 2);
	buf_char(b, 'T');
	put_digits(b, rem / 3600, 2);
	buf_char(b, ':');
	put_digits(b, rem / 60 % 60, 2);
	buf_char(b, ':');
	put_digits(b, rem % 60, 2);
	buf_char(b, '.');
	put_digits(b, usec, 6);
	buf_char(b, 'Z');
}

const char *buf_cstr(struct buf *b)
{
	if (b->len == b->cap) {
		b->len--;
		b->truncated = 1;
	}
	b->p[b->len] = '\0';
	return b->p;
}
