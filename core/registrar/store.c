/* The registrar's SQLite file: WAL mode, a schema with a version number
 * (PRAGMA user_version) and migrations, prepared statements, and one open
 * transaction that collects changes until the commit. */
#include <stdio.h>
#include <string.h>

#include "registrar/registrar_private.h"

/* Each step brings the schema from version i to i + 1. */
static const char *const migrations[] = {
	/* 1: bindings, and the users and secrets digest authentication needs */
	"CREATE TABLE bindings ("
	" aor TEXT NOT NULL, contact TEXT NOT NULL, path TEXT NOT NULL DEFAULT '',"
	" call_id TEXT NOT NULL DEFAULT '', cseq INTEGER NOT NULL DEFAULT 0,"
	" instance TEXT NOT NULL DEFAULT '', reg_id INTEGER NOT NULL DEFAULT 0,"
	" q INTEGER NOT NULL DEFAULT 1000, expires INTEGER NOT NULL,"
	" received TEXT NOT NULL DEFAULT '', socket TEXT NOT NULL DEFAULT '',"
	" user_agent TEXT NOT NULL DEFAULT '', nat INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (aor, contact));"
	"CREATE INDEX bindings_expires ON bindings (expires);"
	"CREATE TABLE users (username TEXT NOT NULL, realm TEXT NOT NULL,"
	" ha1_md5 TEXT NOT NULL, ha1_sha256 TEXT NOT NULL, PRIMARY KEY (username, realm));"
	"CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);",
	/* 2: bindings clustered on their key (WITHOUT ROWID): a refresh writes
	 * two B-trees (the table and the expiry index), not three */
	"CREATE TABLE bindings2 ("
	" aor TEXT NOT NULL, contact TEXT NOT NULL, path TEXT NOT NULL DEFAULT '',"
	" call_id TEXT NOT NULL DEFAULT '', cseq INTEGER NOT NULL DEFAULT 0,"
	" instance TEXT NOT NULL DEFAULT '', reg_id INTEGER NOT NULL DEFAULT 0,"
	" q INTEGER NOT NULL DEFAULT 1000, expires INTEGER NOT NULL,"
	" received TEXT NOT NULL DEFAULT '', socket TEXT NOT NULL DEFAULT '',"
	" user_agent TEXT NOT NULL DEFAULT '', nat INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (aor, contact)) WITHOUT ROWID;"
	"INSERT INTO bindings2 SELECT aor, contact, path, call_id, cseq, instance, reg_id, q, expires,"
	" received, socket, user_agent, nat FROM bindings;"
	"DROP TABLE bindings;"
	"ALTER TABLE bindings2 RENAME TO bindings;"
	"CREATE INDEX bindings_expires ON bindings (expires);",
	/* 3: no expiry index. Every binding is in memory with its expiry, so
	 * the sweep deletes by key, and a refresh writes one B-tree: a commit
	 * of one registration is one WAL frame, not three. */
	"DROP INDEX bindings_expires;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

static int fail(struct ms_registrar *r, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s: %s", r->cfg.db_path, what,
		 r->db ? sqlite3_errmsg(r->db) : "cannot open");
	return MS_EPROTO;
}

static int exec(struct ms_registrar *r, const char *sql)
{
	return sqlite3_exec(r->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : MS_EPROTO;
}

static int user_version(struct ms_registrar *r)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(r->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Runs the migrations the file has not had, each in a transaction. */
static int migrate(struct ms_registrar *r, char *err, size_t errlen)
{
	int v = user_version(r);
	if (v < 0)
		return fail(r, err, errlen, "reading the schema version");
	if (v > SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: schema version %d is newer than this moonsip knows (%d)",
			 r->cfg.db_path, v, SCHEMA_VERSION);
		return MS_ENOTSUP;
	}
	for (; v < SCHEMA_VERSION; v++) {
		char bump[64];
		snprintf(bump, sizeof bump, "PRAGMA user_version = %d;", v + 1);
		if (exec(r, "BEGIN") || exec(r, migrations[v]) || exec(r, bump) || exec(r, "COMMIT")) {
			int rc = fail(r, err, errlen, "updating the schema");
			exec(r, "ROLLBACK");
			return rc;
		}
	}
	return 0;
}

static int prepare(struct ms_registrar *r)
{
	static const char upsert[] =
		"INSERT INTO bindings (aor, contact, path, call_id, cseq, instance, reg_id, q, expires,"
		" received, socket, user_agent, nat) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
		"?12, ?13)"
		" ON CONFLICT (aor, contact) DO UPDATE SET path = ?3, call_id = ?4, cseq = ?5, instance = ?6,"
		" reg_id = ?7, q = ?8, expires = ?9, received = ?10, socket = ?11, user_agent = ?12, nat = "
		"?13";
	/* A refresh: the row is there (SQLite's upsert tries the insert first
	 * and then looks the row up again to update it). */
	static const char update[] =
		"UPDATE bindings SET path = ?3, call_id = ?4, cseq = ?5, instance = ?6, reg_id = ?7, q = ?8,"
		" expires = ?9, received = ?10, socket = ?11, user_agent = ?12, nat = ?13"
		" WHERE aor = ?1 AND contact = ?2";
	const struct {
		sqlite3_stmt **st;
		const char *sql;
	} all[] = {
		{ &r->upsert, upsert },
		{ &r->update, update },
		{ &r->del, "DELETE FROM bindings WHERE aor = ?1 AND contact = ?2" },
		{ &r->begin, "BEGIN" },
		{ &r->commit, "COMMIT" },
		{ &r->savepoint, "SAVEPOINT reg" },
		{ &r->rollback_to, "ROLLBACK TO reg" },
		{ &r->release, "RELEASE reg" },
		{ &r->ha1, "SELECT ha1_md5, ha1_sha256 FROM users WHERE username = ?1 AND realm = ?2" },
		{ &r->data_version, "PRAGMA data_version" },
	};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (sqlite3_prepare_v2(r->db, all[i].sql, -1, all[i].st, NULL) != SQLITE_OK)
			return MS_EPROTO;
	return 0;
}

/* Runs a prepared statement that returns no rows, and resets it. */
static int run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : MS_EPROTO;
	sqlite3_reset(st);
	return rc;
}

