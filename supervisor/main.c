/* tether-supervise: PID 1 of KubeVirt's compute container. */
#include "config.h"
#include "log.h"
#include "role.h"
#include "run.h"
#include "termlog.h"

static const char usage[] =
"usage: tether-supervise [OPTIONS] -- MAIN [ARGS...]\n"
"       tether-supervise --for-parent [OPTIONS]\n"
"       tether-supervise --monitor [OPTIONS] -- [MONITOR-ARGS...]\n"
"       virt-launcher-monitor MONITOR-ARGS...   (argv[0]; also as\n"
"       tini -- virt-launcher-monitor MONITOR-ARGS...)\n"
"       tether-supervise --send-event SOCKET JSON\n"
"\n"
"PID 1 of the compute container: starts MAIN (virt-launcher), then virtlogd\n"
"once its config exists, then virtqemud once its config exists and\n"
"virtlogd's socket has appeared; restarts them with back-off; stops\n"
"MAIN -> leftover QEMU -> virtqemud -> virtlogd -> the rest; writes the\n"
"termination log; exits with MAIN's status (128+N when killed by signal N).\n"
"\n"
"--for-parent: started by virt-launcher instead of its daemon goroutines;\n"
"  no MAIN; stops the daemons in order when the parent exits or sends TERM;\n"
"  LIBVIRT_UNIX_SOCKET_AUTH_PID is the parent's pid; no prepare, seed or\n"
"  socket clean-up unless given; no crash budget and --backoff-max 1 unless\n"
"  given (the parent restarted its daemons for ever, 1 s apart).\n"
"  --output-fd FD            the daemons' stdout and stderr are the parent's\n"
"                            FD itself (not parsed, not logged by us)\n"
"--monitor (or the name virt-launcher-monitor): KubeVirt's monitor; runs\n"
"  --launcher with every MONITOR-ARG but --keep-after-failure; INT, TERM,\n"
"  QUIT -> SIGTERM to it; then dumps the passt and QEMU logs, gives QEMU\n"
"  --qemu-timeout, asks istio-proxy to quit, removes --container-disk-dir's\n"
"  sockets; no daemon and no termination log unless --virtlogd, --virtqemud\n"
"  or --termination-log is given.\n"
"  --launcher PATH           [/usr/bin/virt-launcher]\n"
"  --no-istio-quit           do not ask the istio sidecar to quit\n"
"\n"
"Daemons (defaults in brackets):\n"
"  --virtlogd PATH           [/usr/sbin/virtlogd]\n"
"  --virtlogd-conf PATH      -f for virtlogd, waited for [/etc/libvirt/virtlogd.conf]\n"
"  --virtlogd-socket PATH    readiness [/var/run/libvirt/virtlogd-sock]\n"
"  --virtlogd-arg ARG        one more argument (repeatable)\n"
"  --virtqemud PATH          [/usr/sbin/virtqemud]\n"
"  --virtqemud-conf PATH     [/var/run/libvirt/virtqemud.conf]\n"
"  --virtqemud-socket PATH   [/var/run/libvirt/virtqemud-sock]\n"
"  --virtqemud-arg ARG       one more argument (repeatable)\n"
"  --no-virtlogd, --no-virtqemud   do not run that daemon\n"
"  An empty conf or socket (\"\") means: no -f / ready when started.\n"
"  --no-restricted-flags     never pass --no-admin-srv / --no-ro-srv\n"
"  --strict                  refuse (exit 4) a daemon that lacks them\n"
"  --auth-pid PID|main|parent|none  LIBVIRT_UNIX_SOCKET_AUTH_PID for virtqemud\n"
"                            [main; parent with --for-parent]\n"
"  --virtqemud-env inherit|auth-pid-only  virtqemud's environment: ours plus\n"
"                            the variable, or that variable alone\n"
"                            [inherit; auth-pid-only with --for-parent]\n"
"\n"
"Restarts and stop (seconds, up to 3 decimals):\n"
"  --backoff S               second restart delay, doubling [0.1]\n"
"  --backoff-max S           [5; 1 with --for-parent]\n"
"  --crash-budget N          crashes allowed per window, 0 = no limit\n"
"                            [10; 0 with --for-parent]\n"
"  --crash-window S          [600]\n"
"  --grace S                 TERM -> KILL for each daemon and the rest [5]\n"
"  --main-grace S            TERM -> KILL for MAIN, 0 = never KILL [0]\n"
"  --qemu-timeout S          TERM -> KILL for leftover QEMU [10]\n"
"  --cleanup-glob PATTERN    sockets removed at exit\n"
"                            [/var/run/kubevirt/container-disks/*.sock]\n"
"  --no-cleanup\n"
"\n"
"Read-only root:\n"
"  --prepare-dir DIR         create and check writable (repeatable; replaces\n"
"                            /var/run/libvirt /var/log/libvirt\n"
"                            /var/lib/libvirt/qemu /var/cache/libvirt)\n"
"  --no-prepare\n"
"  --seed-from DIR, --seed-to DIR  [/etc/libvirt-init -> /etc/libvirt]\n"
"  --no-seed\n"
"\n"
"Termination log:\n"
"  --termination-log PATH    [/dev/termination-log]\n"
"  --event-socket PATH       [/var/run/kubevirt-private/tether-events.sock]\n"
"  --termination-log-max N   bytes kept, 1024..1048576 [4096]\n"
"  --no-termination-log\n"
"  --send-event SOCKET JSON  send one QMP event; exit 0 written, 1 rejected\n"
"\n"
"Shared: -v, --verbose (repeatable); -q, --quiet (errors only);\n"
"  --log-level error|warning|info|debug [info]; --log-format json|text;\n"
"  -h, --help; --version\n"
"\n"
"Exit codes: MAIN's own (128+N if killed by signal N); 1 QEMU had to be\n"
"killed although MAIN exited 0; 2 bad usage; 3 a daemon spent its crash\n"
"budget; 4 --strict and a daemon lacks the restricted flags; 5 a directory\n"
"is not writable or seeding failed; 111 a system call failed in set-up (or,\n"
"with --for-parent, the parent had gone); 126/127 MAIN could not be\n"
"executed / was not found.  --for-parent: 0 when stopped.  The monitor:\n"
"virt-launcher's code, 255 if it was killed by a signal, 1 if it could not\n"
"be started or QEMU outlived --qemu-timeout.\n";

static const struct cli_role role = {
	"tether-supervise", "tether-supervise", usage, EXIT_USAGE,
};

int main(int argc, char **argv)
{
	static struct config cfg;
	struct role_start rs;
	int r;

	if (role_start(&rs) < 0)
		return EXIT_SETUP;
	if ((r = config_parse(&cfg, argc, argv)) != CLI_OK)
		return cli_end(&role, &cfg.cli, r);
	if (cfg.action == ACT_SEND) {
		log_setup("tether-supervise", LOG_ERROR, LOG_TEXT);
		return termlog_send(cfg.send_path, cfg.send_json);
	}
	/* Under the monitor's name, its log lines carry its component. */
	cli_log_setup(cfg.mode == MODE_MONITOR ? "virt-launcher-monitor" : "tether-supervise",
		      &cfg.cli, LOG_INFO);
	return supervise(&cfg, &rs);
}
