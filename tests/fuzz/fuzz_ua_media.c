/* libFuzzer target for the UA's RTP endpoint's SDP side (ms_ua_media):
 * the input as an offer to answer, or as the answer to our own offer, on
 * one endpoint whose sockets are bound on 127.0.0.1 (nothing is sent: no
 * play or echo is started). The first byte picks which, and whether the
 * endpoint is made afresh.
 *
 * Checks: an answer that succeeds parses and offers the codec the
 * endpoint then reports (PCMU 0 or PCMA 8); a refusal leaves the output
 * empty; set_answer either gives a codec or an error; no moonsip heap
 * block leaks (ASan). */
#include <ev.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "moonsip/sdp.h"
#include "moonsip/ua_media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ms_ua_media *kept;

static void check_answer(struct ms_ua_media *m, const uint8_t *data, size_t size)
{
	struct ms_buf out;
	ms_buf_init(&out);
	int rc = ms_ua_media_answer(m, (const char *)data, size, &out);
	if (rc < 0 && out.len)
		abort();
	if (rc == 0) {
		struct ms_sdp sdp;
		int pt = ms_ua_media_codec(m);
		if (ms_sdp_parse(&sdp, out.data, out.len, NULL) || (pt != 0 && pt != 8))
			abort();
		ms_sdp_free(&sdp);
	}
	ms_buf_free(&out);
}

static void check_set_answer(struct ms_ua_media *m, const uint8_t *data, size_t size)
{
	struct ms_buf offer;
	ms_buf_init(&offer);
	if (ms_ua_media_offer(m, &offer))
		abort();
	ms_buf_free(&offer);
	if (ms_ua_media_set_answer(m, (const char *)data, size) == 0) {
		int pt = ms_ua_media_codec(m);
		if (pt != 0 && pt != 8)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned flags = data[0];
	data++;
	size--;
	if (!kept && ms_ua_media_new(&kept, ev_default_loop(0), "127.0.0.1", 0))
		abort();
	if (flags & 1)
		check_set_answer(kept, data, size);
	else
		check_answer(kept, data, size);
	if (flags & 2) { /* a fresh endpoint next time */
		ms_ua_media_free(kept);
		kept = NULL;
	}
	return 0;
}
