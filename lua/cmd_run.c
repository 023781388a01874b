/* moonsip run: a stack on its own loop until SIGTERM or SIGINT. */
#define _POSIX_C_SOURCE 200809L
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "basic_tu.h"
#include "cmd.h"
#include "host.h"
#include "moonsip/addr.h"
#include "moonsip/stack.h"

#define MAX_LISTEN 16
#define MAX_DOMAINS 16
/* After the signal: how long transactions in flight get to finish. */
#define DRAIN_SECONDS 0.5

struct run {
	const char *listen[MAX_LISTEN];
	unsigned nlisten;
	const char *script;
	const char *domains[MAX_DOMAINS + 1]; /* NULL-terminated */
	unsigned ndomains;
	uint32_t timer_c_ms;
	const char *db_path;
	struct ms_lua_config lua; /* the registrar's limits */
	struct ms_stack_config cfg;
	struct ms_basic_tu tu;
	struct ms_stack *stack;
	struct ms_lua_host *host; /* with a script */
	ev_signal sigterm, sigint, sighup;
	ev_timer drain;
};

static void log_stderr(void *arg, enum ms_log_level level, const char *line)
{
	(void)arg;
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ moonsip[%d] %s: %s\n", tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		(int)getpid(), ms_log_level_name(level), line);
}

static void usage(FILE *to)
{
	fprintf(to,
		"usage: moonsip run [OPTIONS] [SCRIPT]\n"
		"  --listen URI          udp:ADDR:PORT, tcp:ADDR:PORT or tls:ADDR:PORT (repeatable;\n"
		"                        default udp:127.0.0.1:5060 and tcp:127.0.0.1:5060)\n"
		"  --log-level LEVEL     error, warn, info (default) or debug\n"
		"  --tls-cert FILE       PEM certificate chain for tls listeners\n"
		"  --tls-key FILE        its private key\n"
		"  --tls-ca FILE         CA certificates that peers must chain to\n"
		"  --tls-verify-client   tls listeners demand a valid client certificate\n"
		"  --max-msg BYTES       largest SIP message taken (default 65536)\n"
		"  --max-conns N         TCP and TLS connections per transport (default 1024)\n"
		"  --tcp-idle SECONDS    close a silent connection (default 120)\n"
		"  --tcp-stall SECONDS   close one stuck in the middle of a message (default 10)\n"
		"  --domain NAME         a host name that is this server, besides its addresses\n"
		"                        (Route and Request-URI checks of the proxy; repeatable)\n"
		"  --timer-c SECONDS     a relayed INVITE branch without a final answer this long is\n"
		"                        cancelled (RFC 3261 Timer C, default 180)\n"
		"  --t1 MS               RFC 3261 T1 (default 500): retransmissions, and Timer B and F\n"
		"                        at 64*T1; shorter only on a LAN or in a lab\n"
		"  --db PATH             the registrar's SQLite file (default $MOONSIP_DATA_DIR/moonsip.db,\n"
		"                        MOONSIP_DATA_DIR defaulting to /var/lib/moonsip)\n"
		"  --db-sync MODE        normal (default): a crash of moonsip loses no answered\n"
		"                        registration, an OS crash or power cut may lose the last\n"
		"                        ones; full: not those either, at an fsync per commit\n"
		"  --min-expires S       shortest registration taken, else 423 (default 60)\n"
		"  --max-expires S       longest registration, longer ones are cut to it (default 86400)\n"
		"  --max-bindings N      bindings per address-of-record (default 16)\n"
		"  --sweep S             how often expired bindings leave the file (default 30)\n"
		"  --auth-max-failures N failed digest checks from one address, then it gets 403\n"
		"                        for the rest of the window (default 20; 0: no limit)\n"
		"  --auth-failure-window S  that window in seconds (default 60)\n"
		"  --rtp-address ADDR    the RTP relay's ports are bound on ADDR (default: the address\n"
		"                        of the first udp listener)\n"
		"  --rtp-advertise ADDR  the address written into relayed SDP (default: the bound one;\n"
		"                        needed for a wildcard, or a server behind a NAT of its own)\n"
		"  --rtp-ports MIN-MAX   the relay's port range, an RTP/RTCP pair per stream and leg\n"
		"                        (default 30000-39999)\n"
		"  --media-timeout S     a relayed call with no RTP or RTCP for S seconds ends its\n"
		"                        media (default 60; 0: never)\n");
}

