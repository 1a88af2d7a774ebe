/* What virt-launcher-monitor does for an istio sidecar once virt-launcher
 * has exited. */
#ifndef SUPERVISE_ISTIO_H
#define SUPERVISE_ISTIO_H

#include "loop.h"

#include <stddef.h>

/* Asks the istio sidecar to quit: when localhost:15021/healthz/ready is
 * answered by envoy, POST localhost:15020/quitquitquit.  Every request is
 * bounded (2 s), the POST is tried 4 times at most; done(ctx) is called
 * once, whatever happened. */
struct istio {
	struct loop *loop;
	struct watch sock, timer;
	int post;		/* 0: the readiness GET; 1: the POST */
	int attempt;
	int retry_wait;		/* the timer is a back-off, not a deadline */
	size_t len, sent;
	char buf[8192];
	void (*done)(void *ctx);
	void *ctx;
};

void istio_quit(struct istio *is, struct loop *l, void (*done)(void *), void *ctx);

#endif
