/* The recorder of stream_log.h. */
#include <ev.h>

#include "stream_log.h"
#include "test.h"

void on_msg(struct ms_tcp *t, uint64_t conn, const struct sockaddr_storage *peer, char *buf, size_t len,
	    void *arg)
{
	struct log *l = arg;
	(void)t;
	(void)peer;
	l->msgs++;
	l->last_conn = conn;
	l->last_len = len < sizeof l->last ? len : sizeof l->last;
	memcpy(l->last, buf, l->last_len);
	if (l->want_msgs && l->msgs >= l->want_msgs)
		ev_break(l->loop, EVBREAK_ALL);
}

void on_close(struct ms_tcp *t, uint64_t conn, const struct sockaddr_storage *peer, int err, const char *why,
	      void *arg)
{
	struct log *l = arg;
	(void)t;
	(void)conn;
	(void)peer;
	l->closes++;
	l->close_err = err;
	snprintf(l->why, sizeof l->why, "%s", why);
	if (l->want_closes && l->closes >= l->want_closes)
		ev_break(l->loop, EVBREAK_ALL);
}
