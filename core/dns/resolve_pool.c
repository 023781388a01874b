/* The resolver's worker threads: blocking lookups off the loop.
 *
 * Workers start on demand, one per submitted job while fewer than
 * MS__DNS_THREADS run, take jobs from the queue until it is empty, and
 * exit: an idle resolver holds no thread. A finished job goes on the done
 * list and an ev_async wakes the loop, which takes the jobs one by one.
 * That ev_async_send is the only thing a worker does to the loop, and it
 * does it under the mutex and only while the pool is open: once
 * ms__dns_pool_free has closed the pool under the same mutex, no worker
 * reaches the loop again, so the loop (and the resolver) may go away while
 * lookups are still running. The pool block itself is freed by whoever
 * lets go of it last, the loop or a worker. */
#define _POSIX_C_SOURCE 200809L
#include <ev.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "base/alloc.h"
#include "dns/resolve_private.h"

#define CONTAINER(p, type, field) ((type *)(void *)((char *)(p)-offsetof(type, field)))

struct ms__dns_pool {
	pthread_mutex_t mu;
	/* Under mu. */
	struct ms__dns_link queue; /* waiting for a worker, oldest first */
	struct ms__dns_link done;  /* answered, waiting for the loop */
	size_t jobs;               /* queued, running and done */
	unsigned threads;          /* workers running */
	unsigned refs;             /* the loop's (until closed) and one per worker */
	bool closed;               /* the loop let go */
	/* Set before any worker starts, then only read. */
	struct ev_loop *loop;
	ev_async async;
	/* The loop's only. */
	ms__dns_done_cb done_cb;
	void *arg;
	bool *alive; /* while handing jobs back: cleared when the pool is freed */
};

static void list_init(struct ms__dns_link *head)
{
	head->prev = head->next = head;
}

static void list_append(struct ms__dns_link *head, struct ms__dns_link *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

static void list_unlink(struct ms__dns_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->prev = l->next = l;
}

static struct ms__dns_job *list_pop(struct ms__dns_link *head)
{
	if (head->next == head)
		return NULL;
	struct ms__dns_link *l = head->next;
	list_unlink(l);
	return CONTAINER(l, struct ms__dns_job, link);
}

struct ms__dns_job *ms__dns_job_new(struct ms_str name, int family, uint16_t port, ms__dns_lookup_fn lookup,
				    void *ctx)
{
	struct ms__dns_job *job = ms__malloc(sizeof *job + name.len + 1);
	if (!job)
		return NULL;
	memset(job, 0, sizeof *job);
	list_init(&job->link);
	job->lookup = lookup;
	job->ctx = ctx;
	job->family = family;
	job->port = port;
	memcpy(job->name, name.s, name.len);
	job->name[name.len] = 0;
	return job;
}

void ms__dns_job_free(struct ms__dns_job *job)
{
	ms__free(job);
}

static void pool_destroy(struct ms__dns_pool *p)
{
	pthread_mutex_destroy(&p->mu);
	ms__free(p);
}

/* Drops one reference with the mutex held, and unlocks. */
static void pool_unref_unlock(struct ms__dns_pool *p)
{
	bool last = --p->refs == 0;
	pthread_mutex_unlock(&p->mu);
	if (last)
		pool_destroy(p);
}

static void *worker(void *arg)
{
	struct ms__dns_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	struct ms__dns_job *job;
	while (!p->closed && (job = list_pop(&p->queue))) {
		job->state = MS__DNS_RUNNING;
		pthread_mutex_unlock(&p->mu);
		/* The job is this thread's alone until it is relocked. */
		int n = job->lookup(job->name, job->family, job->port, job->addrs, job->ctx);
		job->result = n > MS_RESOLVE_MAX ? MS_RESOLVE_MAX : n == 0 ? MS_ENOENT : n;
		pthread_mutex_lock(&p->mu);
		if (p->closed || job->state == MS__DNS_ABANDONED) {
			p->jobs--;
			ms__dns_job_free(job);
			continue;
		}
		job->state = MS__DNS_DONE;
		list_append(&p->done, &job->link);
		ev_async_send(p->loop, &p->async);
	}
	p->threads--;
	pool_unref_unlock(p);
	return NULL;
}

/* On the loop: hands finished jobs back one at a time, so that a done
 * callback may withdraw the others or free the pool. */
static void on_async(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop;
	(void)revents;
	struct ms__dns_pool *p = CONTAINER(w, struct ms__dns_pool, async);
	bool alive = true;
	p->alive = &alive;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		struct ms__dns_job *job = list_pop(&p->done);
		if (job)
			p->jobs--;
		pthread_mutex_unlock(&p->mu);
		if (!job)
			break;
		p->done_cb(job, p->arg);
		if (!alive)
			return;
	}
	p->alive = NULL;
}

