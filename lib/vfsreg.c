/* The registration protocol's wire format (vfsreg.h). */
#include "vfsreg.h"
#include "buf.h"
#include "fd.h"

#include <string.h>

static int is(const char *data, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len == n && !memcmp(data, word, n);
}

enum vfsreg_req vfsreg_request(const char *data, size_t len, int n)
{
	if (is(data, len, VFSREG_RESERVE) && n == 0)
		return VFSREG_REQ_RESERVE;
	if (is(data, len, VFSREG_REGISTER) && (n == 1 || n == VFSREG_NFDS))
		return VFSREG_REQ_REGISTER;
	return VFSREG_BAD;
}

static const char *const words[] = { [VFSREG_OK] = "OK", [VFSREG_BUSY] = "BUSY", [VFSREG_ERR] = "ERR" };

size_t vfsreg_format(char *out, enum vfsreg_kind kind, long pid, const char *why)
{
	struct buf b = { out, 0, VFSREG_MAX, 0 };

	if (kind == VFSREG_ERR)
		buf_printf(&b, "ERR %.*s\n", VFSREG_MAX - 6, why);
	else
		buf_printf(&b, "%s %ld\n", words[kind == VFSREG_BUSY ? VFSREG_BUSY : VFSREG_OK], pid);
	return b.len;
}

void vfsreg_parse(const char *data, size_t len, struct vfsreg_answer *a)
{
	char line[VFSREG_MAX];
	size_t n = 0;

	while (n < len && n < sizeof(line) - 1 && data[n] != '\n')
		n++;
	memcpy(line, data, n);
	line[n] = '\0';
	memcpy(a->why, line, n + 1);
	a->kind = VFSREG_NONE;
	a->pid = -1;
	if (n == len || data[n] != '\n')
		return;		/* no whole line */
	if (!strncmp(line, "ERR ", 4)) {
		a->kind = VFSREG_ERR;
		memmove(a->why, line + 4, n - 3);
		return;
	}
	for (int k = VFSREG_OK; k <= VFSREG_BUSY; k++) {
		size_t w = strlen(words[k]);

		if (!strncmp(line, words[k], w) && line[w] == ' ' &&
		    !parse_long(line + w + 1, 0, 1 << 30, &a->pid)) {
			a->kind = k;
			return;
		}
	}
}
