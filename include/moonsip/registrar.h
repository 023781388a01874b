/* moonsip: the registrar and location service (RFC 3261 §10.3, RFC 3327
 * Path, RFC 5626 instance and reg-id), with bindings kept in memory for
 * lookups and persisted in an SQLite file.
 *
 * Changes are written into an open SQLite transaction as they are made and
 * become durable at ms_registrar_commit(): a server answers the REGISTERs
 * of a batch only after the commit that holds them (group commit), so a
 * crash of the process loses no binding whose 200 OK was sent. The file is
 * in WAL mode; with synchronous=NORMAL (the default) an operating-system
 * crash or power loss may lose the last commits, with FULL it does not, at
 * the cost of an fsync per commit.
 *
 *	ms_registrar_open(&r, &(struct ms_registrar_config){ .db_path = "moonsip.db" }, err, sizeof err);
 *	ms_registrar_register(r, &req, now, "udp:192.0.2.1:5060", "udp:127.0.0.1:5060", false, &res);
 *	ms_registrar_commit(r);   then send res's answer
 *	n = ms_registrar_lookup(r, MS_STR("sip:alice@example.com"), now, list, 10);
 *
 * A registrar is used from one thread. */
#ifndef MOONSIP_REGISTRAR_H
#define MOONSIP_REGISTRAR_H

#include <stdint.h>

#include "moonsip/base.h"
#include "moonsip/msg.h"
#include "moonsip/uri.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ms_registrar;

/* One binding of an address-of-record to a contact. Strings are
 * NUL-terminated; empty when absent. */
struct ms_binding {
	const char *aor;        /* canonical: "sip:alice@example.com" */
	const char *contact;    /* the Contact URI, as registered */
	const char *path;       /* the Path values, in order, comma-separated (RFC 3327) */
	const char *call_id;    /* of the REGISTER that made or refreshed it */
	const char *instance;   /* +sip.instance, with its quotes (RFC 5626) */
	const char *received;   /* where the REGISTER came from: "udp:192.0.2.1:5060" */
	const char *socket;     /* the listener it came in on: "udp:127.0.0.1:5060" */
	const char *user_agent; /* its User-Agent */
	uint32_t cseq;
	uint32_t reg_id; /* 0 when absent */
	int q;           /* q * 1000 (1000 when the Contact had none) */
	int64_t expires; /* when it ends, seconds since the epoch */
	bool nat;        /* the REGISTER came through a NAT: requests go to 'received' */
};

struct ms_registrar_config {
	const char *db_path;      /* the SQLite file, made when missing (required) */
	uint32_t default_expires; /* no expires parameter nor Expires header: 3600 */
	uint32_t min_expires;     /* below it: 423 Interval Too Brief (0: 60) */
	uint32_t max_expires;     /* above it: clamped (0: 86400) */
	unsigned max_bindings;    /* per address-of-record (0: 16) */
	bool sync_full;           /* synchronous=FULL instead of NORMAL */
};

/* Opens (or makes) the file, brings its schema up to date, and loads the
 * bindings that have not expired. On failure a negative code, with the
 * reason in err. */
MS_API int ms_registrar_open(struct ms_registrar **out, const struct ms_registrar_config *cfg, char *err,
			     size_t errlen);
/* Commits what is pending and closes. NULL is ignored. */
MS_API void ms_registrar_close(struct ms_registrar *r);

/* The canonical address-of-record of a To URI (§10.3 step 5): scheme,
 * unescaped user, '@', lower-case host; no port, no parameters. MS_EINVAL
 * for a URI that is not sip or sips. */
MS_API int ms_registrar_aor(const struct ms_uri *u, struct ms_buf *out);

/* What a REGISTER comes to: the status to answer with and its reason
 * phrase (static text), and for 423 the Min-Expires to put in. */
struct ms_register_result {
	unsigned status;
	const char *reason;
	uint32_t min_expires;
	bool path; /* a Path was stored: answer with Supported: path */
};

/* Applies a REGISTER (parsed and checked) for the address-of-record of its
 * To, at time 'now', from 'received' through 'socket' (see ms_binding):
 * Contact "*" with Expires 0 removes every binding; each other Contact is
 * added, refreshed or removed (expires 0) by the rules of §10.3 steps 6 to
 * 8, keyed by +sip.instance and reg-id when it has them (RFC 5626), else
 * by its URI. 'nat' says the REGISTER came through a NAT (its Via's
 * sent-by is not where it came from), kept with the bindings. Nothing changes unless the whole request is
 * accepted. Returns 0 with the outcome in *res (200, or 400, 403, 423, 500 with a reason that says why), or
 * MS_ENOMEM / an SQLite failure (MS_EPROTO, with a log line to the caller's care: the in-memory state is
 * unchanged). */
MS_API int ms_registrar_register(struct ms_registrar *r, struct ms_msg *req, int64_t now,
				 const char *received, const char *socket, bool nat,
				 struct ms_register_result *res);
/* The Contact header fields of a 200 to a REGISTER for 'aor': every
 * binding that has not expired, with expires= the seconds left. */
MS_API int ms_registrar_contacts(struct ms_registrar *r, struct ms_str aor, int64_t now, struct ms_buf *out);

/* Makes every change so far durable (one SQLite transaction). 0, or
 * MS_EPROTO when SQLite failed (the changes stay pending). */
MS_API int ms_registrar_commit(struct ms_registrar *r);
/* Changes made and not yet committed. */
MS_API unsigned ms_registrar_pending(const struct ms_registrar *r);

/* The bindings of 'aor' that have not expired at 'now', highest q first,
 * into out[0..max); returns how many there are (possibly more than max).
 * The pointers are valid until the next change. */
MS_API size_t ms_registrar_lookup(struct ms_registrar *r, struct ms_str aor, int64_t now,
				  const struct ms_binding **out, size_t max);
/* Removes the binding of 'aor' to 'contact' (compared as URIs), or every
 * binding of it when contact is empty. Returns how many went. */
MS_API int ms_registrar_remove(struct ms_registrar *r, struct ms_str aor, struct ms_str contact);
/* Removes every binding expired at 'now'; returns how many. */
MS_API int ms_registrar_sweep(struct ms_registrar *r, int64_t now);
/* Every binding, in no particular order ('fn' may not change the
 * registrar). */
MS_API void ms_registrar_each(struct ms_registrar *r, void (*fn)(const struct ms_binding *b, void *arg),
			      void *arg);
MS_API size_t ms_registrar_count(const struct ms_registrar *r);

/* Users of digest authentication, in the same file: one HA1 per hash
 * (moonsip/digest.h), never the password. Each change is committed at once
 * (with whatever bindings were pending). */
MS_API int ms_registrar_user_set(struct ms_registrar *r, struct ms_str user, struct ms_str realm,
				 struct ms_str password);
/* MS_ENOENT when there was no such user. */
MS_API int ms_registrar_user_del(struct ms_registrar *r, struct ms_str user, struct ms_str realm);
/* The stored HA1 (hex) of a user for MD5 or SHA-256 into out (65 bytes);
 * MS_ENOENT for an unknown user. */
MS_API int ms_registrar_user_ha1(struct ms_registrar *r, struct ms_str user, struct ms_str realm, bool sha256,
				 char out[65]);
MS_API void ms_registrar_user_each(struct ms_registrar *r,
				   void (*fn)(const char *user, const char *realm, void *arg), void *arg);
/* The server's nonce secret (32 bytes): made at random and stored on first
 * use, the same after a restart. */
MS_API int ms_registrar_secret(struct ms_registrar *r, unsigned char out[32]);

#ifdef __cplusplus
}
#endif
#endif