int ms__dns_pool_new(struct ms__dns_pool **out, struct ev_loop *loop, ms__dns_done_cb cb, void *arg)
{
	struct ms__dns_pool *p = ms__calloc(1, sizeof *p);
	if (!p)
		return MS_ENOMEM;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		ms__free(p);
		return MS_ENOMEM;
	}
	list_init(&p->queue);
	list_init(&p->done);
	p->refs = 1;
	p->loop = loop;
	p->done_cb = cb;
	p->arg = arg;
	ev_async_init(&p->async, on_async);
	ev_async_start(loop, &p->async);
	/* The watcher alone does not keep the loop running: pending lookups
	 * do, through their timers. */
	ev_unref(loop);
	*out = p;
	return 0;
}

void ms__dns_pool_free(struct ms__dns_pool *p)
{
	if (!p)
		return;
	if (p->alive) {
		*p->alive = false; /* freed from inside a done callback */
		p->alive = NULL;
	}
	pthread_mutex_lock(&p->mu);
	p->closed = true;
	struct ms__dns_job *job;
	while ((job = list_pop(&p->queue)) || (job = list_pop(&p->done))) {
		p->jobs--;
		ms__dns_job_free(job);
	}
	ev_ref(p->loop);
	ev_async_stop(p->loop, &p->async);
	pool_unref_unlock(p);
}

/* A worker with every signal blocked: signals stay with the loop's
 * thread (and libev's signal watchers), whatever the caller's mask. */
static int start_worker(struct ms__dns_pool *p)
{
	pthread_attr_t attr;
	if (pthread_attr_init(&attr) != 0)
		return MS_ENOMEM;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t t;
	int rc = pthread_create(&t, &attr, worker, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return rc == 0 ? 0 : MS_ENOMEM;
}

int ms__dns_pool_submit(struct ms__dns_pool *p, struct ms__dns_job *job)
{
	pthread_mutex_lock(&p->mu);
	job->state = MS__DNS_QUEUED;
	list_append(&p->queue, &job->link);
	p->jobs++;
	if (p->threads < MS__DNS_THREADS) {
		/* The worker blocks on the mutex until this returns. */
		if (start_worker(p) == 0) {
			p->threads++;
			p->refs++;
		} else if (p->threads == 0) {
			/* Nobody would ever take it. With a worker running,
			 * that one takes it before it exits. */
			list_unlink(&job->link);
			p->jobs--;
			pthread_mutex_unlock(&p->mu);
			return MS_ENOMEM;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return 0;
}

void ms__dns_pool_withdraw(struct ms__dns_pool *p, struct ms__dns_job *job)
{
	pthread_mutex_lock(&p->mu);
	if (job->state == MS__DNS_RUNNING) {
		job->state = MS__DNS_ABANDONED;
		pthread_mutex_unlock(&p->mu);
		return;
	}
	list_unlink(&job->link); /* queued or done */
	p->jobs--;
	pthread_mutex_unlock(&p->mu);
	ms__dns_job_free(job);
}

size_t ms__dns_pool_jobs(struct ms__dns_pool *p)
{
	pthread_mutex_lock(&p->mu);
	size_t n = p->jobs;
	pthread_mutex_unlock(&p->mu);
	return n;
}
