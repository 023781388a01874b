/* The registrar (RFC 3261 §10.3, RFC 3327, RFC 5626) on a real SQLite
 * file: the rules of a REGISTER, lookups, group commit and what survives
 * a reopen. */
#define _DEFAULT_SOURCE /* mkstemp */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "moonsip/digest.h"
#include "moonsip/registrar.h"
#include "test.h"

#define NOW                                                                                            \
	4000000000LL /* far ahead: bindings loaded at reopen (by the real clock) must not have expired \
		      */

struct fx {
	char path[64];
	struct ms_registrar *r;
	char buf[2048];
	struct ms_msg m;
};

static void open_reg(struct fx *f, const struct ms_registrar_config *base)
{
	struct ms_registrar_config cfg = base ? *base : (struct ms_registrar_config){ 0 };
	cfg.db_path = f->path;
	char err[256];
	int rc = ms_registrar_open(&f->r, &cfg, err, sizeof err);
	if (rc)
		ms_test_fail(__FILE__, __LINE__, "open: %s", err);
}

static void setup(struct fx *f, const struct ms_registrar_config *cfg)
{
	snprintf(f->path, sizeof f->path, "/tmp/ms-reg-test-%d-XXXXXX", (int)getpid());
	int fd = mkstemp(f->path);
	ASSERT(fd >= 0);
	close(fd);
	unlink(f->path); /* a new file: the registrar makes it */
	ms_msg_init(&f->m);
	open_reg(f, cfg);
}

static void teardown(struct fx *f)
{
	ms_registrar_close(f->r);
	ms_msg_free(&f->m);
	char p[96];
	unlink(f->path);
	snprintf(p, sizeof p, "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", f->path);
	unlink(p);
}

/* A REGISTER for alice with 'extra' header lines; the outcome. */
static struct ms_register_result reg(struct fx *f, const char *call_id, unsigned cseq, const char *extra)
{
	int n = snprintf(f->buf, sizeof f->buf,
			 "REGISTER sip:example.com SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK%u\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: <sip:alice@example.com>;tag=a1\r\n"
			 "To: <sip:%%61lice@EXAMPLE.com:5060;user=phone>\r\n"
			 "Call-ID: %s\r\nCSeq: %u REGISTER\r\nUser-Agent: test-ua\r\n%s"
			 "Content-Length: 0\r\n\r\n",
			 cseq, call_id, cseq, extra);
	ASSERT(ms_msg_parse(&f->m, f->buf, (size_t)n, MS_PARSE_DGRAM) >= 0);
	ASSERT_INT(ms_msg_check(&f->m), 0);
	struct ms_register_result res;
	ASSERT_INT(ms_registrar_register(f->r, &f->m, NOW, "udp:192.0.2.1:5060", "udp:127.0.0.1:5060", true,
					 &res),
		   0);
	return res;
}

static size_t lookup(struct fx *f, const struct ms_binding **out, int64_t at)
{
	return ms_registrar_lookup(f->r, MS_STR("sip:alice@example.com"), at, out, 8);
}

TEST(registrar_aor_is_canonical)
{
	struct ms_uri u;
	const char *why;
	const char *s = "sip:%61lice@EXAMPLE.com:5070;user=phone?x=y";
	ASSERT_INT(ms_uri_parse(&u, s, strlen(s), &why), 0);
	struct ms_buf b;
	ms_buf_init(&b);
	ASSERT_INT(ms_registrar_aor(&u, &b), 0);
	ASSERT_STR(((struct ms_str){ b.data, b.len }), "sip:alice@example.com");
	ms_buf_free(&b);
	ASSERT_INT(ms_uri_parse(&u, "tel:+15551234", 13, &why), 0);
	ASSERT_INT(ms_registrar_aor(&u, &b), MS_EINVAL);
}

