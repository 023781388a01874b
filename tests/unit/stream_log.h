/* What a TCP or TLS transport under test reported through its callbacks:
 * messages and closes, the last of each, and a loop to break once as many
 * as wanted have come. Shared by test_tcp.c and test_tls.c. */
#ifndef MS_TEST_STREAM_LOG_H
#define MS_TEST_STREAM_LOG_H

#include <stdint.h>

#include "transport/tcp.h"

struct log {
	struct ev_loop *loop;
	int msgs, closes, want_msgs, want_closes;
	char last[256];
	size_t last_len;
	uint64_t last_conn;
	int close_err;
	char why[200];
};

void on_msg(struct ms_tcp *t, uint64_t conn, const struct sockaddr_storage *peer, char *buf, size_t len,
	    void *arg);
void on_close(struct ms_tcp *t, uint64_t conn, const struct sockaddr_storage *peer, int err, const char *why,
	      void *arg);

#endif
