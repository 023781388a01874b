/* libFuzzer target for the SDP parser and editor.
 *
 * Parses the input, reads every typed view, then checks two properties:
 * an unedited body written out parses again and writes the same bytes, and
 * a body after the edits an RTP relay makes (connection, ports, rtcp,
 * direction, ICE removal, version bump) is still a valid body. Aborts on a
 * leaked moonsip heap block. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "moonsip/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_views(const struct ms_sdp *sdp)
{
	struct ms_sdp_origin o;
	struct ms_sdp_conn c;
	struct ms_sdp_media md;
	struct ms_sdp_rtcp r;
	struct ms_sdp_rtpmap map;
	struct ms_sdp_fmtp fmtp;
	struct ms_str v, fmt;
	ms_sdp_get_origin(sdp, &o);
	ms_sdp_get_conn(sdp, MS_SDP_SESSION, &c);
	ms_sdp_get_direction(sdp, MS_SDP_SESSION);
	for (unsigned m = 0; m < sdp->nmedia; m++) {
		/* The parser checked every m= line. */
		if (ms_sdp_get_media(sdp, m, &md))
			abort();
		ms_sdp_get_effective_conn(sdp, m, &c);
		ms_sdp_get_direction(sdp, (int)m);
		ms_sdp_get_rtcp(sdp, m, &r);
		ms_sdp_get_attr(sdp, (int)m, MS_STR("candidate"), &v);
		while (ms_sdp_next_field(&md.fmts, &fmt)) {
			uint32_t pt;
			if (ms_str_to_u32(fmt, 127, &pt) == 0) {
				ms_sdp_get_rtpmap(sdp, m, pt, &map);
				ms_sdp_get_fmtp(sdp, m, pt, &fmtp);
			}
		}
	}
}

/* Writes the body, parses the output and writes that: both must agree. */
static void check_rewrite(const struct ms_sdp *sdp)
{
	struct ms_buf a, b;
	struct ms_sdp again;
	ms_buf_init(&a);
	ms_buf_init(&b);
	if (ms_sdp_write(sdp, &a))
		abort();
	if (ms_sdp_parse(&again, a.data, a.len, NULL))
		abort();
	if (ms_sdp_write(&again, &b) || a.len != b.len || (a.len && memcmp(a.data, b.data, a.len)))
		abort();
	ms_sdp_free(&again);
	ms_buf_free(&a);
	ms_buf_free(&b);
}

static void relay_edits(struct ms_sdp *sdp, size_t seed)
{
	struct ms_sdp_conn c;
	struct ms_str addr = (seed & 1) ? MS_STR("2001:db8::7") : MS_STR("192.0.2.7");
	if (ms_sdp_get_conn(sdp, MS_SDP_SESSION, &c) == 0 || (seed & 2))
		ms_sdp_set_conn(sdp, MS_SDP_SESSION, addr);
	for (unsigned m = 0; m < sdp->nmedia; m++) {
		uint16_t port = (uint16_t)(30000 + 2 * m);
		if (ms_sdp_get_conn(sdp, (int)m, &c) == 0 || (seed & 4))
			ms_sdp_set_conn(sdp, (int)m, addr);
		ms_sdp_set_port(sdp, m, port);
		ms_sdp_set_rtcp(sdp, m, (uint16_t)(port + 1), (seed & 8) ? addr : MS_STR_NULL);
		if (seed & 16)
			ms_sdp_set_direction(sdp, (int)m, (enum ms_sdp_dir)(seed % 4));
	}
	ms_sdp_set_attr(sdp, MS_SDP_SESSION, MS_STR("tool"), MS_STR("moonsip"));
	ms_sdp_remove_ice(sdp);
	ms_sdp_bump_version(sdp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ms_mem_stats before, after;
	struct ms_sdp sdp;
	ms_mem_stats(&before);
	if (ms_sdp_parse(&sdp, (const char *)data, size, NULL) == 0) {
		read_views(&sdp);
		check_rewrite(&sdp);
		relay_edits(&sdp, size);
		read_views(&sdp);
		check_rewrite(&sdp);
	}
	ms_sdp_free(&sdp);
	ms_mem_stats(&after);
	if (after.live_blocks != before.live_blocks)
		abort();
	return 0;
}