TEST(registrar_binds_orders_by_q_and_lists_contacts)
{
	struct fx f;
	setup(&f, NULL);
	struct ms_register_result res =
		reg(&f, "c1", 1,
		    "Contact: <sip:alice@192.0.2.1:5060>;q=0.5, <sip:alice@192.0.2.2>;expires=120\r\n");
	ASSERT_INT(res.status, 200);
	const struct ms_binding *b[8];
	ASSERT_INT(lookup(&f, b, NOW), 2);
	ASSERT(!strcmp(b[0]->contact, "sip:alice@192.0.2.2")); /* q 1 before q 0.5 */
	ASSERT_INT(b[0]->expires, NOW + 120);
	ASSERT_INT(b[1]->q, 500);
	ASSERT_INT(b[1]->expires, NOW + 3600); /* the default */
	ASSERT(!strcmp(b[0]->received, "udp:192.0.2.1:5060"));
	ASSERT(!strcmp(b[0]->user_agent, "test-ua"));
	struct ms_buf c;
	ms_buf_init(&c);
	ASSERT_INT(ms_registrar_contacts(f.r, MS_STR("sip:alice@example.com"), NOW + 20, &c), 0);
	ASSERT_STR(((struct ms_str){ c.data, c.len }),
		   "Contact: <sip:alice@192.0.2.2>;expires=100\r\n"
		   "Contact: <sip:alice@192.0.2.1:5060>;expires=3580;q=0.5\r\n");
	ms_buf_free(&c);
	/* Expired bindings are not returned, and the sweep removes them. */
	ASSERT_INT(lookup(&f, b, NOW + 200), 1);
	ASSERT_INT(ms_registrar_sweep(f.r, NOW + 200), 1);
	ASSERT_INT(ms_registrar_count(f.r), 1);
	teardown(&f);
}

TEST(registrar_call_id_and_cseq_rules)
{
	struct fx f;
	setup(&f, NULL);
	const struct ms_binding *b[8];
	ASSERT_INT(reg(&f, "c1", 5, "Contact: <sip:alice@192.0.2.1>\r\n").status, 200);
	/* Same Call-ID, older or equal CSeq: refused, nothing changes. */
	struct ms_register_result res = reg(&f, "c1", 5, "Contact: <sip:alice@192.0.2.1>;expires=0\r\n");
	ASSERT_INT(res.status, 500);
	ASSERT(strstr(res.reason, "CSeq"));
	ASSERT_INT(lookup(&f, b, NOW), 1);
	/* Higher CSeq refreshes; another Call-ID replaces. */
	ASSERT_INT(reg(&f, "c1", 6, "Contact: <sip:alice@192.0.2.1>;expires=300\r\n").status, 200);
	ASSERT_INT(lookup(&f, b, NOW), 1);
	ASSERT_INT(b[0]->expires, NOW + 300);
	ASSERT_INT(reg(&f, "c2", 1, "Contact: <sip:alice@192.0.2.1>;expires=600\r\n").status, 200);
	ASSERT_INT(lookup(&f, b, NOW), 1);
	ASSERT(!strcmp(b[0]->call_id, "c2"));
	/* expires=0 removes it. */
	ASSERT_INT(reg(&f, "c2", 2, "Contact: <sip:alice@192.0.2.1>;expires=0\r\n").status, 200);
	ASSERT_INT(lookup(&f, b, NOW), 0);
	teardown(&f);
}

TEST(registrar_star_expires_and_limits)
{
	struct ms_registrar_config cfg = { .max_bindings = 2, .min_expires = 30, .max_expires = 1000 };
	struct fx f;
	setup(&f, &cfg);
	const struct ms_binding *b[8];
	struct ms_register_result res = reg(&f, "c1", 1, "Contact: <sip:alice@192.0.2.1>;expires=10\r\n");
	ASSERT_INT(res.status, 423);
	ASSERT_INT(res.min_expires, 30);
	ASSERT_INT(reg(&f, "c1", 2, "Contact: <sip:alice@192.0.2.1>;expires=5000\r\n").status, 200);
	ASSERT_INT(lookup(&f, b, NOW), 1);
	ASSERT_INT(b[0]->expires, NOW + 1000); /* clamped */
	ASSERT_INT(reg(&f, "c1", 3, "Contact: <sip:alice@192.0.2.2>, <sip:alice@192.0.2.3>\r\n").status, 403);
	ASSERT_INT(lookup(&f, b, NOW), 1);                          /* all or nothing */
	ASSERT_INT(reg(&f, "c1", 4, "Contact: *\r\n").status, 400); /* no Expires: 0 */
	ASSERT_INT(reg(&f, "c1", 5, "Contact: *, <sip:alice@192.0.2.2>\r\nExpires: 0\r\n").status, 400);
	ASSERT_INT(reg(&f, "c1", 6, "Contact: <sip:alice@192.0.2.2>\r\n").status, 200);
	ASSERT_INT(lookup(&f, b, NOW), 2);
	ASSERT_INT(reg(&f, "c1", 7, "Contact: *\r\nExpires: 0\r\n").status, 200);
	ASSERT_INT(lookup(&f, b, NOW), 0);
	/* A REGISTER without Contact changes nothing and is answered 200. */
	ASSERT_INT(reg(&f, "c1", 8, "").status, 200);
	teardown(&f);
}

