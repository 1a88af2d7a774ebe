/* The termination log: its only writer, fed by a unix datagram socket. */
#ifndef SUPERVISE_TERMLOG_H
#define SUPERVISE_TERMLOG_H

#include "loop.h"
#include "tlfile.h"

#include <stddef.h>
#include <sys/types.h>

struct termlog {
	struct watch w;		/* the event socket */
	struct loop *loop;
	struct tlfile file;	/* the log */
	const char *sock_path;
	uid_t uid;		/* ours: senders of this uid are accepted */
	pid_t owner;		/* MAIN or the parent: its uid is accepted too */
	const char *owner_name;
};

/* Binds the event socket and adds it to the loop.  The log file itself
 * is opened only when the first line is written. */
int termlog_open(struct termlog *t, struct loop *l, const char *path,
		 const char *sock_path, long max);
/* tether-supervise's own reason for ending (details: a JSON object). */
void termlog_own(struct termlog *t, const char *details_json);
/* Removes the socket and syncs and closes the file. */
void termlog_close(struct termlog *t);

/* tether-supervise --send-event PATH JSON: sends one event and waits for
 * the verdict.  Returns the process exit code. */
int termlog_send(const char *sock_path, const char *json);

#endif
