/* The registrar's bindings in memory: a hash map from address-of-record to
 * its bindings, kept in q order, so a lookup is a hash and a copy. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "base/alloc.h"
#include "base/siphash.h"
#include "registrar/registrar_private.h"

#define MAP_MIN 1024

int ms__reg_map_init(struct ms_registrar *r)
{
	if (getrandom(r->key, sizeof r->key, 0) != (ssize_t)sizeof r->key)
		memcpy(r->key, &r, sizeof r); /* an unkeyed map still works */
	r->map = ms__calloc(MAP_MIN, sizeof *r->map);
	r->mask = MAP_MIN - 1;
	return r->map ? 0 : MS_ENOMEM;
}

void ms__reg_aor_free(struct ms__aor *a)
{
	for (unsigned i = 0; i < a->n; i++)
		ms__free(a->list[i]);
	ms__free(a->list);
	ms__free(a);
}

void ms__reg_map_free(struct ms_registrar *r)
{
	for (size_t i = 0; r->map && i <= r->mask; i++) {
		while (r->map[i]) {
			struct ms__aor *a = r->map[i];
			r->map[i] = a->next;
			ms__reg_aor_free(a);
		}
	}
	ms__free(r->map);
	r->map = NULL;
}

static uint64_t hash_of(struct ms_registrar *r, struct ms_str s)
{
	struct ms__sip h;
	ms__sip_init(&h, r->key);
	ms__sip_add(&h, s.s, s.len, false);
	return ms__sip_end(&h);
}

/* Doubles the table when it holds more entries than buckets. */
static void grow(struct ms_registrar *r)
{
	size_t n = (r->mask + 1) * 2;
	struct ms__aor **m = ms__calloc(n, sizeof *m);
	if (!m)
		return; /* longer chains, still right */
	for (size_t i = 0; i <= r->mask; i++) {
		while (r->map[i]) {
			struct ms__aor *a = r->map[i];
			r->map[i] = a->next;
			a->next = m[a->hash & (n - 1)];
			m[a->hash & (n - 1)] = a;
		}
	}
	ms__free(r->map);
	r->map = m;
	r->mask = n - 1;
}

struct ms__aor *ms__reg_find(struct ms_registrar *r, struct ms_str aor, bool make)
{
	uint64_t h = hash_of(r, aor);
	for (struct ms__aor *a = r->map[h & r->mask]; a; a = a->next)
		if (a->hash == h && strlen(a->key) == aor.len && !memcmp(a->key, aor.s, aor.len))
			return a;
	if (!make)
		return NULL;
	struct ms__aor *a = ms__calloc(1, sizeof *a + aor.len + 1);
	if (!a)
		return NULL;
	memcpy(a->key, aor.s, aor.len);
	a->hash = h;
	a->next = r->map[h & r->mask];
	r->map[h & r->mask] = a;
	if (++r->naors > r->mask + 1)
		grow(r);
	return a;
}

static size_t z(const char *s)
{
	return s ? strlen(s) + 1 : 1;
}

/* Copies 's' into the block at *p and points *field at it. */
static void put_str(char **p, const char **field, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	memcpy(*p, s ? s : "", n);
	(*p)[n] = 0;
	*field = *p;
	*p += n + 1;
}

struct ms__bind *ms__reg_bind_new(const struct ms_binding *b)
{
	size_t n = z(b->aor) + z(b->contact) + z(b->path) + z(b->call_id) + z(b->instance) + z(b->received) +
		z(b->socket) + z(b->user_agent);
	struct ms__bind *nb = ms__malloc(sizeof *nb + n);
	if (!nb)
		return NULL;
	nb->b = *b;
	char *p = nb->text;
	put_str(&p, &nb->b.aor, b->aor);
	put_str(&p, &nb->b.contact, b->contact);
	put_str(&p, &nb->b.path, b->path);
	put_str(&p, &nb->b.call_id, b->call_id);
	put_str(&p, &nb->b.instance, b->instance);
	put_str(&p, &nb->b.received, b->received);
	put_str(&p, &nb->b.socket, b->socket);
	put_str(&p, &nb->b.user_agent, b->user_agent);
	return nb;
}

/* Moves list[i] to its place by q (stable: the newest of equal q last). */
static void reorder(struct ms__aor *a, unsigned i)
{
	struct ms__bind *x = a->list[i];
	memmove(&a->list[i], &a->list[i + 1], (a->n - i - 1) * sizeof *a->list);
	unsigned k = 0;
	while (k < a->n - 1 && a->list[k]->b.q >= x->b.q)
		k++;
	memmove(&a->list[k + 1], &a->list[k], (a->n - 1 - k) * sizeof *a->list);
	a->list[k] = x;
}

int ms__reg_put(struct ms_registrar *r, struct ms__aor *a, unsigned i, struct ms__bind *nb)
{
	if (i == a->n) {
		if (a->n == a->cap) {
			unsigned cap = a->cap ? a->cap * 2 : 2;
			struct ms__bind **l = ms__realloc(a->list, cap * sizeof *l);
			if (!l)
				return MS_ENOMEM;
			a->list = l;
			a->cap = cap;
		}
		a->n++;
		r->nbinds++;
	} else {
		ms__free(a->list[i]);
	}
	a->list[i] = nb;
	reorder(a, i);
	return 0;
}

void ms__reg_drop(struct ms_registrar *r, struct ms__aor *a, unsigned i)
{
	ms__free(a->list[i]);
	memmove(&a->list[i], &a->list[i + 1], (a->n - i - 1) * sizeof *a->list);
	a->n--;
	r->nbinds--;
}