/* One device (RFC 5626): its instance and registration id. */
static const char inst[] = "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\";reg-id=1";

TEST(registrar_instance_replaces_its_own_binding_and_keeps_path)
{
	struct fx f;
	setup(&f, NULL);
	const struct ms_binding *b[8];
	char extra[512];
	snprintf(extra, sizeof extra,
		 "Contact: <sip:alice@192.0.2.1>;%s\r\nPath: <sip:edge.example.net;lr>\r\n", inst);
	struct ms_register_result res = reg(&f, "c1", 1, extra);
	ASSERT_INT(res.status, 200);
	ASSERT(res.path);
	/* The same device from a new address (another Call-ID): one binding. */
	snprintf(extra, sizeof extra, "Contact: <sip:alice@198.51.100.7:6000>;%s\r\n", inst);
	ASSERT_INT(reg(&f, "c9", 1, extra).status, 200);
	ASSERT_INT(lookup(&f, b, NOW), 1);
	ASSERT(!strcmp(b[0]->contact, "sip:alice@198.51.100.7:6000"));
	ASSERT_INT(b[0]->reg_id, 1);
	ASSERT(!strcmp(b[0]->path, ""));
	snprintf(extra, sizeof extra,
		 "Contact: <sip:alice@192.0.2.5>\r\nPath: <sip:p1;lr>\r\nPath: <sip:p2;lr>\r\n");
	ASSERT_INT(reg(&f, "c10", 1, extra).status, 200);
	ASSERT_INT(lookup(&f, b, NOW), 2);
	ASSERT(!strcmp(b[1]->path, "<sip:p1;lr>, <sip:p2;lr>"));
	teardown(&f);
}

