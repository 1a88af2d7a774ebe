/* The istio sidecar is asked to quit, as virt-launcher-monitor does it,
 * with every wait an fd in the loop: a non-blocking connect and a timer
 * per request. */
#include "istio.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define READY_PORT 15021	/* envoy's health check */
#define QUIT_PORT 15020		/* envoy's merged telemetry port */
#define REQUEST_MS 2000		/* the monitor's http.Client timeout */
#define POST_TRIES 4

static const char get_ready[] =
	"GET /healthz/ready HTTP/1.1\r\nHost: localhost:15021\r\n"
	"User-Agent: tether-supervise\r\nConnection: close\r\n\r\n";
static const char post_quit[] =
	"POST /quitquitquit HTTP/1.1\r\nHost: localhost:15020\r\n"
	"User-Agent: tether-supervise\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

static void request(struct istio *is);

static void close_sock(struct istio *is)
{
	loop_close(is->loop, &is->sock);
}

static void finish(struct istio *is)
{
	close_sock(is);
	loop_close(is->loop, &is->timer);
	is->done(is->ctx);
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

/* parse's answer while the headers are not complete yet. */
enum { HTTP_INCOMPLETE = -2 };

/* The status code, and whether a "Server: envoy" header came with it
 * (Go's Header.Get: the name in any case, the value trimmed); 0 for an
 * answer that is not HTTP, HTTP_INCOMPLETE before the headers' end. */
static int parse(struct istio *is, int *envoy)
{
	char *end, *p, *nl, *v, *e;

	is->buf[is->len] = '\0';
	end = strstr(is->buf, "\r\n\r\n");
	if (!end)
		return HTTP_INCOMPLETE;
	if (strncmp(is->buf, "HTTP/1.", 7) || !digit(is->buf[9]) ||
	    !digit(is->buf[10]) || !digit(is->buf[11]))
		return 0;
	*envoy = 0;
	for (p = strstr(is->buf, "\r\n") + 2; p < end; p = nl + 2) {
		nl = strstr(p, "\r\n");
		if (*envoy || strncasecmp(p, "server:", 7))
			continue;
		for (v = p + 7; *v == ' ' || *v == '\t'; v++)
			;
		for (e = nl; e > v && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*envoy = e - v == 5 && !memcmp(v, "envoy", 5);
		if (!*envoy)
			break;	/* Get returns the first value only */
	}
	return (is->buf[9] - '0') * 100 + (is->buf[10] - '0') * 10 + (is->buf[11] - '0');
}

/* A failed attempt: err is an errno, or 0 with the status in code. */
static void failed(struct istio *is, int err, int code)
{
	close_sock(is);
	if (!is->post) {
		/* No envoy answering: no sidecar, nothing to do. */
		errno = err;
		if (err)
			log_debug("no istio-proxy on port %d: %m", READY_PORT);
		else
			log_debug("no istio-proxy on port %d: not envoy", READY_PORT);
		finish(is);
		return;
	}
	errno = err;
	if (err)
		log_error("failed to request istio-proxy termination: %m");
	else
		log_error("istio-proxy termination: status code received: %d", code);
	if (++is->attempt < POST_TRIES &&
	    (err == ECONNREFUSED || err == ECONNRESET || code == 503)) {
		/* 50, 250, 1250 ms, as the monitor's back-off */
		long ms = 50;

		for (int i = 1; i < is->attempt; i++)
			ms *= 5;
		is->retry_wait = 1;
		timer_arm(is->timer.fd, ms);
		return;
	}
	log_error("all attempts to terminate istio-proxy failed");
	finish(is);
}

static void answered(struct istio *is, int code, int envoy)
{
	close_sock(is);
	if (!is->post) {
		if (!envoy) {
			failed(is, 0, code);
			return;
		}
		log_info("istio-proxy is present: asking it to quit");
		is->post = 1;
		request(is);
		return;
	}
	if (code != 200) {
		failed(is, 0, code);
		return;
	}
	log_info("istio-proxy asked to quit");
	finish(is);
}

static void on_sock(struct watch *w, uint32_t events)
{
	struct istio *is = w->ctx;
	const char *req = is->post ? post_quit : get_ready;
	size_t req_len = is->post ? sizeof(post_quit) - 1 : sizeof(get_ready) - 1;
	int err = 0, code, envoy;
	socklen_t len = sizeof(err);
	ssize_t n;

	if (w->fd < 0)
		return;
	if (is->sent < req_len) {
		if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			failed(is, err, 0);
			return;
		}
		n = send(w->fd, req + is->sent, req_len - is->sent, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN) {
			failed(is, errno, 0);
			return;
		}
		is->sent += n > 0 ? n : 0;
		/* All sent: from now on the answer is awaited. */
		if (is->sent == req_len && loop_del(is->loop, w) == 0 &&
		    loop_add(is->loop, w, EPOLLIN) < 0) {
			err = errno;
			close(w->fd);
			w->fd = -1;
			failed(is, err, 0);
		}
		return;
	}
	(void)events;
	n = recv(w->fd, is->buf + is->len, sizeof(is->buf) - 1 - is->len, 0);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0) {
		failed(is, errno, 0);
		return;
	}
	is->len += n;
	code = parse(is, &envoy);
	if (code > 0)
		answered(is, code, envoy);
	else if (code == 0)
		failed(is, EPROTO, 0);
	else if (n == 0 || is->len == sizeof(is->buf) - 1)	/* never complete */
		failed(is, EPROTO, 0);
}

static void on_timer(struct watch *w, uint32_t events)
{
	struct istio *is = w->ctx;

	(void)events;
	if (w->fd < 0)
		return;
	timer_ack(w->fd);
	if (is->retry_wait) {
		is->retry_wait = 0;
		request(is);
		return;
	}
	failed(is, ETIMEDOUT, 0);
}

static void request(struct istio *is)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(is->post ? QUIT_PORT : READY_PORT),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	is->len = is->sent = 0;
	is->sock.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (is->sock.fd < 0) {
		failed(is, errno, 0);
		return;
	}
	if ((connect(is->sock.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	     errno != EINPROGRESS) ||
	    loop_add(is->loop, &is->sock, EPOLLOUT) < 0) {
		int err = errno;

		close(is->sock.fd);
		is->sock.fd = -1;
		failed(is, err, 0);
		return;
	}
	timer_arm(is->timer.fd, REQUEST_MS);
}

void istio_quit(struct istio *is, struct loop *l, void (*done)(void *), void *ctx)
{
	*is = (struct istio){
		.loop = l, .sock = { -1, on_sock, is }, .timer = { -1, on_timer, is },
		.done = done, .ctx = ctx,
	};
	is->timer.fd = timer_open();
	if (is->timer.fd < 0 || loop_add(l, &is->timer, EPOLLIN) < 0) {
		log_error("asking istio-proxy to quit: timerfd: %m");
		if (is->timer.fd >= 0)
			close(is->timer.fd);
		done(ctx);
		return;
	}
	request(is);
}
