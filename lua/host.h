/* The Lua host: one LuaJIT state per loaded script, a coroutine per
 * request running the script's on_request(req).
 *
 * A host takes requests from a stack (ms_lua_host_request is the stack's
 * request callback) or, with no stack, from a caller that feeds them (the
 * Lua module's test harness). Reloading compiles the new script in a new
 * state: new requests go to it, coroutines still running finish on the old
 * one, which is closed when its last coroutine ends. */
#ifndef MS_LUA_HOST_H
#define MS_LUA_HOST_H

#include <stddef.h>

#include "moonsip/stack.h"

struct ms_lua_host;
struct ev_loop;

struct ms_lua_config {
	const char *script; /* path of the script file */
	struct ev_loop *loop;
	struct ms_stack *stack; /* NULL: requests are fed by the caller */
	const struct ms_logger *log;
	/* How long a handler may run without yielding before it is stopped
	 * (0: 1 s); a watchdog ends the process after hard_ms (0: 10 s) when a
	 * handler cannot be stopped (see docs: compiled loops). */
	uint32_t max_run_ms, hard_ms;
	/* Without a stack: every answer a script gives (a whole response) goes
	 * here instead of onto the network. */
	void (*answer_cb)(void *arg, const char *resp, size_t len);
	void *answer_arg;
	/* The proxy (with a stack): names that are this server besides its
	 * addresses (NULL-terminated), Timer C in ms (0: 180 s). */
	const char *const *domains;
	uint32_t timer_c_ms;
	/* The registrar's SQLite file (NULL: ms_lua_db_path's default),
	 * opened and loaded at start when it exists, else made when a script
	 * first uses the registrar; sync_full: synchronous=FULL. */
	const char *db_path;
	bool db_sync_full;
	/* Its limits (0: the registrar's defaults, moonsip/registrar.h), and
	 * how often expired bindings are swept from the file (0: 30 s). */
	uint32_t min_expires, max_expires, default_expires;
	unsigned max_bindings;
	uint32_t sweep_s;
	/* auth.check: failures from one address within the window (seconds)
	 * after which it gets 403 until the window passes (0: 20 in 60 s;
	 * auth_max_failures UINT32_MAX: no limit). */
	uint32_t auth_max_failures, auth_failure_window;
	/* The RTP relay (rtp.offer, media = "relay"), made on first use: the
	 * address its ports are bound on (NULL: the first UDP listener's), the
	 * address written into SDP (NULL: the bound one; needed when that is a
	 * wildcard), its port range (0: 30000-39999), and the seconds without
	 * a packet after which a call's media ends (0: none). */
	const char *rtp_address, *rtp_advertise;
	uint16_t rtp_port_min, rtp_port_max;
	double media_timeout;
};

/* The registrar's file: 'given' (--db), else $MOONSIP_DATA_DIR/moonsip.db
 * (default /var/lib/moonsip), the directory made when missing if 'make'. */
const char *ms_lua_db_path(const char *given, bool make);

/* Loads and runs the script's top level. On failure returns a negative
 * code with the reason (file:line: message) in err. */
int ms_lua_host_new(struct ms_lua_host **out, const struct ms_lua_config *cfg, char *err, size_t errlen);
/* Compiles the script again into a new state; on failure the running one
 * stays and err says why. */
int ms_lua_host_reload(struct ms_lua_host *h, char *err, size_t errlen);
/* The stack the host answers and relays through (set once it exists: the
 * stack takes the host as its callbacks' argument). MS_ENOMEM. */
int ms_lua_host_attach(struct ms_lua_host *h, struct ms_stack *stack);
/* Opens and loads the registrar's file now when it exists (a server, so
 * that the first REGISTER or lookup does not wait for the load); a new
 * file is made only when a script uses the registrar. -1 with the reason
 * when the file cannot be read. */
int ms_lua_host_load_db(struct ms_lua_host *h, char *err, size_t errlen);
/* The stack's response callback: responses that matched no client
 * transaction go on statelessly when they carry this proxy's Via. */
void ms_lua_host_response(struct ms_stack *s, struct ms_msg *resp, const struct ms_txn_peer *src, void *arg);
/* The stack's request callback ('arg' is the host). */
void ms_lua_host_request(struct ms_stxn *st, struct ms_msg *req, const struct ms_txn_peer *src, void *arg);
/* Feeds one request (a whole message, copied) to the script, as if it had
 * come from 'src': for hosts without a stack. -1 with err set when it does
 * not parse or check. Answers go to cfg.answer_cb. */
int ms_lua_host_feed(struct ms_lua_host *h, const char *buf, size_t len, const struct ms_txn_peer *src,
		     char *err, size_t errlen);
/* Requests whose coroutine has not ended yet. */
size_t ms_lua_host_running(const struct ms_lua_host *h);
void ms_lua_host_free(struct ms_lua_host *h);

/* moonsip check: compiles the script and runs its top level in a state of
 * its own, then checks that it defined on_request. 0, or -1 with err set. */
int ms_lua_check(const char *script, char *err, size_t errlen);

#endif
