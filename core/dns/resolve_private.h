/* Inside the resolver: the blocking lookup, the worker pool that runs it
 * off the loop, and the seams the tests use.
 *
 * Who owns a job. The loop makes it and hands it to the pool
 * (ms__dns_pool_submit); from then on it is in one of three places, each
 * changed only under the pool's mutex: the queue (waiting for a worker),
 * a worker (running the lookup, touching nothing but the job), or the done
 * list (waiting for the loop). The loop gets it back through the pool's
 * done callback, or gives it up with ms__dns_pool_withdraw(): a job not
 * running is freed at once, a running one is marked and freed by its
 * worker when the lookup returns. A worker never touches the loop's memory:
 * the pool block it shares with the loop is reference counted, and after
 * the loop let go of it (ms__dns_pool_free) no worker calls ev_async_send
 * again. */
#ifndef MS_CORE_DNS_RESOLVE_PRIVATE_H
#define MS_CORE_DNS_RESOLVE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "moonsip/resolve.h"

/* Worker threads per resolver at most: a few slow names must not hold up
 * the rest, and a flood of names must not become a flood of threads. */
#define MS__DNS_THREADS 8
/* The longest DNS name, without its trailing dot. */
#define MS__DNS_NAME_MAX 253

/* The blocking lookup a worker runs for one name: writes at most
 * MS_RESOLVE_MAX addresses to 'out', each with 'port', and returns how many
 * (at least 1), or a negative MS_E code. It runs on a worker thread: it may
 * touch its arguments and 'ctx' only. */
typedef int (*ms__dns_lookup_fn)(const char *name, int family, uint16_t port, struct sockaddr_storage *out,
				 void *ctx);

/* resolve_lookup.c */
/* The library's lookup: getaddrinfo(). 'ctx' is unused. */
int ms__dns_getaddrinfo(const char *name, int family, uint16_t port, struct sockaddr_storage *out, void *ctx);
struct addrinfo;
/* getaddrinfo()'s list as addresses: AF_INET and AF_INET6 only, each with
 * 'port', duplicates dropped, the first 'max' kept in order. */
size_t ms__dns_from_addrinfo(const struct addrinfo *ai, uint16_t port, struct sockaddr_storage *out,
			     size_t max);
/* An EAI_ code as an MS_E code (errno is read for EAI_SYSTEM). */
int ms__dns_gai_error(int eai);
/* Whether 'host' is a name DNS could hold (see ms_resolve). */
bool ms__dns_name_ok(struct ms_str host);

/* resolve_pool.c */
enum ms__dns_job_state {
	MS__DNS_QUEUED,
	MS__DNS_RUNNING,
	MS__DNS_ABANDONED, /* running, withdrawn: its worker frees it */
	MS__DNS_DONE,
};

struct ms__dns_link {
	struct ms__dns_link *prev, *next;
};

struct ms__dns_job {
	struct ms__dns_link link;     /* in the queue or the done list (pool mutex) */
	enum ms__dns_job_state state; /* pool mutex */
	void *owner;                  /* the loop's, never read by a worker */
	/* Set before submission, read by the worker. */
	ms__dns_lookup_fn lookup;
	void *ctx;
	int family;
	uint16_t port;
	/* Written by the worker, read by the loop once the job is back. */
	int result; /* count of addrs, or a negative MS_E code */
	struct sockaddr_storage addrs[MS_RESOLVE_MAX];
	char name[]; /* NUL-terminated */
};

/* A job for 'name' (copied), or NULL without memory. */
struct ms__dns_job *ms__dns_job_new(struct ms_str name, int family, uint16_t port, ms__dns_lookup_fn lookup,
				    void *ctx);
void ms__dns_job_free(struct ms__dns_job *job);

struct ev_loop;
struct ms__dns_pool;
/* Called on the loop for each finished job the loop did not withdraw; it
 * takes the job (and frees it with ms__dns_job_free). It may withdraw
 * other jobs, submit new ones and free the pool. */
typedef void (*ms__dns_done_cb)(struct ms__dns_job *job, void *arg);

int ms__dns_pool_new(struct ms__dns_pool **out, struct ev_loop *loop, ms__dns_done_cb cb, void *arg);
/* Lets go of the pool: no done callback after this. Jobs still queued or
 * done are freed; running ones are freed by their workers, and the last
 * worker out frees the pool. */
void ms__dns_pool_free(struct ms__dns_pool *p);
/* Queues 'job' and starts a worker for it when fewer than MS__DNS_THREADS
 * run. MS_ENOMEM when no worker runs and none could be started (the job
 * stays the caller's). */
int ms__dns_pool_submit(struct ms__dns_pool *p, struct ms__dns_job *job);
/* The loop gives up a job it submitted and has not got back. */
void ms__dns_pool_withdraw(struct ms__dns_pool *p, struct ms__dns_job *job);
/* Jobs the pool holds: queued, running (withdrawn ones included) or done
 * and not yet handed back. */
size_t ms__dns_pool_jobs(struct ms__dns_pool *p);

/* resolve.c, for tests */
/* Lookups started from now on run 'fn' with 'ctx' instead of getaddrinfo
 * ('ctx' must outlive them, the ones still running after the resolver is
 * freed included). */
void ms__resolver_set_lookup(struct ms_resolver *r, ms__dns_lookup_fn fn, void *ctx);
/* ms__dns_pool_jobs of the resolver's pool. */
size_t ms__resolver_jobs(struct ms_resolver *r);

#endif
