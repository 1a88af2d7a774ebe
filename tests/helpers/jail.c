/* Test helper: runs a program the way a pod runs a container's command
 * with `runAsUser`, drop ALL and allowPrivilegeEscalation: false, in a
 * root that setpriv cannot reach (it is not in the image).
 *
 *   jail ROOT UID PROGRAM [ARGS...]
 *
 * chroot(ROOT), empty bounding set, uid = gid = UID, no groups, no
 * capabilities left in any set, no_new_privs, exec. */
#include "caps.h"
#include "fd.h"

#include <grp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long uid;

	if (argc < 4 || parse_long(argv[2], 1, 65535, &uid)) {
		fprintf(stderr, "usage: jail ROOT UID PROGRAM [ARGS...]\n");
		return 2;
	}
	if (chroot(argv[1]) < 0 || chdir("/") < 0) {
		perror(argv[1]);
		return 1;
	}
	for (int cap = 0; cap <= cap_last(); cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			perror("PR_CAPBSET_DROP");
			return 1;
		}
	/* Leaving uid 0 clears the permitted and effective sets. */
	if (setgroups(0, 0) < 0 || setresgid(uid, uid, uid) < 0 ||
	    setresuid(uid, uid, uid) < 0 || caps_limit(0) < 0 ||
	    no_new_privs() < 0) {
		perror("dropping privileges");
		return 1;
	}
	execv(argv[3], argv + 3);
	perror(argv[3]);
	return 127;
}
