/* QMP events → termination-log lines.
 *
 * Input: the event object as QEMU emits it,
 *   {"event":"SHUTDOWN","data":{"guest":true,"reason":"guest-reset"},"timestamp":{…}}
 * Output (what virt-launcher's callback writes, byte for byte):
 *   {"event":"SHUTDOWN","details":"{\"guest\":true,\"reason\":\"guest-reset\"}"}\n
 * `details` is `data` without insignificant whitespace, as a JSON string
 * escaped the way Go's encoding/json escapes it. */
#ifndef SUPERVISE_EVENT_H
#define SUPERVISE_EVENT_H

#include <stddef.h>

/* tether-supervise's own event name; senders may not use it. */
#define OWN_EVENT "TETHER_SUPERVISE"

/* Formats the line for one event into out (cap bytes).  Returns its
 * length, or -1 with a reason in err (err_len bytes). */
long event_line(const char *in, size_t len, char *out, size_t cap,
		char *err, size_t err_len);
/* The line for tether-supervise's own event; details_json is an object
 * built by the caller from fixed words only. */
long event_own_line(const char *details_json, char *out, size_t cap);

#endif
