/* Internal: the parts of the Lua host shared by its files. */
#ifndef MS_LUA_HOST_PRIVATE_H
#define MS_LUA_HOST_PRIVATE_H

#include <ev.h>
#include <lua.h>
#include <stdatomic.h>

#include "host.h"
#include "moonsip/edit.h"
#include "moonsip/msg.h"
#include "moonsip/proxy.h"
#include "moonsip/registrar.h"
#include "moonsip/resolve.h"

struct ms_lua_call;

/* One loaded script: its own state, closed when its last call ends after
 * a reload replaced it. */
struct ms_lua_gen {
	struct ms_lua_host *h;
	lua_State *L;
	int on_request;  /* registry reference */
	int req_mt;      /* registry reference to the request metatable */
	char where[160]; /* "script.lua:12", where on_request is defined */
	unsigned calls;  /* coroutines alive on this state */
	/* Coroutines whose handler returned normally, kept for the next
	 * requests: making one and its registry reference per request, and
	 * collecting it after, is the larger part of a call's fixed cost. */
	struct {
		lua_State *co;
		int ref;
	} pool[64];
	unsigned npool;
	struct ms_lua_gen *next; /* the host's list of replaced states */
};

struct ms_lua_host {
	struct ms_lua_config cfg;
	char script[4096];
	struct ms_lua_gen *cur;
	struct ms_lua_gen *old; /* replaced, still running calls */
	size_t running;
	struct ms_lua_call *calls;   /* running, for CANCEL to find its INVITE */
	struct ms_lua_call *current; /* the call executing now, if any */
	uint64_t deadline_ns;        /* when the current call must have yielded */
	/* The watchdog thread reads when the current resume began (0: none). */
	_Atomic uint64_t busy_since_ns;
	bool watchdog_started;
	_Atomic bool watchdog_stop;
	unsigned long watchdog; /* pthread_t */
	struct ms__store *store;
	struct ms_proxy *proxy;      /* with a stack: proxy.relay and friends */
	struct ms_registrar *reg;    /* opened on first use (api_registrar.c) */
	struct ms__auth *auth;       /* nonce-counts and failures (api_auth.c) */
	struct ms__lua_rtp *rtp;     /* the RTP relay and its calls (api_rtp.c) */
	struct ms__lua_nat *nat;     /* keep-alives (api_nat.c) */
	ev_timer commit;             /* the registrar's commit, at the end of a window */
	ev_prepare commit_idle;      /* or at the end of this turn, after a quiet window */
	ev_tstamp last_commit;       /* the loop time of the last one */
	ev_timer sweep;              /* removes expired bindings from the file */
	struct ms_lua_call **saving; /* REGISTERs waiting for that commit */
	unsigned nsaving, capsaving;
	struct ms_resolver *resolver; /* host names of next hops */
	char tag_prefix[12];          /* random, once: To tags are prefix + count */
	uint64_t ntags;
	unsigned api_calls;
	bool over; /* the current call is over its time: every API call raises */
};

/* A request as a script sees it. Lives in a Lua userdata; the message
 * points into the stack's buffer while the handler runs inside the
 * stack's callback, and into 'own' once the call has yielded. */
#define MS__LUA_REQ_MAGIC 0x6d735251u /* "msRQ" */
struct ms_lua_req {
	uint32_t magic; /* set by the host: see ms__lua_check_req */
	struct ms_lua_host *h;
	struct ms_stxn *st;      /* NULL for an ACK, and once a final answer went */
	struct ms_msg *m;        /* the message: borrowed, or msg; NULL once gone */
	struct ms_msg *borrowed; /* the stack's, while its callback runs */
	/* Parsed from 'own', made only when the handler outlives the stack's
	 * callback: most requests are answered inside it, and a message is a
	 * few KiB to clear. */
	struct ms_msg *msg;
	char *own;
	struct ms_txn_peer src;
	unsigned status;   /* the last status sent, 0 before */
	bool needs_answer; /* anything but an ACK */
	bool cached;       /* its environment is the cache of table fields */
	char tag[24];      /* To tag of this request's answers, made on first use */
	/* After req:set_header and the other edits: the edited request, which
	 * reads see and the proxy forwards (answers use the received one). */
	struct ms_msg *edited;
	struct ms_buf edited_text;
	unsigned edits;  /* how many edits were made */
	bool standalone; /* a branch or a response: 'edited' is its message */
	bool cancelled;  /* a CANCEL came for it (an INVITE) */
	/* proxy.relay (lua/api_proxy.c) */
	struct ms_proxy_txn *ptxn;
	struct ms_lua_call *call; /* the handler's call, resumed by the relay */
	bool waiting;             /* in proxy.relay, for the round to end */
	int on_reply;             /* registry reference, or LUA_NOREF */
	unsigned relay_status;    /* the last round's status, 0 before */
	bool auth_stale;          /* auth.check found a stale nonce: challenge with stale=true */
	bool auth_blocked;        /* its source is over the failure limit: 403 */
};

