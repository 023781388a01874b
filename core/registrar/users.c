/* The users digest authentication checks against, and the server's secret
 * for its nonces: both in the registrar's SQLite file (tables made by the
 * schema's first version). Users are stored as one HA1 per hash, never the
 * password. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "moonsip/digest.h"
#include "registrar/registrar_private.h"

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : MS_EPROTO;
	sqlite3_finalize(st);
	return rc;
}

void ms__reg_bind_str(sqlite3_stmt *st, int i, struct ms_str s)
{
	sqlite3_bind_text(st, i, s.s ? s.s : "", (int)s.len, SQLITE_TRANSIENT);
}

int ms_registrar_user_set(struct ms_registrar *r, struct ms_str user, struct ms_str realm,
			  struct ms_str password)
{
	char md5[MS_DIGEST_HEX_SIZE], sha[MS_DIGEST_HEX_SIZE];
	int rc = ms_digest_ha1(MS_DIGEST_MD5, user, realm, password, md5);
	if (rc == 0)
		rc = ms_digest_ha1(MS_DIGEST_SHA256, user, realm, password, sha);
	if (rc < 0)
		return rc;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(
		    r->db,
		    "INSERT INTO users (username, realm, ha1_md5, ha1_sha256) VALUES (?1, ?2, ?3, ?4)"
		    " ON CONFLICT (username, realm) DO UPDATE SET ha1_md5 = ?3, ha1_sha256 = ?4",
		    -1, &st, NULL) != SQLITE_OK)
		return MS_EPROTO;
	ms__reg_bind_str(st, 1, user);
	ms__reg_bind_str(st, 2, realm);
	sqlite3_bind_text(st, 3, md5, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, sha, -1, SQLITE_TRANSIENT);
	rc = step_done(st);
	ms__reg_users_clear(r);
	return rc ? rc : ms_registrar_commit(r);
}

int ms_registrar_user_del(struct ms_registrar *r, struct ms_str user, struct ms_str realm)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->db, "DELETE FROM users WHERE username = ?1 AND realm = ?2", -1, &st,
			       NULL) != SQLITE_OK)
		return MS_EPROTO;
	ms__reg_bind_str(st, 1, user);
	ms__reg_bind_str(st, 2, realm);
	int rc = step_done(st);
	if (rc == 0)
		rc = sqlite3_changes(r->db) > 0 ? 0 : MS_ENOENT;
	ms__reg_users_clear(r);
	return rc ? rc : ms_registrar_commit(r);
}

void ms_registrar_user_each(struct ms_registrar *r,
			    void (*fn)(const char *user, const char *realm, void *arg), void *arg)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->db, "SELECT username, realm FROM users ORDER BY realm, username", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1), arg);
	sqlite3_finalize(st);
}

int ms_registrar_secret(struct ms_registrar *r, unsigned char out[32])
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->db, "SELECT value FROM secrets WHERE name = 'nonce'", -1, &st, NULL) !=
	    SQLITE_OK)
		return MS_EPROTO;
	int found = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32;
	if (found)
		memcpy(out, sqlite3_column_blob(st, 0), 32);
	sqlite3_finalize(st);
	if (found)
		return 0;
	if (getrandom(out, 32, 0) != 32)
		return MS_EAGAIN;
	if (sqlite3_prepare_v2(r->db, "INSERT OR REPLACE INTO secrets (name, value) VALUES ('nonce', ?1)", -1,
			       &st, NULL) != SQLITE_OK)
		return MS_EPROTO;
	sqlite3_bind_blob(st, 1, out, 32, SQLITE_TRANSIENT);
	int rc = step_done(st);
	return rc ? rc : ms_registrar_commit(r);
}