int ms__reg_store_open(struct ms_registrar *r, char *err, size_t errlen)
{
	if (sqlite3_open_v2(r->cfg.db_path, &r->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		return fail(r, err, errlen, "cannot open");
	sqlite3_busy_timeout(r->db, 2000);
	if (exec(r, "PRAGMA journal_mode = WAL") ||
	    exec(r, r->cfg.sync_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"))
		return fail(r, err, errlen, "setting WAL mode");
	int rc = migrate(r, err, errlen);
	if (rc == 0 && prepare(r) < 0)
		rc = fail(r, err, errlen, "preparing statements");
	return rc;
}

void ms__reg_store_close(struct ms_registrar *r)
{
	sqlite3_stmt *all[] = { r->upsert,    r->update,      r->del,     r->begin, r->commit,
				r->savepoint, r->rollback_to, r->release, r->ha1,   r->data_version };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		sqlite3_finalize(all[i]); /* NULL is ignored */
	sqlite3_close(r->db);
	r->db = NULL;
}

static const char *col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s ? s : "";
}

int ms__reg_store_load(struct ms_registrar *r, int64_t now)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(
		    r->db,
		    "SELECT aor, contact, path, call_id, cseq, instance, reg_id, q, expires, received,"
		    " socket, user_agent, nat FROM bindings WHERE expires > ?1",
		    -1, &st, NULL) != SQLITE_OK)
		return MS_EPROTO;
	sqlite3_bind_int64(st, 1, now);
	int rc = 0, s;
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		struct ms_binding b = {
			.aor = col(st, 0),
			.contact = col(st, 1),
			.path = col(st, 2),
			.call_id = col(st, 3),
			.cseq = (uint32_t)sqlite3_column_int64(st, 4),
			.instance = col(st, 5),
			.reg_id = (uint32_t)sqlite3_column_int64(st, 6),
			.q = sqlite3_column_int(st, 7),
			.expires = sqlite3_column_int64(st, 8),
			.received = col(st, 9),
			.socket = col(st, 10),
			.user_agent = col(st, 11),
			.nat = sqlite3_column_int(st, 12) != 0,
		};
		struct ms__aor *a = ms__reg_find(r, (struct ms_str){ b.aor, strlen(b.aor) }, true);
		struct ms__bind *nb = a ? ms__reg_bind_new(&b) : NULL;
		rc = nb ? ms__reg_put(r, a, a->n, nb) : MS_ENOMEM;
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = MS_EPROTO;
	sqlite3_finalize(st);
	/* What expired while the server was down is not in memory, so no
	 * sweep would find it: it goes now. */
	if (rc == 0 &&
	    sqlite3_prepare_v2(r->db, "DELETE FROM bindings WHERE expires <= ?1", -1, &st, NULL) ==
		    SQLITE_OK) {
		sqlite3_bind_int64(st, 1, now);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : MS_EPROTO;
		sqlite3_finalize(st);
	} else if (rc == 0) {
		rc = MS_EPROTO;
	}
	return rc;
}

static int begin(struct ms_registrar *r)
{
	if (r->in_txn)
		return 0;
	if (run(r->begin))
		return MS_EPROTO;
	r->in_txn = true;
	return 0;
}

static void text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_STATIC);
}

static int put(sqlite3_stmt *st, const struct ms_binding *b)
{
	text(st, 1, b->aor);
	text(st, 2, b->contact);
	text(st, 3, b->path);
	text(st, 4, b->call_id);
	sqlite3_bind_int64(st, 5, b->cseq);
	text(st, 6, b->instance);
	sqlite3_bind_int64(st, 7, b->reg_id);
	sqlite3_bind_int(st, 8, b->q);
	sqlite3_bind_int64(st, 9, b->expires);
	text(st, 10, b->received);
	text(st, 11, b->socket);
	text(st, 12, b->user_agent);
	sqlite3_bind_int(st, 13, b->nat);
	return run(st);
}

int ms__reg_store_put(struct ms_registrar *r, const struct ms_binding *b, bool refresh)
{
	int rc = begin(r);
	if (rc)
		return rc;
	/* A refresh that finds no row (the file was changed under the
	 * server) makes it. */
	rc = refresh ? put(r->update, b) : 0;
	if (rc == 0 && (!refresh || sqlite3_changes(r->db) == 0))
		rc = put(r->upsert, b);
	if (rc == 0)
		r->pending++;
	return rc;
}

int ms__reg_store_del(struct ms_registrar *r, const struct ms_binding *b)
{
	int rc = begin(r);
	if (rc)
		return rc;
	text(r->del, 1, b->aor);
	text(r->del, 2, b->contact);
	rc = run(r->del);
	if (rc == 0)
		r->pending++;
	return rc;
}

int ms__reg_store_savepoint(struct ms_registrar *r)
{
	int rc = begin(r);
	return rc ? rc : run(r->savepoint);
}

void ms__reg_store_release(struct ms_registrar *r, bool keep)
{
	if (!keep)
		run(r->rollback_to);
	run(r->release);
}

int ms__reg_store_commit(struct ms_registrar *r)
{
	if (!r->in_txn)
		return 0;
	ms__reg_users_check(r);
	if (run(r->commit))
		return MS_EPROTO;
	r->in_txn = false;
	r->pending = 0;
	return 0;
}
