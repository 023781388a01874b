/* libFuzzer target: the stack's receive path, as a datagram or a framed
 * stream message arrives from a peer: parse, check, the RFC 3581 marking
 * of the top Via (an edit and a second parse), the answers built from the
 * raw lines of bad requests, the transaction layer, and a TU that answers
 * every request. No socket is opened: the stack has no listener, so what
 * it sends is refused by the transport, as a full socket would refuse it.
 *
 * Input: byte 0 picks datagram or stream (bit 0), UDP or TCP as the
 * transport named in the peer (bit 1), whether the TU answers (bit 2), and
 * whether the bytes go through the unframeable-stream path instead (bit 3).
 * The rest is the message. A fresh stack per input: nothing carries over,
 * and LeakSanitizer sees every transaction freed with it. */
#include <ev.h>
#include <stdlib.h>
#include <string.h>

#include "stack/stack_private.h"

static void on_request(struct ms_stxn *st, struct ms_msg *req, const struct ms_txn_peer *src, void *arg)
{
	bool answer = *(const bool *)arg;
	(void)req;
	(void)src;
	if (st && answer)
		ms_stxn_respond(st, 200, MS_STR_NULL, MS_STR("fz"));
}

static void drop_log(void *arg, enum ms_log_level level, const char *line)
{
	(void)arg;
	(void)level;
	(void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ev_loop *loop;
	if (!loop)
		loop = ev_loop_new(EVFLAG_AUTO);
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	bool answer = mode & 4;
	struct ms_stack *s;
	struct ms_stack_config cfg = { .loop = loop,
				       .request_cb = on_request,
				       .arg = &answer,
				       .max_msg = 8192,
				       .log = { .fn = drop_log, .level = MS_LOG_DEBUG } };
	if (ms_stack_new(&s, &cfg) < 0)
		return 0;
	struct ms_txn_peer src = { .proto = (mode & 2) ? MS_PROTO_TCP : MS_PROTO_UDP, .conn = 7 };
	ms_addr_set(&src.addr, MS_STR("192.0.2.7"), 5070);
	/* A writable copy, as the transports hand over. */
	size_t len = size - 1;
	char *buf = malloc(len + 1);
	memcpy(buf, data + 1, len);
	buf[len] = 0;
	if (mode & 8)
		ms__stack_unframeable(s, buf, len, (mode & 16) ? MS_EMSGSIZE : MS_EBADMSG, "fuzzed", &src);
	else
		ms__stack_receive(s, buf, len, (mode & 1) ? MS_PARSE_STREAM : MS_PARSE_DGRAM, &src);
	free(buf);
	ms_stack_free(s);
	return 0;
}