/* One request's coroutine. */
struct ms_lua_call {
	struct ms_lua_call *prev, *next; /* the host's running calls */
	struct ms_lua_gen *g;
	lua_State *co;
	int co_ref; /* registry reference that keeps the coroutine alive */
	struct ms_lua_req *req;
	ev_timer timer; /* ms.sleep */
	bool sleeping;
	struct ms_resolve *lookup; /* a next hop's name being looked up */
	struct ms__lua_uac *uac;   /* a request of proxy.request waiting */
	struct ms_buf answer;      /* registrar.save: sent after the commit */
	unsigned answer_code;
	int start_nargs; /* a task's arguments on its first resume */
};

/* host_call.c */
void ms__lua_start(struct ms_lua_host *h, struct ms_stxn *st, struct ms_msg *m,
		   const struct ms_txn_peer *src);
/* Resumes a call that waited, with 'nargs' values pushed on its stack.
 * True when it waits again, false when it ended (and is freed). */
bool ms__lua_resume(struct ms_lua_call *c, int nargs);
/* Copies the request's bytes out of the stack's buffer, when the handler
 * still runs as the callback that lent them returns. */
int ms__lua_detach(struct ms_lua_req *r);
/* Sends a response built for the request: through its server transaction,
 * or statelessly, or to the host's answer_cb. 0 or a negative code. */
int ms__lua_send_answer(struct ms_lua_req *r, bool stateless, unsigned code, const struct ms_buf *b);
/* Raises a Lua error when the running call is over its time. */
void ms__lua_check_time(lua_State *L, struct ms_lua_host *h);
/* The same at the entry of an API function, looking at the clock on every
 * 16th call: a loop that calls the API is still stopped in time, and a
 * handler's few calls cost no clock reads. */
static inline void ms__lua_api_entry(lua_State *L, struct ms_lua_host *h)
{
	if (h->over || (++h->api_calls & 15) == 0)
		ms__lua_check_time(L, h);
}
uint64_t ms__lua_now_ns(void);
/* ms.spawn: a task (a call without a request). A task of a replaced
 * script is ended instead of resumed: true when it was. */
int ms__lua_spawn(lua_State *L, struct ms_lua_host *h);
bool ms__lua_task_replaced(struct ms_lua_call *c);
/* A task of the current state running the function below 'nargs'
 * arguments on top of its stack (all taken), started from the loop; for
 * the host's own events (on_media_timeout). MS_ENOMEM. */
int ms__lua_task_start(struct ms_lua_host *h, int nargs);
/* api_uac.c: proxy.request's C half; a call ending while it waits. */
void ms__lua_open_uac(lua_State *L, struct ms_lua_host *h);
void ms__lua_uac_abandon(struct ms_lua_call *c);
/* At the host's end, after the stack's: frees a call's wait for its
 * request without touching the transaction, which went with the stack. */
void ms__lua_uac_forget(struct ms_lua_call *c);
void ms__lua_callback(struct ms_lua_call *c, int ref, void (*push)(lua_State *, void *),
		      void (*after)(lua_State *, void *), void *arg);
void ms__lua_watchdog_start(struct ms_lua_host *h);
void ms__lua_watchdog_stop(struct ms_lua_host *h);
/* host.c: a call on a replaced state ended; the state goes with its last. */
void ms__lua_gen_release(struct ms_lua_gen *g);

