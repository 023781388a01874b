/* The registrar object: configuration, the file and the map together,
 * lookups, removal and the sweep of expired bindings. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "registrar/registrar_private.h"

int ms_registrar_open(struct ms_registrar **out, const struct ms_registrar_config *cfg, char *err,
		      size_t errlen)
{
	if (!cfg || !cfg->db_path) {
		snprintf(err, errlen, "no database path");
		return MS_EINVAL;
	}
	struct ms_registrar *r = ms__calloc(1, sizeof *r);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return MS_ENOMEM;
	}
	r->cfg = *cfg;
	if (!r->cfg.default_expires)
		r->cfg.default_expires = 3600;
	if (!r->cfg.min_expires)
		r->cfg.min_expires = 60;
	if (!r->cfg.max_expires)
		r->cfg.max_expires = 86400;
	if (!r->cfg.max_bindings)
		r->cfg.max_bindings = 16;
	int rc = ms__reg_map_init(r);
	if (rc == 0)
		rc = ms__reg_store_open(r, err, errlen);
	if (rc == 0 && (rc = ms__reg_store_load(r, (int64_t)time(NULL))) < 0)
		snprintf(err, errlen, "%s: loading the bindings: %s", cfg->db_path, sqlite3_errmsg(r->db));
	if (rc < 0) {
		ms_registrar_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void ms_registrar_close(struct ms_registrar *r)
{
	if (!r)
		return;
	if (r->db)
		ms__reg_store_commit(r);
	ms__reg_store_close(r);
	ms__reg_users_clear(r);
	ms__reg_map_free(r);
	ms__free(r->scratch);
	ms__free(r);
}

int ms_registrar_commit(struct ms_registrar *r)
{
	return ms__reg_store_commit(r);
}

unsigned ms_registrar_pending(const struct ms_registrar *r)
{
	return r->pending;
}

size_t ms_registrar_lookup(struct ms_registrar *r, struct ms_str aor, int64_t now,
			   const struct ms_binding **out, size_t max)
{
	struct ms__aor *a = ms__reg_find(r, aor, false);
	size_t n = 0;
	for (unsigned i = 0; a && i < a->n; i++) {
		if (a->list[i]->b.expires <= now)
			continue; /* gone at once, though the sweep removes it later */
		if (n < max)
			out[n] = &a->list[i]->b;
		n++;
	}
	return n;
}

static bool contact_is(const struct ms_binding *b, struct ms_str contact)
{
	struct ms_uri x, y;
	const char *why;
	return ms_uri_parse(&x, b->contact, strlen(b->contact), &why) == 0 &&
		ms_uri_parse(&y, contact.s, contact.len, &why) == 0 && ms_uri_equal(&x, &y);
}

/* Binding i of 'a' out of the file (in the open transaction) and memory. */
static int drop_stored(struct ms_registrar *r, struct ms__aor *a, unsigned i)
{
	int rc = ms__reg_store_del(r, &a->list[i]->b);
	if (rc == 0)
		ms__reg_drop(r, a, i);
	return rc;
}

int ms_registrar_remove(struct ms_registrar *r, struct ms_str aor, struct ms_str contact)
{
	struct ms__aor *a = ms__reg_find(r, aor, false);
	int n = 0;
	for (unsigned i = a ? a->n : 0; i-- > 0;) {
		if (contact.len && !contact_is(&a->list[i]->b, contact))
			continue;
		int rc = drop_stored(r, a, i);
		if (rc < 0)
			return rc;
		n++;
	}
	return n;
}

int ms_registrar_sweep(struct ms_registrar *r, int64_t now)
{
	int n = 0;
	for (size_t k = 0; k <= r->mask; k++) {
		for (struct ms__aor **pp = &r->map[k]; *pp;) {
			struct ms__aor *a = *pp;
			for (unsigned i = a->n; i-- > 0;) {
				if (a->list[i]->b.expires > now)
					continue;
				int rc = drop_stored(r, a, i);
				if (rc < 0)
					return rc;
				n++;
			}
			/* An address-of-record left without bindings (expired, or
			 * removed since the last sweep) leaves the map too. */
			if (a->n == 0) {
				*pp = a->next;
				ms__reg_aor_free(a);
				r->naors--;
			} else {
				pp = &a->next;
			}
		}
	}
	return n;
}

void ms_registrar_each(struct ms_registrar *r, void (*fn)(const struct ms_binding *b, void *arg), void *arg)
{
	for (size_t k = 0; k <= r->mask; k++)
		for (struct ms__aor *a = r->map[k]; a; a = a->next)
			for (unsigned i = 0; i < a->n; i++)
				fn(&a->list[i]->b, arg);
}

size_t ms_registrar_count(const struct ms_registrar *r)
{
	return r->nbinds;
}
