/* What virt-launcher-monitor does once virt-launcher has exited, besides
 * the QEMU wait and the socket clean-up the stop sequence does. */
#ifndef SUPERVISE_MONITOR_H
#define SUPERVISE_MONITOR_H

/* The passt log and every QEMU log, each line one info line on stderr. */
void monitor_dump_logs(void);

#endif