/* A whole number in [min, max], or -1 with a message. */
static long number(const char *opt, const char *val, long min, long max)
{
	char *end;
	long n = strtol(val, &end, 10);
	if (end == val || *end || n < min || n > max) {
		fprintf(stderr, "moonsip run: %s wants a number from %ld to %ld, not '%s'\n", opt, min, max,
			val);
		return -1;
	}
	return n;
}

/* The options that take numbers. 1 when 'opt' was one of them, -1 on a bad
 * value, 0 when it is another option. */
static int set_number(struct run *r, const char *opt, const char *val)
{
	long n;
	if (!strcmp(opt, "--max-msg") && (n = number(opt, val, 1024, 16 << 20)) >= 0)
		r->cfg.max_msg = (size_t)n;
	else if (!strcmp(opt, "--max-conns") && (n = number(opt, val, 1, 1 << 20)) >= 0)
		r->cfg.max_conns = (unsigned)n;
	else if (!strcmp(opt, "--tcp-idle") && (n = number(opt, val, 1, 86400)) >= 0)
		r->cfg.idle_ms = (uint32_t)n * 1000;
	else if (!strcmp(opt, "--tcp-stall") && (n = number(opt, val, 1, 3600)) >= 0)
		r->cfg.stall_ms = (uint32_t)n * 1000;
	else if (!strcmp(opt, "--timer-c") && (n = number(opt, val, 1, 86400)) >= 0)
		r->timer_c_ms = (uint32_t)n * 1000;
	else if (!strcmp(opt, "--t1") && (n = number(opt, val, 10, 60000)) >= 0)
		r->cfg.t1 = (uint32_t)n;
	else if (!strcmp(opt, "--min-expires") && (n = number(opt, val, 1, 86400)) >= 0)
		r->lua.min_expires = (uint32_t)n;
	else if (!strcmp(opt, "--max-expires") && (n = number(opt, val, 1, 7 * 86400)) >= 0)
		r->lua.max_expires = (uint32_t)n;
	else if (!strcmp(opt, "--max-bindings") && (n = number(opt, val, 1, 1000)) >= 0)
		r->lua.max_bindings = (unsigned)n;
	else if (!strcmp(opt, "--sweep") && (n = number(opt, val, 1, 3600)) >= 0)
		r->lua.sweep_s = (uint32_t)n;
	else if (!strcmp(opt, "--auth-max-failures") && (n = number(opt, val, 0, 1000000)) >= 0)
		r->lua.auth_max_failures = n ? (uint32_t)n : UINT32_MAX;
	else if (!strcmp(opt, "--auth-failure-window") && (n = number(opt, val, 1, 86400)) >= 0)
		r->lua.auth_failure_window = (uint32_t)n;
	else if (!strcmp(opt, "--media-timeout") && (n = number(opt, val, 0, 86400)) >= 0)
		r->lua.media_timeout = (double)n;
	else
		return strcmp(opt, "--max-msg") && strcmp(opt, "--max-conns") && strcmp(opt, "--tcp-idle") &&
				strcmp(opt, "--tcp-stall") && strcmp(opt, "--timer-c") &&
				strcmp(opt, "--t1") && strcmp(opt, "--min-expires") &&
				strcmp(opt, "--max-expires") && strcmp(opt, "--max-bindings") &&
				strcmp(opt, "--sweep") && strcmp(opt, "--auth-max-failures") &&
				strcmp(opt, "--auth-failure-window") && strcmp(opt, "--media-timeout")
			? 0
			: -1;
	return 1;
}

/* --rtp-ports MIN-MAX: a range holding at least one even/odd pair. */
static int rtp_ports(struct run *r, const char *val)
{
	unsigned lo, hi;
	char end;
	if (sscanf(val, "%u-%u%c", &lo, &hi, &end) != 2 || lo < 1024 || hi > 65535 || lo > hi ||
	    (lo + (lo & 1u)) + 1 > hi) {
		fprintf(stderr,
			"moonsip run: --rtp-ports wants MIN-MAX from 1024 to 65535 with an even and an odd "
			"port "
			"in it, not '%s'\n",
			val);
		return -1;
	}
	r->lua.rtp_port_min = (uint16_t)lo;
	r->lua.rtp_port_max = (uint16_t)hi;
	return 0;
}

