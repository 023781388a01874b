/* The nonce-counts a digest server has seen: see nonce_counts.h. */
#include "auth/nonce_counts.h"

#include <string.h>
#include <sys/random.h>

#include "base/alloc.h"
#include "base/siphash.h"

#define MIN_SLOTS 1024

struct ms__nc_slot {
	uint64_t tag;      /* the nonce's hash; 0: an empty slot */
	uint32_t nc;       /* the highest count taken */
	uint32_t stale_at; /* seconds since 1970 (good until 2106) */
};

void ms__nc_init(struct ms__nonce_counts *t)
{
	memset(t, 0, sizeof *t);
	if (getrandom(t->key, sizeof t->key, 0) != (ssize_t)sizeof t->key)
		memcpy(t->key, &t, sizeof t); /* an unkeyed table still works */
}

void ms__nc_free(struct ms__nonce_counts *t)
{
	ms__free(t->slot);
	t->slot = NULL;
	t->mask = t->used = 0;
}

static uint64_t tag_of(const struct ms__nonce_counts *t, const char *nonce, size_t len)
{
	struct ms__sip h;
	ms__sip_init(&h, t->key);
	ms__sip_add(&h, nonce, len, false);
	uint64_t v = ms__sip_end(&h);
	return v ? v : 1;
}

/* The slot of 'tag': its own, or the empty one where it would go. */
static struct ms__nc_slot *probe(struct ms__nc_slot *slot, size_t mask, uint64_t tag)
{
	for (size_t i = tag & mask;; i = (i + 1) & mask)
		if (slot[i].tag == tag || slot[i].tag == 0)
			return &slot[i];
}

/* A new table sized for the slots still live (three to six times as many
 * slots), the stale ones left behind. */
static int rebuild(struct ms__nonce_counts *t, int64_t now)
{
	size_t live = 0;
	for (size_t i = 0; t->slot && i <= t->mask; i++)
		live += t->slot[i].tag && t->slot[i].stale_at >= now;
	size_t n = MIN_SLOTS;
	while (n < 3 * live + 3)
		n *= 2;
	struct ms__nc_slot *s = ms__calloc(n, sizeof *s);
	if (!s)
		return -1;
	for (size_t i = 0; t->slot && i <= t->mask; i++)
		if (t->slot[i].tag && t->slot[i].stale_at >= now)
			*probe(s, n - 1, t->slot[i].tag) = t->slot[i];
	ms__free(t->slot);
	t->slot = s;
	t->mask = n - 1;
	t->used = live;
	return 0;
}

bool ms__nc_take(struct ms__nonce_counts *t, const char *nonce, size_t len, uint32_t nc, int64_t stale_at,
		 int64_t now)
{
	if ((!t->slot || 2 * (t->used + 1) > t->mask + 1) && rebuild(t, now) < 0)
		return false;
	uint64_t tag = tag_of(t, nonce, len);
	struct ms__nc_slot *e = probe(t->slot, t->mask, tag);
	if (e->tag) {
		if (e->stale_at >= now && nc <= e->nc)
			return false;
	} else {
		e->tag = tag;
		t->used++;
	}
	e->nc = nc;
	e->stale_at = stale_at < 0 ? 0 : stale_at > UINT32_MAX ? UINT32_MAX : (uint32_t)stale_at;
	return true;
}

size_t ms__nc_size(const struct ms__nonce_counts *t)
{
	return t->used;
}
