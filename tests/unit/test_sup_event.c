/* Unit tests of tether-supervise's QMP event parser (supervisor/event.c):
 * the line virt-launcher's callback writes, byte for byte, or a reason. */
#define UNIT_NAME "unit_sup_event"
#include "check.h"

#include "../../supervisor/event.c"

static char out[4096], err[256];

/* The line for in, or "!" and the reason. */
static const char *line_of(const char *in, size_t len, size_t cap)
{
	static char res[4096 + 256];
	long n;

	err[0] = 0;
	n = event_line(in, len, out, cap, err, sizeof(err));
	if (n < 0) {
		snprintf(res, sizeof(res), "!%s", err);
		return res;
	}
	snprintf(res, sizeof(res), "%.*s", (int)n, out);
	return res;
}
#define LINE(s) line_of(s, strlen(s), sizeof(out))

static void valid(void)
{
	CHECK_STR(LINE("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"SHUTDOWN\", "
		       "\"data\": {\"guest\": true, \"reason\": \"guest-reset\"}}"),
		  "{\"event\":\"SHUTDOWN\",\"details\":\"{\\\"guest\\\":true,\\\"reason\\\":\\\"guest-reset\\\"}\"}\n");
	CHECK_STR(LINE("{\"event\":\"STOP\"}"), "{\"event\":\"STOP\",\"details\":\"\"}\n");
	/* Tokens kept as sent; insignificant whitespace gone. */
	CHECK_STR(LINE(" \t\n{ \"event\" : \"X_1\" , \"data\" : [ 1.50 , -0 , 2e+3 , null , false , { } , [ ] ] } \r\n"),
		  "{\"event\":\"X_1\",\"details\":\"[1.50,-0,2e+3,null,false,{},[]]\"}\n");
	CHECK_STR(LINE("{\"data\":\"s\",\"event\":\"E\"}"), "{\"event\":\"E\",\"details\":\"\\\"s\\\"\"}\n");
}

/* Go's encoding/json escapes of the details string. */
static void escapes(void)
{
	CHECK_STR(LINE("{\"event\":\"E\",\"data\":\"<a&b>\"}"),
		  "{\"event\":\"E\",\"details\":\"\\\"\\u003ca\\u0026b\\u003e\\\"\"}\n");
	CHECK_STR(LINE("{\"event\":\"E\",\"data\":\"q\\\"\\\\\\n\\u00e9\\/\"}"),
		  "{\"event\":\"E\",\"details\":\"\\\"q\\\\\\\"\\\\\\\\\\\\n\\\\u00e9\\\\/\\\"\"}\n");
	/* U+2028 and U+2029 as raw UTF-8 become \u2028, \u2029; other UTF-8 stays. */
	CHECK_STR(LINE("{\"event\":\"E\",\"data\":\"\xe2\x80\xa8\xe2\x80\xa9\xc3\xa9\"}"),
		  "{\"event\":\"E\",\"details\":\"\\\"\\u2028\\u2029\xc3\xa9\\\"\"}\n");
}

static void malformed(void)
{
	const char *bad[] = {
		"", "[]", "\"x\"", "{", "{\"event\":\"E\"", "{\"event\":\"E\",}",
		"{\"event\" \"E\"}", "{event:\"E\"}", "{\"event\":\"E\"} x",
		"{\"event\":\"E\"}{}", "{\"event\":E}", "{\"event\":1}",
		"{\"event\":\"E\",\"event\":\"F\"}", "{\"event\":\"E\",\"data\":1,\"data\":2}",
		"{\"event\":\"E\",\"data\":01}", "{\"event\":\"E\",\"data\":1.}",
		"{\"event\":\"E\",\"data\":.5}", "{\"event\":\"E\",\"data\":+1}",
		"{\"event\":\"E\",\"data\":1e}", "{\"event\":\"E\",\"data\":tru}",
		"{\"event\":\"E\",\"data\":nul}", "{\"event\":\"E\",\"data\":\"\\x\"}",
		"{\"event\":\"E\",\"data\":\"\\u12g4\"}", "{\"event\":\"E\",\"data\":\"a\tb\"}",
		"{\"event\":\"E\",\"data\":\"\xff\"}", "{\"event\":\"E\",\"data\":\"\xc3\"}",
		"{\"event\":\"E\",\"data\":\"\xc0\xaf\"}", "{\"event\":\"E\",\"data\":[1,]}",
		"{\"event\":\"E\",\"data\":{\"a\"}}", "{\"event\":\"E\",\"data\":{1:2}}",
		"{\"data\":{}}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const char *r = LINE(bad[i]);

		if (r[0] != '!' || !r[1]) {
			printf("  accepted: %s -> %s\n", bad[i], r);
			check_failed = 1;
		}
	}
	CHECK_STR(LINE("{\"data\":{}}"), "!no \"event\" member");
	CHECK_STR(line_of("{\"event\":\"E\"}\0", 14, sizeof(out)), "!NUL byte in the event");
}

