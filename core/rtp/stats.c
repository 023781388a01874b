/* Receiver statistics of one leg: RFC 3550 A.1 (sequence numbers with
 * wraparound), A.3 (packets lost) and A.8 (interarrival jitter).
 *
 * Unlike A.1 there is no probation: a relay counts from the first packet
 * (it has already latched on it). A jump of more than MAX_DROPOUT is taken
 * as a restart of the sender when the next packet follows it, as in A.1. */
#define _GNU_SOURCE /* struct mmsghdr in rtp_private.h */
#include "rtp/rtp_private.h"

#define RTP_SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define DEFAULT_CLOCK 8000

void ms__rtp_rx_init(struct ms__rtp_rx *rx, uint32_t clock_rate)
{
	*rx = (struct ms__rtp_rx){ .clock_rate = clock_rate ? clock_rate : DEFAULT_CLOCK };
}

void ms__rtp_rx_set_clock(struct ms__rtp_rx *rx, uint32_t clock_rate)
{
	rx->clock_rate = clock_rate ? clock_rate : DEFAULT_CLOCK;
	rx->have_transit = false;
	rx->jitter = 0;
}

static int64_t lost_now(const struct ms__rtp_rx *rx)
{
	if (!rx->active)
		return 0;
	int64_t expected = (int64_t)ms__rtp_rx_ext_max(rx) - (int64_t)rx->base_seq + 1;
	return expected - (int64_t)rx->received;
}

/* A.1's init_seq; what the previous run of sequence numbers lost is kept. */
static void init_seq(struct ms__rtp_rx *rx, uint16_t seq)
{
	rx->lost_before += lost_now(rx);
	rx->active = true;
	rx->base_seq = seq;
	rx->max_seq = seq;
	rx->bad_seq = RTP_SEQ_MOD + 1; /* matches no sequence number */
	rx->cycles = 0;
	rx->received = 0;
	rx->have_transit = false;
}

/* A.1's update_seq without probation: whether the packet counts. */
static bool update_seq(struct ms__rtp_rx *rx, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - rx->max_seq);
	if (udelta < MAX_DROPOUT) {
		/* in order, with a permissible gap */
		if (seq < rx->max_seq)
			rx->cycles += RTP_SEQ_MOD;
		rx->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		/* a very large jump: a restart only if the next one follows it */
		if (seq != rx->bad_seq) {
			rx->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
			return false;
		}
		init_seq(rx, seq);
	}
	/* else a duplicate or a reordered packet: counted, as A.1 does */
	rx->received++;
	return true;
}

/* A.8 with the jitter kept times 16 as an integer. The arrival time is
 * converted to the timestamp clock (rounded, so that a test's arrival of
 * 0.020 s at 8 kHz is 160 units, not 159). */
static void update_jitter(struct ms__rtp_rx *rx, uint32_t ts, double arrival)
{
	uint32_t arrival_ts = (uint32_t)(uint64_t)(arrival * rx->clock_rate + 0.5);
	int32_t transit = (int32_t)(arrival_ts - ts);
	if (!rx->have_transit) {
		/* D(i-1, i) needs two packets: the first only sets transit */
		rx->have_transit = true;
		rx->transit = transit;
		return;
	}
	int64_t d = (int64_t)transit - rx->transit;
	rx->transit = transit;
	if (d < 0)
		d = -d;
	int64_t j = (int64_t)rx->jitter + d - (((int64_t)rx->jitter + 8) >> 4);
	rx->jitter = j > UINT32_MAX ? UINT32_MAX : (uint32_t)j;
}

void ms__rtp_rx_packet(struct ms__rtp_rx *rx, uint32_t ssrc, uint16_t seq, uint32_t ts, size_t bytes,
		       double arrival)
{
	rx->packets++;
	rx->bytes += bytes;
	rx->last_time = arrival;
	if (!rx->active || ssrc != rx->ssrc) {
		/* a new source: its own sequence numbers and timestamps */
		rx->ssrc = ssrc;
		init_seq(rx, seq);
		rx->jitter = 0;
		rx->received = 1;
		update_jitter(rx, ts, arrival);
		return;
	}
	if (update_seq(rx, seq))
		update_jitter(rx, ts, arrival);
}

uint32_t ms__rtp_rx_ext_max(const struct ms__rtp_rx *rx)
{
	return rx->cycles + rx->max_seq;
}

int64_t ms__rtp_rx_lost(const struct ms__rtp_rx *rx)
{
	return rx->lost_before + lost_now(rx);
}

uint32_t ms__rtp_rx_jitter(const struct ms__rtp_rx *rx)
{
	return rx->jitter >> 4;
}