static int set_option(struct run *r, const char *opt, const char *val)
{
	int num = set_number(r, opt, val);
	if (num)
		return num < 0 ? -1 : 0;
	if (!strcmp(opt, "--listen")) {
		if (r->nlisten == MAX_LISTEN) {
			fprintf(stderr, "moonsip run: at most %d listeners\n", MAX_LISTEN);
			return -1;
		}
		r->listen[r->nlisten++] = val;
	} else if (!strcmp(opt, "--db")) {
		r->db_path = val;
	} else if (!strcmp(opt, "--db-sync")) {
		if (strcmp(val, "normal") && strcmp(val, "full")) {
			fprintf(stderr, "moonsip run: --db-sync is normal or full, not '%s'\n", val);
			return -1;
		}
		r->lua.db_sync_full = !strcmp(val, "full");
	} else if (!strcmp(opt, "--rtp-address") || !strcmp(opt, "--rtp-advertise")) {
		struct sockaddr_storage a;
		if (ms_addr_set(&a, (struct ms_str){ val, strlen(val) }, 0) < 0) {
			fprintf(stderr, "moonsip run: %s wants an IP address, not '%s'\n", opt, val);
			return -1;
		}
		*(!strcmp(opt, "--rtp-address") ? &r->lua.rtp_address : &r->lua.rtp_advertise) = val;
	} else if (!strcmp(opt, "--rtp-ports")) {
		return rtp_ports(r, val);
	} else if (!strcmp(opt, "--domain")) {
		if (r->ndomains == MAX_DOMAINS) {
			fprintf(stderr, "moonsip run: at most %d domains\n", MAX_DOMAINS);
			return -1;
		}
		r->domains[r->ndomains++] = val;
	} else if (!strcmp(opt, "--log-level")) {
		if (ms_log_level_parse(val, &r->cfg.log.level) < 0) {
			fprintf(stderr, "moonsip run: unknown log level '%s' (error, warn, info, debug)\n",
				val);
			return -1;
		}
	} else if (!strcmp(opt, "--tls-cert")) {
		r->cfg.tls.cert_file = val;
	} else if (!strcmp(opt, "--tls-key")) {
		r->cfg.tls.key_file = val;
	} else if (!strcmp(opt, "--tls-ca")) {
		r->cfg.tls.ca_file = val;
	} else {
		fprintf(stderr, "moonsip run: unknown option '%s'\n", opt);
		return -1;
	}
	return 0;
}

static int parse_args(struct run *r, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--tls-verify-client")) {
			r->cfg.tls.verify_client = true;
		} else if (!strncmp(a, "--", 2)) {
			if (i + 1 == argc) {
				fprintf(stderr, "moonsip run: %s needs a value\n", a);
				return -1;
			}
			if (set_option(r, a, argv[++i]) < 0)
				return -1;
		} else if (!r->script) {
			r->script = a;
		} else {
			fprintf(stderr, "moonsip run: one script only ('%s' and '%s')\n", r->script, a);
			return -1;
		}
	}
	return 0;
}

static void on_drained(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* Stop taking new work, give what is in flight a moment, then leave. */
static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct run *r = w->data;
	(void)revents;
	ms_log(&r->cfg.log, MS_LOG_INFO, "signal %d: shutting down", w->signum);
	ev_signal_stop(loop, &r->sigterm);
	ev_signal_stop(loop, &r->sigint);
	if (r->host)
		ev_signal_stop(loop, &r->sighup);
	ms_stack_stop_listening(r->stack);
	ev_timer_init(&r->drain, on_drained, DRAIN_SECONDS, 0);
	ev_timer_start(loop, &r->drain);
}

static int open_listeners(struct run *r)
{
	static const char *defaults[] = { "udp:127.0.0.1:5060", "tcp:127.0.0.1:5060" };
	const char **specs = r->nlisten ? r->listen : defaults;
	unsigned n = r->nlisten ? r->nlisten : 2;
	for (unsigned i = 0; i < n; i++) {
		const char *why = "";
		if (ms_stack_listen(r->stack, specs[i], &why) < 0) {
			fprintf(stderr, "moonsip run: cannot listen on %s: %s\n", specs[i], why);
			return -1;
		}
	}
	return 0;
}

