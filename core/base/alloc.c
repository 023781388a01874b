#include "alloc.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "moonsip/base.h"

/* Process-wide counters. They are statistics, not state: nothing reads them
 * to make a decision, so two stacks in one process do not disturb each
 * other. Relaxed atomics keep them cheap. */
static _Atomic uint64_t n_allocs;
static _Atomic int64_t n_live;
static _Atomic int64_t n_bytes;

/* Each block carries its size in front of it, so free() can count bytes. */
#define HDR sizeof(max_align_t)

static void *account(void *raw, size_t n)
{
	if (!raw)
		return NULL;
	memcpy(raw, &n, sizeof(n));
	atomic_fetch_add_explicit(&n_allocs, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&n_live, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&n_bytes, (int64_t)n, memory_order_relaxed);
	return (char *)raw + HDR;
}

void *ms__malloc(size_t n)
{
	if (n > SIZE_MAX - HDR)
		return NULL;
	return account(malloc(n + HDR), n);
}

void *ms__calloc(size_t count, size_t n)
{
	if (n && count > (SIZE_MAX - HDR) / n)
		return NULL;
	return account(calloc(1, count * n + HDR), count * n);
}

void *ms__realloc(void *p, size_t n)
{
	if (!p)
		return ms__malloc(n);
	if (n > SIZE_MAX - HDR)
		return NULL;
	char *raw = (char *)p - HDR;
	size_t old;
	memcpy(&old, raw, sizeof(old));
	raw = realloc(raw, n + HDR);
	if (!raw)
		return NULL;
	memcpy(raw, &n, sizeof(n));
	atomic_fetch_add_explicit(&n_bytes, (int64_t)n - (int64_t)old, memory_order_relaxed);
	return raw + HDR;
}

void ms__free(void *p)
{
	if (!p)
		return;
	char *raw = (char *)p - HDR;
	size_t n;
	memcpy(&n, raw, sizeof(n));
	atomic_fetch_sub_explicit(&n_live, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&n_bytes, (int64_t)n, memory_order_relaxed);
	free(raw);
}

void ms_mem_stats(struct ms_mem_stats *out)
{
	out->allocs = atomic_load_explicit(&n_allocs, memory_order_relaxed);
	out->live_blocks = atomic_load_explicit(&n_live, memory_order_relaxed);
	out->live_bytes = atomic_load_explicit(&n_bytes, memory_order_relaxed);
}