static void names(void)
{
	char name[80], in[128];

	CHECK_STR(LINE("{\"event\":\"\"}"), "!the event name must be 1 to 64 letters, digits or '_'");
	CHECK_STR(LINE("{\"event\":\"a-b\"}"), "!the event name must be 1 to 64 letters, digits or '_'");
	CHECK_STR(LINE("{\"event\":\"a\\u0041\"}"), "!the event name must be 1 to 64 letters, digits or '_'");
	CHECK_STR(LINE("{\"event\":\"TETHER_SUPERVISE\"}"),
		  "!the event name TETHER_SUPERVISE is tether-supervise's own");
	memset(name, 'N', 64);
	name[64] = 0;
	snprintf(in, sizeof(in), "{\"event\":\"%s\"}", name);
	CHECK(LINE(in)[0] != '!');
	name[64] = 'N';
	name[65] = 0;
	snprintf(in, sizeof(in), "{\"event\":\"%s\"}", name);
	CHECK(LINE(in)[0] == '!');
}

/* Nesting up to 32, the data bound, the line's room. */
static void bounds(void)
{
	static char in[20000];
	char *p;

	p = in + sprintf(in, "{\"event\":\"E\",\"data\":");
	for (int i = 0; i < 31; i++)
		*p++ = '[';
	for (int i = 0; i < 31; i++)
		*p++ = ']';
	strcpy(p, "}");
	CHECK(LINE(in)[0] != '!');
	p = in + sprintf(in, "{\"event\":\"E\",\"data\":");
	for (int i = 0; i < 32; i++)
		*p++ = '[';
	for (int i = 0; i < 32; i++)
		*p++ = ']';
	strcpy(p, "}");
	CHECK(LINE(in)[0] == '!');
	/* data longer than the parser's store */
	p = in + sprintf(in, "{\"event\":\"E\",\"data\":\"");
	memset(p, 'a', 9000);
	strcpy(p + 9000, "\"}");
	CHECK_STR(LINE(in), "!\"data\" is too long");
	/* a line that does not fit the caller's room */
	CHECK_STR(line_of("{\"event\":\"E\",\"data\":\"abcdef\"}", 29, 30),
		  "!the line would be too long for the termination log");
	CHECK(line_of("{\"event\":\"E\",\"data\":\"abcdef\"}", 29, 40)[0] != '!');
	/* only len bytes are read: the rest of the buffer is not the event */
	CHECK_STR(line_of("{\"event\":\"E\"}garbage", 13, sizeof(out)),
		  "{\"event\":\"E\",\"details\":\"\"}\n");
}

static void own_line(void)
{
	long n = event_own_line("{\"reason\":\"crash-budget\"}", out, sizeof(out));

	CHECK(n > 0);
	out[n > 0 ? n : 0] = 0;
	CHECK_STR(out, "{\"event\":\"TETHER_SUPERVISE\",\"details\":\"{\\\"reason\\\":\\\"crash-budget\\\"}\"}\n");
	CHECK_INT(event_own_line("{}", out, 10), -1);
}

int main(void)
{
	RUN(valid);
	RUN(escapes);
	RUN(malformed);
	RUN(names);
	RUN(bounds);
	RUN(own_line);
	UNIT_DONE();
}