/* SIGHUP: the script again; on an error the running one stays. */
static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct run *r = w->data;
	char err[2048];
	(void)loop;
	(void)revents;
	if (ms_lua_host_reload(r->host, err, sizeof err) < 0)
		ms_log(&r->cfg.log, MS_LOG_ERROR, "reload failed, the running script stays: %s", err);
	else
		ms_log(&r->cfg.log, MS_LOG_INFO, "reloaded %s", r->script);
}

/* The script, when there is one, answers; else the basic answers. */
static int set_handler(struct run *r, struct ev_loop *loop)
{
	if (!r->script) {
		ms_basic_tu_init(&r->tu);
		r->cfg.request_cb = ms_basic_tu_request;
		r->cfg.arg = &r->tu;
		return 0;
	}
	char err[2048];
	struct ms_lua_config lc = { .script = r->script,
				    .loop = loop,
				    .log = &r->cfg.log,
				    .domains = r->domains,
				    .timer_c_ms = r->timer_c_ms,
				    .db_path = r->db_path,
				    .db_sync_full = r->lua.db_sync_full,
				    .min_expires = r->lua.min_expires,
				    .max_expires = r->lua.max_expires,
				    .max_bindings = r->lua.max_bindings,
				    .sweep_s = r->lua.sweep_s,
				    .auth_max_failures = r->lua.auth_max_failures,
				    .auth_failure_window = r->lua.auth_failure_window,
				    .rtp_address = r->lua.rtp_address,
				    .rtp_advertise = r->lua.rtp_advertise,
				    .rtp_port_min = r->lua.rtp_port_min,
				    .rtp_port_max = r->lua.rtp_port_max,
				    .media_timeout = r->lua.media_timeout };
	if (ms_lua_host_new(&r->host, &lc, err, sizeof err) < 0) {
		fprintf(stderr, "moonsip run: %s\n", err);
		return -1;
	}
	r->cfg.request_cb = ms_lua_host_request;
	r->cfg.response_cb = ms_lua_host_response;
	r->cfg.arg = r->host;
	ev_signal_init(&r->sighup, on_hup, SIGHUP);
	r->sighup.data = r;
	ev_signal_start(loop, &r->sighup);
	return 0;
}

static int serve(struct run *r, struct ev_loop *loop)
{
	r->cfg.loop = loop;
	r->cfg.log.fn = log_stderr;
	if (set_handler(r, loop) < 0)
		return 1;
	char err[600];
	if (r->host && ms_lua_host_load_db(r->host, err, sizeof err) < 0) {
		fprintf(stderr, "moonsip run: %s\n", err);
		ms_lua_host_free(r->host);
		return 1;
	}
	int rc = ms_stack_new(&r->stack, &r->cfg);
	if (rc < 0) {
		fprintf(stderr, "moonsip run: cannot start: %s\n", ms_strerror(rc));
		ms_lua_host_free(r->host);
		return 1;
	}
	r->tu.stack = r->stack;
	if (r->host && ms_lua_host_attach(r->host, r->stack) < 0) {
		fprintf(stderr, "moonsip run: cannot start the proxy: out of memory\n");
		ms_stack_free(r->stack);
		ms_lua_host_free(r->host);
		return 1;
	}
	if (open_listeners(r) < 0) {
		ms_stack_free(r->stack);
		ms_lua_host_free(r->host);
		return 1;
	}
	ev_signal_init(&r->sigterm, on_signal, SIGTERM);
	ev_signal_init(&r->sigint, on_signal, SIGINT);
	r->sigterm.data = r->sigint.data = r;
	ev_signal_start(loop, &r->sigterm);
	ev_signal_start(loop, &r->sigint);
	ms_log(&r->cfg.log, MS_LOG_INFO, "moonsip %s running", ms_version());
	ev_run(loop, 0);
	ms_stack_free(r->stack);
	ms_lua_host_free(r->host);
	ms_log(&r->cfg.log, MS_LOG_INFO, "stopped");
	return 0;
}

int ms_cmd_run(int argc, char **argv)
{
	struct run r;
	memset(&r, 0, sizeof r);
	r.cfg.log.level = MS_LOG_INFO;
	r.lua.media_timeout = 60;
	if (parse_args(&r, argc, argv) < 0) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop) {
		fprintf(stderr, "moonsip run: cannot make an event loop\n");
		return 1;
	}
	int rc = serve(&r, loop);
	ev_loop_destroy(loop);
	return rc;
}
