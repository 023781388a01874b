/* Running a real libev loop in a test, bounded: a lost message fails the
 * test instead of hanging it. */
#include <ev.h>

#include "test.h"

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

void ms_test_run_bounded(struct ev_loop *loop, double secs)
{
	ev_timer t;
	ev_timer_init(&t, on_timeout, secs, 0);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);
}
