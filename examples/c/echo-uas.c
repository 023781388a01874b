/* An echo service: registers an address of record, answers every call to
 * it and sends each RTP packet back where it came from, so a caller hears
 * itself (a quick test of a phone's audio path, through NATs and relays).
 *
 *	echo-uas sip:echo@192.0.2.1 PASSWORD sip:192.0.2.1:5060 [--listen SPEC]
 *		[--rtp-address A] [--calls N] [--expires S]
 *
 * Prints a line per event: "registered for N s", "call from URI
 * answered" (or "rejected: 488" for an offer without PCMU or PCMA),
 * "call ended remote: echoed N packets", "unregistered". On SIGINT or
 * SIGTERM, or after --calls N calls ended, it hangs up, un-registers and
 * exits 0; 1 when the registration fails. RTP goes on --rtp-address
 * (default 127.0.0.1), on any free even port. Build: cc echo-uas.c
 * $(pkg-config --cflags --libs moonsip) -lev */
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moonsip/ua.h"
#include "moonsip/ua_media.h"

struct app {
	struct ev_loop *loop;
	struct ms_ua *ua;
	const char *rtp_address;
	unsigned calls_left; /* 0: answer calls until a signal */
	struct echo_call *calls;
	ev_signal sigint, sigterm;
	int rc;
	bool leaving;
};

/* A call and the RTP endpoint that echoes its media. */
struct echo_call {
	struct app *app;
	struct ms_ua_call *call;
	struct ms_ua_media *media;
	struct echo_call *next;
};

static void call_free(struct echo_call *e)
{
	struct echo_call **p = &e->app->calls;
	while (*p != e)
		p = &(*p)->next;
	*p = e->next;
	ms_ua_call_free(e->call); /* sends BYE if the call is still up */
	ms_ua_media_free(e->media);
	free(e);
}

static void on_unregistered(struct ms_ua *ua, unsigned status, uint32_t expires, void *arg)
{
	struct app *a = arg;
	(void)ua;
	(void)expires;
	printf(status == 200 ? "unregistered\n" : "un-REGISTER failed: %u\n", status);
	ev_break(a->loop, EVBREAK_ALL);
}

static void leave(struct app *a)
{
	if (a->leaving)
		return;
	a->leaving = true;
	while (a->calls)
		call_free(a->calls);
	if (ms_ua_unregister(a->ua, on_unregistered, a) < 0)
		ev_break(a->loop, EVBREAK_ALL);
}

static void on_ended(struct ms_ua_call *c, enum ms_ua_end why, void *arg)
{
	static const char *const whys[] = { "local", "remote", "cancelled", "timeout" };
	struct echo_call *e = arg;
	struct app *a = e->app;
	struct ms_ua_media_stats st;
	(void)c;
	ms_ua_media_stats(e->media, &st);
	printf("call ended %s: echoed %llu packets\n", whys[why], (unsigned long long)st.sent);
	fflush(stdout);
	call_free(e);
	if (a->calls_left && --a->calls_left == 0)
		leave(a);
}

static const struct ms_ua_call_events call_events = { .ended = on_ended };

/* The answer to the INVITE's offer from a fresh RTP endpoint, or the
 * status to reject the call with. */
static unsigned answer(struct echo_call *e, struct ms_msg *invite, struct ms_buf *sdp)
{
	struct ms_str offer;
	/* an INVITE without an offer would want ours in the 200 and the
	 * answer in the ACK: not done here */
	if (ms_msg_sdp(invite, &offer) < 0)
		return 488;
	if (ms_ua_media_new(&e->media, e->app->loop, e->app->rtp_address, 0) < 0)
		return 500;
	if (ms_ua_media_answer(e->media, offer.s, offer.len, sdp) < 0 || ms_buf_add(sdp, "", 1) < 0)
		return 488; /* no PCMU or PCMA, no usable address */
	return 0;
}