static int rows_seen_by_another_connection(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;
	ASSERT_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ASSERT_INT(sqlite3_prepare_v2(db, "SELECT count(*) FROM bindings", -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* A device that comes back from a new address replaces its binding in the
 * file too: the old row would otherwise come back at the next start. And
 * a refresh of the same contact rewrites its row. */
TEST(registrar_instance_replaced_in_the_file)
{
	struct fx f;
	setup(&f, NULL);
	const struct ms_binding *b[8];
	char extra[512];
	snprintf(extra, sizeof extra, "Contact: <sip:alice@192.0.2.1>;%s\r\n", inst);
	ASSERT_INT(reg(&f, "c1", 1, extra).status, 200);
	ASSERT_INT(ms_registrar_commit(f.r), 0);
	snprintf(extra, sizeof extra, "Contact: <sip:alice@198.51.100.7:6000>;%s\r\n", inst);
	ASSERT_INT(reg(&f, "c9", 1, extra).status, 200);
	ASSERT_INT(ms_registrar_commit(f.r), 0);
	ASSERT_INT(rows_seen_by_another_connection(f.path), 1);
	snprintf(extra, sizeof extra, "Contact: <sip:alice@198.51.100.7:6000>;%s;expires=120\r\n", inst);
	ASSERT_INT(reg(&f, "c9", 2, extra).status, 200);
	ASSERT_INT(ms_registrar_commit(f.r), 0);
	ms_registrar_close(f.r);
	open_reg(&f, NULL);
	ASSERT_INT(ms_registrar_lookup(f.r, MS_STR("sip:alice@example.com"), NOW, b, 8), 1);
	ASSERT(!strcmp(b[0]->contact, "sip:alice@198.51.100.7:6000"));
	ASSERT_INT(b[0]->cseq, 2);
	ASSERT_INT(rows_seen_by_another_connection(f.path), 1);
	teardown(&f);
}

TEST(registrar_group_commit_and_reopen)
{
	struct fx f;
	setup(&f, NULL);
	ASSERT_INT(reg(&f, "c1", 1, "Contact: <sip:alice@192.0.2.1>, <sip:alice@192.0.2.2>;q=0.2\r\n").status,
		   200);
	/* Not on disk until the commit: a server answers after it. */
	ASSERT(ms_registrar_pending(f.r) > 0);
	ASSERT_INT(rows_seen_by_another_connection(f.path), 0);
	ASSERT_INT(ms_registrar_commit(f.r), 0);
	ASSERT_INT(ms_registrar_pending(f.r), 0);
	ASSERT_INT(rows_seen_by_another_connection(f.path), 2);
	ASSERT_INT(ms_registrar_remove(f.r, MS_STR("sip:alice@example.com"), MS_STR("sip:alice@192.0.2.1")),
		   1);
	ASSERT_INT(ms_registrar_commit(f.r), 0);
	/* Reopened: what was committed, with every field. */
	ms_registrar_close(f.r);
	open_reg(&f, NULL);
	const struct ms_binding *b[8];
	ASSERT_INT(ms_registrar_lookup(f.r, MS_STR("sip:alice@example.com"), NOW, b, 8), 1);
	ASSERT(!strcmp(b[0]->contact, "sip:alice@192.0.2.2"));
	ASSERT_INT(b[0]->q, 200);
	ASSERT_INT(b[0]->cseq, 1);
	ASSERT(!strcmp(b[0]->socket, "udp:127.0.0.1:5060"));
	ASSERT(b[0]->nat);
	teardown(&f);
}

TEST(registrar_users_and_secret)
{
	struct fx f;
	setup(&f, NULL);
	char ha1[65];
	ASSERT_INT(ms_registrar_user_ha1(f.r, MS_STR("alice"), MS_STR("example.com"), false, ha1), MS_ENOENT);
	ASSERT_INT(ms_registrar_user_set(f.r, MS_STR("alice"), MS_STR("example.com"), MS_STR("secret")), 0);
	ASSERT_INT(ms_registrar_user_ha1(f.r, MS_STR("alice"), MS_STR("example.com"), false, ha1), 0);
	char want[65];
	ASSERT_INT(
		ms_digest_ha1(MS_DIGEST_MD5, MS_STR("alice"), MS_STR("example.com"), MS_STR("secret"), want),
		0);
	ASSERT(!strcmp(ha1, want));
	ASSERT_INT(ms_registrar_user_ha1(f.r, MS_STR("alice"), MS_STR("example.com"), true, ha1), 0);
	ASSERT_INT(strlen(ha1), 64);
	ASSERT_INT(ms_registrar_user_ha1(f.r, MS_STR("alice"), MS_STR("other.org"), false, ha1), MS_ENOENT);
	unsigned char s1[32], s2[32];
	ASSERT_INT(ms_registrar_secret(f.r, s1), 0);
	ASSERT_INT(ms_registrar_secret(f.r, s2), 0);
	ASSERT(!memcmp(s1, s2, 32));
	ms_registrar_close(f.r);
	open_reg(&f, NULL); /* the same secret and users after a restart */
	ASSERT_INT(ms_registrar_secret(f.r, s2), 0);
	ASSERT(!memcmp(s1, s2, 32));
	ASSERT_INT(ms_registrar_user_del(f.r, MS_STR("alice"), MS_STR("example.com")), 0);
	ASSERT_INT(ms_registrar_user_del(f.r, MS_STR("alice"), MS_STR("example.com")), MS_ENOENT);
	teardown(&f);
}

/* Another process's changes to the users (moonsip user add|del while the
 * server runs) count at the server's next commit, or within about a second
 * without one: the HA1s are cached, and so is "no such user". */
static void other_connection(const char *path, const char *sql)
{
	sqlite3 *db;
	ASSERT_INT(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 2000);
	ASSERT_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

TEST(registrar_users_changed_by_another_process)
{
	struct fx f;
	setup(&f, NULL);
	char ha1[65];
	ASSERT_INT(ms_registrar_user_ha1(f.r, MS_STR("bob"), MS_STR("example.com"), false, ha1), MS_ENOENT);
	other_connection(f.path, "INSERT INTO users VALUES ('bob', 'example.com', 'b5', 'b256')");
	/* cached as no user until something tells the cache otherwise */
	ASSERT_INT(ms_registrar_user_ha1(f.r, MS_STR("bob"), MS_STR("example.com"), false, ha1), MS_ENOENT);
	ASSERT_INT(reg(&f, "u1", 1, "Contact: <sip:alice@192.0.2.1>\r\n").status, 200);
	ASSERT_INT(ms_registrar_commit(f.r), 0);
	ASSERT_INT(ms_registrar_user_ha1(f.r, MS_STR("bob"), MS_STR("example.com"), true, ha1), 0);
	ASSERT(!strcmp(ha1, "b256"));
	other_connection(f.path, "UPDATE users SET ha1_md5 = 'new5' WHERE username = 'bob'");
	usleep(1100 * 1000); /* no commit of ours: the check after a second */
	ASSERT_INT(ms_registrar_user_ha1(f.r, MS_STR("bob"), MS_STR("example.com"), false, ha1), 0);
	ASSERT(!strcmp(ha1, "new5"));
	other_connection(f.path, "DELETE FROM users WHERE username = 'bob'");
	usleep(1100 * 1000);
	ASSERT_INT(ms_registrar_user_ha1(f.r, MS_STR("bob"), MS_STR("example.com"), false, ha1), MS_ENOENT);
	teardown(&f);
}

/* A file of schema version 1 (rowid bindings) is brought to the current
 * version at open, its bindings and users kept. */
TEST(registrar_migrates_a_version_1_file)
{
	struct fx f;
	setup(&f, NULL);
	ms_registrar_close(f.r);
	unlink(f.path);
	sqlite3 *db;
	ASSERT_INT(sqlite3_open(f.path, &db), SQLITE_OK);
	const char *v1 = "PRAGMA journal_mode = WAL;"
			 "CREATE TABLE bindings (aor TEXT NOT NULL, contact TEXT NOT NULL, path TEXT NOT "
			 "NULL DEFAULT '',"
			 " call_id TEXT NOT NULL DEFAULT '', cseq INTEGER NOT NULL DEFAULT 0,"
			 " instance TEXT NOT NULL DEFAULT '', reg_id INTEGER NOT NULL DEFAULT 0,"
			 " q INTEGER NOT NULL DEFAULT 1000, expires INTEGER NOT NULL,"
			 " received TEXT NOT NULL DEFAULT '', socket TEXT NOT NULL DEFAULT '',"
			 " user_agent TEXT NOT NULL DEFAULT '', nat INTEGER NOT NULL DEFAULT 0,"
			 " PRIMARY KEY (aor, contact));"
			 "CREATE INDEX bindings_expires ON bindings (expires);"
			 "CREATE TABLE users (username TEXT NOT NULL, realm TEXT NOT NULL,"
			 " ha1_md5 TEXT NOT NULL, ha1_sha256 TEXT NOT NULL, PRIMARY KEY (username, realm));"
			 "CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);"
			 "INSERT INTO bindings (aor, contact, call_id, cseq, q, expires, received)"
			 " VALUES ('sip:alice@example.com', 'sip:alice@192.0.2.9', 'old', 7, 500, 4100000000,"
			 " 'udp:192.0.2.9:5060');"
			 "INSERT INTO bindings (aor, contact, expires) VALUES ('sip:bob@example.com',"
			 " 'sip:bob@192.0.2.8', 1000);"
			 "INSERT INTO users VALUES ('alice', 'example.com', 'aa', 'bb');"
			 "PRAGMA user_version = 1;";
	ASSERT_INT(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	open_reg(&f, NULL);
	const struct ms_binding *b[8];
	ASSERT_INT(ms_registrar_lookup(f.r, MS_STR("sip:alice@example.com"), NOW, b, 8), 1);
	ASSERT(!strcmp(b[0]->contact, "sip:alice@192.0.2.9"));
	ASSERT(!strcmp(b[0]->call_id, "old"));
	ASSERT_INT(b[0]->q, 500);
	char ha1[65];
	ASSERT_INT(ms_registrar_user_ha1(f.r, MS_STR("alice"), MS_STR("example.com"), false, ha1), 0);
	ASSERT(!strcmp(ha1, "aa"));
	/* and it takes new bindings in the new table */
	ASSERT_INT(reg(&f, "c9", 1, "Contact: <sip:alice@192.0.2.1>\r\n").status, 200);
	ASSERT_INT(ms_registrar_commit(f.r), 0);
	ASSERT_INT(rows_seen_by_another_connection(f.path), 2);
	ASSERT_INT(sqlite3_open(f.path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	ASSERT_INT(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	ASSERT_INT(sqlite3_step(st), SQLITE_ROW);
	ASSERT_INT(sqlite3_column_int(st, 0), 3);
	sqlite3_finalize(st);
	/* version 3 has no expiry index */
	ASSERT_INT(sqlite3_prepare_v2(db,
				      "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND"
				      " name = 'bindings_expires'",
				      -1, &st, NULL),
		   SQLITE_OK);
	ASSERT_INT(sqlite3_step(st), SQLITE_ROW);
	ASSERT_INT(sqlite3_column_int(st, 0), 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	teardown(&f);
}

/* The sweep removes expired bindings, and the addresses-of-record they
 * leave empty: a registrar whose users come and go does not keep growing. */
TEST(registrar_sweep_frees_empty_addresses)
{
	struct fx f;
	setup(&f, NULL);
	ASSERT_INT(reg(&f, "c0", 1, "Contact: <sip:alice@192.0.2.1>;expires=60\r\n").status, 200);
	struct ms_mem_stats m0, m1;
	ms_mem_stats(&m0); /* the registrar's working space is made by now */
	char buf[2048];
	for (int i = 0; i < 100; i++) {
		int n = snprintf(
			buf, sizeof buf,
			"REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKs%d\r\n"
			"From: <sip:u%d@example.com>;tag=a\r\nTo: <sip:u%d@example.com>\r\n"
			"Call-ID: s%d\r\nCSeq: 1 REGISTER\r\nContact: <sip:u%d@192.0.2.9>;expires=60\r\n"
			"Content-Length: 0\r\n\r\n",
			i, i, i, i, i);
		ASSERT(ms_msg_parse(&f.m, buf, (size_t)n, MS_PARSE_DGRAM) >= 0);
		ASSERT_INT(ms_msg_check(&f.m), 0);
		struct ms_register_result res;
		ASSERT_INT(ms_registrar_register(f.r, &f.m, NOW, "udp:192.0.2.1:5060", "", false, &res), 0);
		ASSERT_INT(res.status, 200);
	}
	ASSERT_INT(ms_registrar_commit(f.r), 0);
	ASSERT_INT(ms_registrar_count(f.r), 101);
	/* alice removes hers by hand: her address stays until the sweep */
	ASSERT_INT(ms_registrar_remove(f.r, MS_STR("sip:alice@example.com"), MS_STR_NULL), 1);
	ASSERT_INT(ms_registrar_sweep(f.r, NOW + 61), 100);
	ASSERT_INT(ms_registrar_commit(f.r), 0);
	ASSERT_INT(ms_registrar_count(f.r), 0);
	ms_mem_stats(&m1);
	/* alice's address, there at m0, went too */
	ASSERT(m1.live_bytes < m0.live_bytes);
	const struct ms_binding *b[8];
	ASSERT_INT(ms_registrar_lookup(f.r, MS_STR("sip:u7@example.com"), NOW, b, 8), 0);
	/* and a new binding for one of them works as before */
	ASSERT_INT(reg(&f, "c9", 1, "Contact: <sip:alice@192.0.2.1>\r\n").status, 200);
	ASSERT_INT(lookup(&f, b, NOW), 1);
	teardown(&f);
}
