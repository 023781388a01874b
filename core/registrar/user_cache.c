/* The users' HA1s in memory, in front of the users' table: every
 * authenticated request reads one, and each read of the file is a read
 * transaction of its own (file locks, the WAL index, a B-tree walk) when no
 * write transaction is open. Names that are no user are kept too, so a
 * flood of unknown ones reads the file once each, and the cache is
 * bounded: full, it starts again empty.
 *
 * Other processes change the table (`moonsip user add`): the cache is
 * dropped when SQLite's data_version says another connection committed.
 * That is asked inside each commit of the registrar's (its transaction is
 * open, so it costs no lock) and, when no commit came for a second, before
 * the next lookup: a user added or removed counts within about a second. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/siphash.h"
#include "registrar/registrar_private.h"

#define CACHE_MAX 65536 /* entries; at half the slots */
#define RECHECK_NS 1000000000u

struct ms__user_entry {
	uint64_t hash;
	unsigned char found;
	char ha1[2][MS_DIGEST_HEX_SIZE]; /* MD5, SHA-256 */
	size_t ulen, rlen;
	char key[]; /* user, then realm */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ms__reg_users_clear(struct ms_registrar *r)
{
	for (size_t i = 0; i < r->ucap; i++)
		ms__free(r->users[i]);
	ms__free(r->users);
	r->users = NULL;
	r->ucap = r->nusers = 0;
}

static int64_t data_version(struct ms_registrar *r)
{
	int64_t v = -1;
	if (sqlite3_step(r->data_version) == SQLITE_ROW)
		v = sqlite3_column_int64(r->data_version, 0);
	sqlite3_reset(r->data_version);
	return v;
}

void ms__reg_users_check(struct ms_registrar *r)
{
	int64_t v = data_version(r);
	r->users_checked = mono_ns();
	if (v < 0 || v != r->users_version)
		ms__reg_users_clear(r);
	r->users_version = v;
}

static uint64_t hash_of(struct ms_registrar *r, struct ms_str user, struct ms_str realm)
{
	struct ms__sip s;
	ms__sip_init(&s, r->key);
	ms__sip_add(&s, user.s, user.len, false);
	ms__sip_add(&s, "", 1, false);
	ms__sip_add(&s, realm.s, realm.len, false);
	return ms__sip_end(&s);
}

static bool same(const struct ms__user_entry *e, uint64_t h, struct ms_str user, struct ms_str realm)
{
	return e->hash == h && e->ulen == user.len && e->rlen == realm.len &&
		(!user.len || !memcmp(e->key, user.s, user.len)) &&
		(!realm.len || !memcmp(e->key + user.len, realm.s, realm.len));
}

/* The slot of (user, realm): its entry, or the empty slot it would take. */
static struct ms__user_entry **slot(struct ms_registrar *r, uint64_t h, struct ms_str user,
				    struct ms_str realm)
{
	size_t mask = r->ucap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask)
		if (!r->users[i] || same(r->users[i], h, user, realm))
			return &r->users[i];
}

/* Room for one more entry: the cache starts again empty when full. */
static int reserve(struct ms_registrar *r)
{
	if (r->nusers >= CACHE_MAX)
		ms__reg_users_clear(r);
	if (r->users && 2 * (r->nusers + 1) <= r->ucap)
		return 0;
	size_t cap = r->ucap ? r->ucap * 2 : 256;
	struct ms__user_entry **old = r->users, **nu = ms__calloc(cap, sizeof *nu);
	if (!nu)
		return MS_ENOMEM;
	size_t oldcap = r->ucap;
	r->users = nu;
	r->ucap = cap;
	for (size_t i = 0; i < oldcap; i++) {
		struct ms__user_entry *e = old[i];
		if (!e)
			continue;
		size_t j = e->hash & (cap - 1);
		while (nu[j])
			j = (j + 1) & (cap - 1);
		nu[j] = e;
	}
	ms__free(old);
	return 0;
}

/* Reads (user, realm) from the file into a new entry. */
static int fetch(struct ms_registrar *r, uint64_t h, struct ms_str user, struct ms_str realm,
		 struct ms__user_entry **out)
{
	sqlite3_stmt *st = r->ha1;
	ms__reg_bind_str(st, 1, user);
	ms__reg_bind_str(st, 2, realm);
	int s = sqlite3_step(st), rc = 0;
	struct ms__user_entry *e = NULL;
	if (s == SQLITE_ROW || s == SQLITE_DONE) {
		e = ms__calloc(1, sizeof *e + user.len + realm.len);
		if (!e)
			rc = MS_ENOMEM;
	} else {
		rc = MS_EPROTO;
	}
	if (e) {
		e->hash = h;
		e->ulen = user.len;
		e->rlen = realm.len;
		if (user.len)
			memcpy(e->key, user.s, user.len);
		if (realm.len)
			memcpy(e->key + user.len, realm.s, realm.len);
		e->found = s == SQLITE_ROW;
		for (int i = 0; e->found && i < 2; i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);
			size_t n = v ? strlen(v) : 0;
			if (n >= MS_DIGEST_HEX_SIZE)
				n = MS_DIGEST_HEX_SIZE - 1;
			memcpy(e->ha1[i], v ? v : "", n);
		}
	}
	sqlite3_reset(st);
	*out = e;
	return rc;
}

int ms_registrar_user_ha1(struct ms_registrar *r, struct ms_str user, struct ms_str realm, bool sha256,
			  char out[MS_DIGEST_HEX_SIZE])
{
	if (mono_ns() - r->users_checked >= RECHECK_NS)
		ms__reg_users_check(r);
	uint64_t h = hash_of(r, user, realm);
	struct ms__user_entry **sl = r->ucap ? slot(r, h, user, realm) : NULL;
	if (!sl || !*sl) {
		int rc = reserve(r);
		if (rc)
			return rc;
		sl = slot(r, h, user, realm);
		rc = fetch(r, h, user, realm, sl);
		if (rc)
			return rc;
		r->nusers++;
	}
	if (!(*sl)->found)
		return MS_ENOENT;
	memcpy(out, (*sl)->ha1[sha256], MS_DIGEST_HEX_SIZE);
	return 0;
}
