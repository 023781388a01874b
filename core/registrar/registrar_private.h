/* Internal: the parts of the registrar, shared by its files. */
#ifndef MS_CORE_REGISTRAR_PRIVATE_H
#define MS_CORE_REGISTRAR_PRIVATE_H

#include <sqlite3.h>

#include "moonsip/digest.h"
#include "moonsip/registrar.h"

/* A binding and its strings, in one block. */
struct ms__bind {
	struct ms_binding b;
	char text[];
};

/* The bindings of one address-of-record, highest q first. */
struct ms__aor {
	struct ms__aor *next; /* hash chain */
	uint64_t hash;
	struct ms__bind **list;
	unsigned n, cap;
	char key[];
};

struct ms_registrar {
	struct ms_registrar_config cfg;
	sqlite3 *db;
	/* Prepared once: a REGISTER's statements are parsed at open, not per
	 * request (the transaction control ones included). */
	sqlite3_stmt *upsert, *update, *del, *begin, *commit, *savepoint, *rollback_to, *release;
	sqlite3_stmt *ha1;          /* a user's HA1s: MD5, SHA-256 */
	sqlite3_stmt *data_version; /* changes when another connection commits */
	/* user_cache.c: the users read so far, and whether they may be stale */
	struct ms__user_entry **users;
	size_t ucap, nusers;
	int64_t users_version;
	uint64_t users_checked; /* monotonic ns */
	bool in_txn;
	unsigned pending;
	uint64_t key[2]; /* the map's hash key */
	struct ms__aor **map;
	/* A REGISTER's working space (register.c), made at the first and
	 * kept: tens of KiB allocated and freed per request made glibc give
	 * the top of the heap back and take it again (brk) every time. */
	struct ms__reg_scratch *scratch;
	size_t mask, naors, nbinds;
};

/* bindings.c: the in-memory map. */
int ms__reg_map_init(struct ms_registrar *r);
void ms__reg_map_free(struct ms_registrar *r);
struct ms__aor *ms__reg_find(struct ms_registrar *r, struct ms_str aor, bool make);
/* Frees an address-of-record and its bindings (unlinked by the caller). */
void ms__reg_aor_free(struct ms__aor *a);
/* A new binding block from its fields (strings copied). */
struct ms__bind *ms__reg_bind_new(const struct ms_binding *b);
/* Puts 'nb' in place of list[i] (i == n: adds it), keeping q order; frees
 * the one replaced. */
int ms__reg_put(struct ms_registrar *r, struct ms__aor *a, unsigned i, struct ms__bind *nb);
void ms__reg_drop(struct ms_registrar *r, struct ms__aor *a, unsigned i);

/* store.c: the SQLite file. Every change goes into the open transaction. */
int ms__reg_store_open(struct ms_registrar *r, char *err, size_t errlen);
void ms__reg_store_close(struct ms_registrar *r);
int ms__reg_store_load(struct ms_registrar *r, int64_t now);
/* Writes binding b; 'refresh' when its row (same AOR and contact) should
 * be in the file already. */
int ms__reg_store_put(struct ms_registrar *r, const struct ms_binding *b, bool refresh);
int ms__reg_store_del(struct ms_registrar *r, const struct ms_binding *b);
int ms__reg_store_commit(struct ms_registrar *r);
/* user_cache.c. check: drops the cache when another connection committed
 * since the last check (cheap inside an open transaction). */
void ms__reg_users_check(struct ms_registrar *r);
void ms__reg_users_clear(struct ms_registrar *r);
/* users.c: binds a slice as text (copied: no lifetime to track). */
void ms__reg_bind_str(sqlite3_stmt *st, int i, struct ms_str s);
/* One request's changes: all kept, or all rolled back. */
int ms__reg_store_savepoint(struct ms_registrar *r);
void ms__reg_store_release(struct ms_registrar *r, bool keep);

#endif