static void on_incoming(struct ms_ua *ua, struct ms_ua_call *call, struct ms_msg *invite, void *arg)
{
	struct app *a = arg;
	struct echo_call *e = calloc(1, sizeof *e);
	struct ms_str from = ms_msg_from(invite) ? ms_msg_from(invite)->uri.text : MS_STR("?");
	(void)ua;
	if (!e || a->leaving) {
		free(e);
		ms_ua_call_reject(call, a->leaving ? 480 : 500, NULL);
		ms_ua_call_free(call);
		return;
	}
	*e = (struct echo_call){ .app = a, .call = call, .next = a->calls };
	a->calls = e;
	ms_ua_call_set_events(call, &call_events, e);
	struct ms_buf sdp;
	ms_buf_init(&sdp);
	unsigned status = answer(e, invite, &sdp);
	if (status) {
		ms_ua_call_reject(call, status, NULL);
		printf("call from %.*s rejected: %u\n", (int)from.len, from.s, status);
	} else {
		/* 180 first, as a phone would; the echo starts before the 200
		 * leaves, so the caller's first packets come back too */
		ms_ua_media_echo(e->media);
		ms_ua_call_ring(call);
		ms_ua_call_answer(call, sdp.data);
		printf("call from %.*s answered\n", (int)from.len, from.s);
	}
	fflush(stdout);
	ms_buf_free(&sdp);
	if (status)
		call_free(e);
}

static void on_registered(struct ms_ua *ua, unsigned status, uint32_t expires, void *arg)
{
	struct app *a = arg;
	(void)ua;
	if (status == 200) {
		printf("registered for %u s\n", (unsigned)expires);
		fflush(stdout);
		return;
	}
	printf("registration failed: %u\n", status);
	a->rc = 1;
	ev_break(a->loop, EVBREAK_ALL);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	leave(w->data);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: echo-uas AOR PASSWORD REGISTRAR [--listen SPEC] [--rtp-address A] [--calls N] "
		"[--expires S]\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 4 || (argc - 4) % 2)
		return usage();
	const char *listen[] = { "udp:127.0.0.1:0", NULL };
	struct app a = { .loop = ev_default_loop(0), .rtp_address = "127.0.0.1" };
	unsigned expires = 3600;
	for (int i = 4; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--listen"))
			listen[0] = argv[i + 1];
		else if (!strcmp(argv[i], "--rtp-address"))
			a.rtp_address = argv[i + 1];
		else if (!strcmp(argv[i], "--calls"))
			a.calls_left = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--expires"))
			expires = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else
			return usage();
	}
	/* The user of the digest credentials is the AOR's: "sip:echo@..." */
	char user[128];
	const char *at = strchr(argv[1], '@'), *colon = strchr(argv[1], ':');
	if (!at || !colon || at <= colon || (size_t)(at - colon) > sizeof user)
		return usage();
	snprintf(user, sizeof user, "%.*s", (int)(at - colon - 1), colon + 1);

	static const struct ms_ua_events events = { .incoming = on_incoming };
	struct ms_ua_config cfg = { .loop = a.loop,
				    .listen = listen,
				    .aor = argv[1],
				    .user = user,
				    .password = argv[2],
				    .user_agent = "moonsip-example-echo-uas",
				    .ev = &events,
				    .arg = &a };
	if (ms_ua_new(&a.ua, &cfg) < 0 || ms_ua_register(a.ua, argv[3], expires, on_registered, &a) < 0) {
		fprintf(stderr, "echo-uas: cannot start (a bad AOR, registrar or listener)\n");
		ms_ua_free(a.ua);
		return 1;
	}
	ev_signal_init(&a.sigint, on_signal, SIGINT);
	ev_signal_init(&a.sigterm, on_signal, SIGTERM);
	a.sigint.data = a.sigterm.data = &a;
	ev_signal_start(a.loop, &a.sigint);
	ev_signal_start(a.loop, &a.sigterm);
	ev_run(a.loop, 0);
	while (a.calls) /* a failed registration leaves calls behind */
		call_free(a.calls);
	ms_ua_free(a.ua);
	return a.rc;
}
