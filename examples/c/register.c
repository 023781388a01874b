/* Registers an address of record and stays registered: the UA refreshes
 * before the registrar's expiry, and on SIGINT or SIGTERM (or after
 * --for SECONDS) un-registers and exits.
 *
 *	register sip:alice@192.0.2.1 PASSWORD sip:192.0.2.1:5060 [--expires S] [--for S] [--listen SPEC]
 *
 * Prints a line per registration ("registered for N s", "unregistered")
 * and exits 0, or 1 with the failing status. Build: cc register.c
 * $(pkg-config --cflags --libs moonsip) -lev */
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moonsip/ua.h"

struct app {
	struct ev_loop *loop;
	struct ms_ua *ua;
	ev_signal sigint, sigterm;
	ev_timer stop;
	int rc;
	bool leaving;
};

static void on_unregistered(struct ms_ua *ua, unsigned status, uint32_t expires, void *arg)
{
	struct app *a = arg;
	(void)ua;
	(void)expires;
	printf(status == 200 ? "unregistered\n" : "un-REGISTER failed: %u\n", status);
	if (status != 200)
		a->rc = 1;
	ev_break(a->loop, EVBREAK_ALL);
}

static void leave(struct app *a)
{
	if (a->leaving)
		return;
	a->leaving = true;
	if (ms_ua_unregister(a->ua, on_unregistered, a) < 0)
		ev_break(a->loop, EVBREAK_ALL);
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

static void on_stop(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	leave(w->data);
}

static int usage(void)
{
	fprintf(stderr, "usage: register AOR PASSWORD REGISTRAR [--expires S] [--for S] [--listen SPEC]\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return usage();
	const char *listen[] = { "udp:127.0.0.1:0", NULL };
	unsigned expires = 3600;
	double seconds = 0;
	for (int i = 4; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--expires"))
			expires = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--for"))
			seconds = strtod(argv[i + 1], NULL);
		else if (!strcmp(argv[i], "--listen"))
			listen[0] = argv[i + 1];
		else
			return usage();
	}
	if ((argc - 4) % 2)
		return usage();
	/* The user of the digest credentials is the AOR's: "sip:alice@..." */
	char user[128];
	const char *at = strchr(argv[1], '@'), *colon = strchr(argv[1], ':');
	if (!at || !colon || at <= colon || (size_t)(at - colon) > sizeof user)
		return usage();
	snprintf(user, sizeof user, "%.*s", (int)(at - colon - 1), colon + 1);

	struct app a = { .loop = ev_default_loop(0) };
	struct ms_ua_config cfg = { .loop = a.loop,
				    .listen = listen,
				    .aor = argv[1],
				    .user = user,
				    .password = argv[2],
				    .user_agent = "moonsip-example-register" };
	if (ms_ua_new(&a.ua, &cfg) < 0 || ms_ua_register(a.ua, argv[3], expires, on_registered, &a) < 0) {
		fprintf(stderr, "register: cannot start (a bad AOR, registrar or listener)\n");
		ms_ua_free(a.ua);
		return 1;
	}
	ev_signal_init(&a.sigint, on_signal, SIGINT);
	ev_signal_init(&a.sigterm, on_signal, SIGTERM);
	a.sigint.data = a.sigterm.data = &a;
	ev_signal_start(a.loop, &a.sigint);
	ev_signal_start(a.loop, &a.sigterm);
	if (seconds > 0) {
		ev_timer_init(&a.stop, on_stop, seconds, 0);
		a.stop.data = &a;
		ev_timer_start(a.loop, &a.stop);
	}
	ev_run(a.loop, 0);
	ms_ua_free(a.ua);
	return a.rc;
}
