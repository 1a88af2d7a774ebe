/* Unit tests of --cleanup-glob's matching (supervisor/cleanup.c): '*' and
 * '?' only, a leading dot matched only by a dot. */
#define UNIT_NAME "unit_sup_glob"
#include "check.h"

#include "../../supervisor/cleanup.c"

static void matches(void)
{
	CHECK_INT(wild_match("*.sock", "disk_0.sock"), 1);
	CHECK_INT(wild_match("*.sock", ".sock"), 0);
	CHECK_INT(wild_match("*.sock", ".hidden.sock"), 0);
	CHECK_INT(wild_match(".*.sock", ".hidden.sock"), 1);
	CHECK_INT(wild_match("*.sock", "disk_0.sock.tmp"), 0);
	CHECK_INT(wild_match("*.sock", "x.sockx.sock"), 1);
	CHECK_INT(wild_match("disk_?.sock", "disk_1.sock"), 1);
	CHECK_INT(wild_match("disk_?.sock", "disk_12.sock"), 0);
	CHECK_INT(wild_match("*", "a"), 1);
	CHECK_INT(wild_match("*", ""), 1);
	CHECK_INT(wild_match("?", ""), 0);
	CHECK_INT(wild_match("a*b*c", "aXXbYYc"), 1);
	CHECK_INT(wild_match("a*b*c", "aXXbYY"), 0);
	CHECK_INT(wild_match("**.sock", "a.sock"), 1);
	CHECK_INT(wild_match("exact", "exact"), 1);
	CHECK_INT(wild_match("exact", "exac"), 0);
}

int main(void)
{
	RUN(matches);
	UNIT_DONE();
}
