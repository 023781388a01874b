/* libFuzzer target for the RTP relay's SDP rewriting (ms_rtp_media_sdp):
 * SDP from a caller, then the same bytes as the callee's answer, into one
 * call's media on a real relay (its ports bound on 127.0.0.1, nothing
 * sent). The first byte picks the first leg and whether the media is
 * freed between inputs or kept for a second exchange.
 *
 * Checks: a rewrite that succeeds writes a body that parses; one that
 * fails appends nothing; every port goes back to the pool when the media
 * is freed; no moonsip heap block leaks (ASan). */
#include <ev.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "moonsip/addr.h"
#include "moonsip/rtp.h"
#include "moonsip/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ms_rtp_pool *pool;
static struct ms_rtp_relay *relay;

/* A range of its own, far from the integration tests' ports. */
static void setup(void)
{
	struct sockaddr_storage a;
	if (ms_addr_set(&a, MS_STR("127.0.0.1"), 0) || ms_rtp_pool_new(&pool, &a, 24000, 24199) ||
	    ms_rtp_relay_new(&relay, ev_default_loop(0), pool))
		abort();
}

static void one_sdp(struct ms_rtp_media *m, enum ms_rtp_leg leg, const uint8_t *data, size_t size)
{
	struct ms_buf out;
	ms_buf_init(&out);
	const char *why = NULL;
	int rc = ms_rtp_media_sdp(m, leg, (const char *)data, size, &out, &why);
	if (rc < 0 && (out.len || !why))
		abort();
	if (rc == 0) {
		struct ms_sdp again;
		if (ms_sdp_parse(&again, out.data, out.len, NULL))
			abort();
		ms_sdp_free(&again);
	}
	ms_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!relay)
		setup();
	if (size < 1)
		return 0;
	unsigned flags = data[0];
	data++;
	size--;
	struct ms_rtp_media *m;
	struct ms_rtp_media_config cfg = { .address = (flags & 4) ? "192.0.2.7" : NULL };
	if (ms_rtp_media_new(&m, relay, &cfg))
		abort();
	enum ms_rtp_leg first = (flags & 1) ? MS_RTP_LEG_B : MS_RTP_LEG_A;
	one_sdp(m, first, data, size);
	one_sdp(m, first == MS_RTP_LEG_A ? MS_RTP_LEG_B : MS_RTP_LEG_A, data, size);
	if (flags & 2) /* a re-INVITE from the first side */
		one_sdp(m, first, data, size);
	ms_rtp_media_free(m);
	if (ms_rtp_pool_available(pool) != ms_rtp_pool_size(pool) || ms_rtp_relay_sessions(relay))
		abort();
	return 0;
}