/* api_*.c: the C functions behind the Lua API, registered into the
 * table on top of the stack with the host as their upvalue. */
void ms__lua_open_req(lua_State *L, struct ms_lua_host *h);
void ms__lua_open_misc(lua_State *L, struct ms_lua_host *h);
struct ms_lua_req *ms__lua_check_req(lua_State *L, int idx);
/* The message a request's reads see (edited or as received); a Lua error
 * once its handler has ended. */
struct ms_msg *ms__lua_req_view(lua_State *L, struct ms_lua_req *r);
/* api_edit.c: set_header, add_header, remove_header, set_uri, set_body
 * into the methods table on top; the edited copy's memory. */
void ms__lua_edit_methods(lua_State *L);
void ms__lua_req_free_edits(struct ms_lua_req *r);
/* The To tag of a request's answers (made on first use). */
struct ms_str ms__lua_req_tag(struct ms_lua_req *r);

/* api_proxy.c: proxy.relay, proxy.forward, proxy.route's C half; the end
 * of a handler's relay (its best response forwarded when the script gave
 * none, the context let go); a CANCEL for a relayed INVITE. */
void ms__lua_open_proxy(lua_State *L, struct ms_lua_host *h);
/* Returns "lookup", name, port: the caller looks the name up and calls
 * again with the address. */
int ms__lua_push_lookup(lua_State *L, struct ms_str name, uint16_t port);
void ms__lua_relay_finish(struct ms_lua_req *r);
bool ms__lua_relay_cancel(struct ms_lua_req *r);
/* api_edit.c: applies an edit made on the request's view (a Lua error
 * when refused); a request userdata that stands alone with 'msg_text' as
 * its message (branches, responses). */
void ms__lua_req_commit(lua_State *L, struct ms_lua_req *r, struct ms_edit *e, int rc, const char *fn);
struct ms_lua_req *ms__lua_new_standalone(lua_State *L, struct ms_lua_host *h, const char *text, size_t len);

/* api_registrar.c: registrar.save, lookup, remove; closing the registrar. */
void ms__lua_open_registrar(lua_State *L, struct ms_lua_host *h);
void ms__lua_registrar_free(struct ms_lua_host *h);
/* The registrar, opened on first use (a Lua error when it cannot be). */
struct ms_registrar *ms__lua_registrar(lua_State *L, struct ms_lua_host *h);
/* auth.authorize (api_auth.c): also the module's moonsip.authorize. */
int ms__lua_auth_authorize(lua_State *L);
/* Opens the registrar's file (and starts its sweep); -1 with the reason. */
int ms__lua_registrar_open(struct ms_lua_host *h, char *err, size_t errlen);
/* api_auth.c: auth.check and auth.challenge; their state. */
void ms__lua_open_auth(lua_State *L, struct ms_lua_host *h);
void ms__lua_auth_free(struct ms_lua_host *h);

/* api_rtp.c: rtp.offer, answer, delete, stats (the relay's media of each
 * call); the relay, freed at the host's end. */
void ms__lua_open_rtp(lua_State *L, struct ms_lua_host *h);
void ms__lua_rtp_free(struct ms_lua_host *h);
/* api_nat.c: the nat table (core.nat_api): detection, fix_contact,
 * keep-alives; its timer stopped at the host's end. */
void ms__lua_open_nat(lua_State *L, struct ms_lua_host *h);
void ms__lua_nat_free(struct ms_lua_host *h);
/* Behind a NAT by its top Via: a request from 'src' whose sent-by is
 * another address (or a name), or over UDP (or with rport) another port
 * (nat.detect's "via"; the registrar keeps it with the bindings). */
bool ms__lua_via_nat(const struct ms_via *v, const struct ms_txn_peer *src);

/* store.c: ms.store, per host (it outlives reloads). */
struct ms__store *ms__store_new(void);
void ms__store_free(struct ms__store *s);
void ms__lua_open_store(lua_State *L, struct ms_lua_host *h);

/* The embedded Lua half of the API (lua/lib/prelude.lua). */
extern const char ms__lua_prelude[];
extern const size_t ms__lua_prelude_len;

#endif
