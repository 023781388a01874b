/* The resolver on the loop: lookups, their timeouts, and their answers.
 *
 * Each lookup has one ev_timer. For a name it is the timeout, and the
 * answer comes from the worker pool (resolve_pool.c) through its done
 * callback; for a numeric host the answer is ready at once, and the timer,
 * started with no delay, delivers it on the next loop iteration, so that no
 * callback ever runs inside ms_resolve(). A lookup leaves every list and
 * frees itself before its callback runs: the callback may do anything,
 * free the resolver included. */
#include <ev.h>
#include <string.h>

#include "base/alloc.h"
#include "dns/resolve_private.h"
#include "moonsip/addr.h"

#define CONTAINER(p, type, field) ((type *)(void *)((char *)(p)-offsetof(type, field)))
#define DEFAULT_TIMEOUT_MS 5000

struct ms_resolver {
	struct ev_loop *loop;
	double timeout; /* seconds */
	struct ms__dns_pool *pool;
	struct ms_resolve *pending; /* every lookup not yet answered */
	ms__dns_lookup_fn lookup;
	void *lookup_ctx;
};

struct ms_resolve {
	struct ms_resolve *prev, *next;
	struct ms_resolver *r;
	ev_timer timer;
	struct ms__dns_job *job; /* the pool's, until answered; NULL for a numeric host */
	ms_resolve_cb cb;
	void *arg;
	int err;                      /* a numeric host's answer: 0 or MS_ENOENT */
	struct sockaddr_storage addr; /* and its address */
};

/* Takes 'q' out of its resolver and frees it (the caller has dealt with
 * its job). */
static void lookup_free(struct ms_resolve *q)
{
	struct ms_resolver *r = q->r;
	ev_timer_stop(r->loop, &q->timer);
	if (q->prev)
		q->prev->next = q->next;
	else
		r->pending = q->next;
	if (q->next)
		q->next->prev = q->prev;
	ms__free(q);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct ms_resolve *q = CONTAINER(w, struct ms_resolve, timer);
	ms_resolve_cb cb = q->cb;
	void *arg = q->arg;
	if (q->job) {
		/* Timed out: the worker, if it is still at it, throws the
		 * answer away. */
		ms__dns_pool_withdraw(q->r->pool, q->job);
		lookup_free(q);
		cb(MS_EAGAIN, NULL, 0, arg);
		return;
	}
	int err = q->err;
	struct sockaddr_storage a = q->addr;
	lookup_free(q);
	cb(err, err ? NULL : &a, err ? 0 : 1, arg);
}

static void on_job_done(struct ms__dns_job *job, void *rarg)
{
	(void)rarg;
	struct ms_resolve *q = job->owner;
	ms_resolve_cb cb = q->cb;
	void *arg = q->arg;
	q->job = NULL;
	lookup_free(q);
	if (job->result < 0)
		cb(job->result, NULL, 0, arg);
	else
		cb(0, job->addrs, (size_t)job->result, arg);
	ms__dns_job_free(job);
}

int ms_resolver_new(struct ms_resolver **out, struct ev_loop *loop, uint32_t timeout_ms)
{
	if (!loop)
		return MS_EINVAL;
	struct ms_resolver *r = ms__calloc(1, sizeof *r);
	if (!r)
		return MS_ENOMEM;
	int rc = ms__dns_pool_new(&r->pool, loop, on_job_done, r);
	if (rc < 0) {
		ms__free(r);
		return rc;
	}
	r->loop = loop;
	r->timeout = (timeout_ms ? timeout_ms : DEFAULT_TIMEOUT_MS) / 1000.0;
	r->lookup = ms__dns_getaddrinfo;
	*out = r;
	return 0;
}

void ms_resolve_cancel(struct ms_resolve *q)
{
	if (!q)
		return;
	if (q->job)
		ms__dns_pool_withdraw(q->r->pool, q->job);
	lookup_free(q);
}

void ms_resolver_free(struct ms_resolver *r)
{
	if (!r)
		return;
	while (r->pending)
		ms_resolve_cancel(r->pending);
	ms__dns_pool_free(r->pool);
	ms__free(r);
}

/* 1 with *out set for a numeric host, 0 for anything else, MS_EINVAL for
 * brackets around something other than an IPv6 address. */
static int numeric(struct ms_str host, uint16_t port, struct sockaddr_storage *out)
{
	if (host.len && memchr(host.s, 0, host.len))
		return 0; /* inet_pton would stop at the NUL */
	bool bracketed = host.len >= 2 && host.s[0] == '[' && host.s[host.len - 1] == ']';
	if (ms_addr_set(out, host, port) < 0)
		return bracketed ? MS_EINVAL : 0;
	if (bracketed && out->ss_family != AF_INET6)
		return MS_EINVAL;
	return 1;
}

int ms_resolve(struct ms_resolver *r, struct ms_str host, int family, uint16_t port, ms_resolve_cb cb,
	       void *arg, struct ms_resolve **handle)
{
	if (!r || !cb || (family != AF_UNSPEC && family != AF_INET && family != AF_INET6))
		return MS_EINVAL;
	if (host.len && !host.s)
		return MS_EINVAL;
	struct sockaddr_storage addr;
	int num = numeric(host, port, &addr);
	if (num < 0 || (num == 0 && !ms__dns_name_ok(host)))
		return MS_EINVAL;
	struct ms_resolve *q = ms__calloc(1, sizeof *q);
	if (!q)
		return MS_ENOMEM;
	q->r = r;
	q->cb = cb;
	q->arg = arg;
	if (num) {
		q->addr = addr;
		q->err = family == AF_UNSPEC || family == addr.ss_family ? 0 : MS_ENOENT;
		ev_timer_init(&q->timer, on_timer, 0.0, 0.0);
	} else {
		q->job = ms__dns_job_new(host, family, port, r->lookup, r->lookup_ctx);
		if (!q->job) {
			ms__free(q);
			return MS_ENOMEM;
		}
		q->job->owner = q;
		int rc = ms__dns_pool_submit(r->pool, q->job);
		if (rc < 0) {
			ms__dns_job_free(q->job);
			ms__free(q);
			return rc;
		}
		ev_timer_init(&q->timer, on_timer, r->timeout, 0.0);
	}
	q->next = r->pending;
	if (r->pending)
		r->pending->prev = q;
	r->pending = q;
	ev_timer_start(r->loop, &q->timer);
	if (handle)
		*handle = q;
	return 0;
}

void ms__resolver_set_lookup(struct ms_resolver *r, ms__dns_lookup_fn fn, void *ctx)
{
	r->lookup = fn ? fn : ms__dns_getaddrinfo;
	r->lookup_ctx = fn ? ctx : NULL;
}

size_t ms__resolver_jobs(struct ms_resolver *r)
{
	return ms__dns_pool_jobs(r->pool);
}
