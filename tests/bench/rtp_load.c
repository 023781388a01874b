/* rtp_load: the load generator and receiver of tests/bench/rtp.sh.
 *
 * N calls, each two UDP sockets on 127.0.0.1 (endpoint A, endpoint B), two
 * RTP streams per call (A to B, B to A). Every stream sends RTP version 2,
 * payload type 0, 160 bytes of payload, its own SSRC, sequence and
 * timestamp (+160 a packet), at PPS packets per second; the packets of all
 * streams are spread evenly over each period (stream s sends at
 * t0 + s * period / streams + k * period), never in bursts. Each payload
 * carries its stream and its CLOCK_MONOTONIC send time in nanoseconds; the
 * receiving endpoint takes the time again after recvmmsg() and keeps the
 * one-way delay of every packet sent in the measured phase in a histogram
 * of 100 ns bins.
 *
 * Modes (where each endpoint sends):
 *   direct     A to B's socket and B to A's: no relay; the latency of the
 *              loopback and of this program itself, the baseline;
 *   rtpengine  to the ports rtpengine gave in the SDP of its ng protocol's
 *              offer and answer (bencode over UDP, --ng ADDR:PORT);
 *   moonsip    to the ports moonsip wrote into the SDP of the calls this
 *              program makes through it over SIP (--sip ADDR:PORT): its UAC
 *              sends the INVITE (A's SDP) to moonsip with a Request-URI of
 *              its own UAS socket; the INVITE that reaches the UAS gives
 *              the port B sends to, the 200 that reaches the UAC the port A
 *              sends to; ACK and, at the end, BYE go through moonsip with
 *              the Route of its Record-Route;
 *   fixed      no signalling: A of call k sends to port --relay-base + 2k,
 *              B to --relay-base + 2k + 1 (tests/bench/rtp_floor.c's
 *              pairs, which latch on the first packet).
 * In the relay modes the SDP must have been rewritten (else the media would
 * go straight from A to B and the relay would measure nothing): a call whose
 * relay port is its peer's own socket is a setup failure.
 *
 * Phases: set-up (calls at --rate per second, at most 64 in flight, each
 * message retransmitted every 0.5 s, at most 8 times), warm-up (--warmup s,
 * media flowing, not counted), measured (--seconds s), drain (--drain s:
 * late packets still counted), tear-down (BYE or ng delete). With --pid the
 * CPU time of that process (utime+stime from /proc/PID/stat and the run
 * time of every thread from /proc/PID/task/T/schedstat) is read at the
 * first and the last send of the measured phase; with --core the idle time
 * of that CPU (/proc/stat) too, which gives how busy the relay's core was:
 * its CPU time and the wake-ups from idle to it, which no task is charged.
 *
 * Output: a readable report on stderr and one line on stdout,
 *   RESULT mode=... key=value ...
 * for the script. Exit status 0 when the run was made (the figures say how
 * good it was), 1 when it could not be (set-up failed, bad options).
 *
 * Sending: each socket has one packet due per period, so there is nothing
 * for sendmmsg() to batch on one socket; packets go out with sendto() as
 * they fall due. Receiving drains each readable socket with recvmmsg().
 * Between the two the tool spins (epoll with a zero timeout), taking all
 * of its CPU: on a VM a timer for every packet (20 us apart at 50,000/s)
 * costs more than the sends, and a tool that sleeps wakes up late, now
 * and then by milliseconds, which would be counted against the relay.
 * --sleep waits in epoll_pwait2() until the next send instead (timer slack
 * of one gap between sends).
 *
 *	cc -O2 -o rtp_load tests/bench/rtp_load.c
 *	rtp_load --mode direct --calls 500 --pps 50 --seconds 20 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD 160
#define RTP_HDR 12
#define PKT (RTP_HDR + PAYLOAD)
#define MAGIC 0x52544c44u    /* "RTLD" */
#define HIST_BINS (1u << 20) /* 100 ns each: up to 104.8 ms */
#define HIST_NS 100
#define BATCH 16
#define INFLIGHT 64
#define RETRY_NS 500000000LL
#define TRIES 8

enum mode { M_DIRECT, M_RTPENGINE, M_MOONSIP, M_FIXED };

static struct {
	enum mode mode;
	unsigned calls;
	double pps, seconds, warmup, drain, rate;
	unsigned port_min, port_max;
	unsigned relay_base;    /* fixed: the relay's first port */
	struct sockaddr_in ctl; /* rtpengine's ng or moonsip's SIP address */
	int pid;                /* the relay, whose CPU time is read */
	int core;               /* the CPU it is pinned to, whose idle time is read (-1: none) */
	const char *label;
	bool quiet;
	bool sleep; /* wait in epoll with a timer instead of spinning */
} opt = { .calls = 500,
	  .pps = 50,
	  .seconds = 20,
	  .warmup = 3,
	  .drain = 1,
	  .rate = 200,
	  .port_min = 48000,
	  .port_max = 49999,
	  .pid = 0,
	  .core = -1 };

/* One signalling exchange in flight: what to send again until answered. */
struct pending {
	char *msg;
	size_t len;
	int fd;
	struct sockaddr_in to;
	int64_t last;
	int tries;
};

struct call {
	int fd[2];                 /* endpoint A, endpoint B */
	uint16_t port[2];          /* their local ports */
	struct sockaddr_in dst[2]; /* where endpoint X sends its stream */
	bool have_dst[2];
	/* streams: d = 0 A to B (received on B), d = 1 B to A (received on A) */
	uint16_t seq[2];
	uint32_t ts[2], ssrc[2];
	uint64_t sent[2], recv[2];
	/* set-up */
	int step;   /* 0 not started, 1.. in progress, 9 done, -1 failed */
	int status; /* a SIP failure's status */
	struct pending uac;
	char to_hdr[256]; /* To of the 200, with its tag */
	char target[128]; /* Contact of the 200 */
	char route[512];  /* from its Record-Route, reversed */
	char *uas_resp;   /* the UAS's 200, sent again on a retransmitted INVITE */
	size_t uas_resp_len;
	struct sockaddr_in uas_to;
	int64_t uas_last;
	int uas_tries;
	bool acked, ending, bye_done;
};

static struct call *calls;
static unsigned run_id;
static int ep = -1;
static int uac_fd = -1, uas_fd = -1, ng_fd = -1;
static uint16_t uac_port, uas_port, ng_port;
static uint32_t *hist, *lag_hist;
static uint64_t hist_n, lag_n;
static int64_t delay_max, lag_max;
static int64_t tm0, tm1; /* the measured phase: its first and last send */
static uint64_t misrouted, bad_src, altered, send_errors;
static unsigned next_port;
static volatile sig_atomic_t stop;
static bool counting = true; /* false once the drain is over */

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("rtp_load: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void say(const char *fmt, ...)
{
	if (opt.quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* ---- sockets ---------------------------------------------------------- */

/* A UDP socket bound on 127.0.0.1 to the next free port of the range. */
static int bind_next(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	int buf = 1 << 18;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
	for (; next_port <= opt.port_max; next_port++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)next_port) };
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0) {
			*port = (uint16_t)next_port++;
			return fd;
		}
		if (errno != EADDRINUSE)
			die("bind 127.0.0.1:%u: %s", next_port, strerror(errno));
	}
	die("no free port left in %u-%u (--ports)", opt.port_min, opt.port_max);
	return -1;
}

static void watch(int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl: %s", strerror(errno));
}

#define TAG_CTL (1ULL << 62) /* | fd: a signalling socket */

static void send_msg(int fd, const struct sockaddr_in *to, const char *m, size_t len)
{
	if (sendto(fd, m, len, 0, (const struct sockaddr *)to, sizeof *to) < 0 && errno != EAGAIN)
		say("sendto %s:%u: %s\n", inet_ntoa(to->sin_addr), ntohs(to->sin_port), strerror(errno));
}

static void pending_set(struct pending *p, int fd, const struct sockaddr_in *to, char *msg, size_t len)
{
	free(p->msg);
	p->msg = msg;
	p->len = len;
	p->fd = fd;
	p->to = *to;
	p->tries = 1;
	p->last = now_ns();
	send_msg(fd, to, msg, len);
}

static void pending_clear(struct pending *p)
{
	free(p->msg);
	p->msg = NULL;
	p->len = 0;
}

/* Sends it again when due; false when it has been tried TRIES times. */
static bool pending_retry(struct pending *p, int64_t now)
{
	if (!p->msg || now - p->last < RETRY_NS)
		return true;
	if (p->tries >= TRIES)
		return false;
	p->tries++;
	p->last = now;
	send_msg(p->fd, &p->to, p->msg, p->len);
	return true;
}

static char *xasprintf(size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("out of memory");
	*len = (size_t)n;
	return s;
}

/* ---- SDP ---------------------------------------------------------------- */

static void sdp_of(unsigned port, unsigned id, char *out, size_t size)
{
	snprintf(out, size,
		 "v=0\r\no=- %u 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n",
		 id, port);
}

/* The address of the first audio stream: its media-level c= or the
 * session's. */
static bool sdp_media(const char *b, size_t len, struct sockaddr_in *out)
{
	char buf[4096];
	if (len >= sizeof buf)
		len = sizeof buf - 1;
	memcpy(buf, b, len);
	buf[len] = 0;
	char *m = strstr(buf, "m=audio ");
	if (!m)
		return false;
	unsigned port = (unsigned)strtoul(m + 8, NULL, 10);
	char addr[64] = "";
	char *c = strstr(m, "c=IN IP4 ");
	char *next_m = strstr(m + 1, "\nm=");
	if (!c || (next_m && c > next_m)) {
		*m = 0;
		c = strstr(buf, "c=IN IP4 ");
	}
	if (!c || sscanf(c + 9, "%63[0-9.]", addr) != 1)
		return false;
	memset(out, 0, sizeof *out);
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	return port > 0 && port < 65536 && inet_pton(AF_INET, addr, &out->sin_addr) == 1;
}

/* ---- SIP (just what the set-up needs) ----------------------------------- */

struct hdr {
	const char *name, *value; /* the line starts at name */
	size_t name_len, value_len, line_len;
};

struct sipmsg {
	const char *buf, *body;
	size_t len, body_len;
	int status; /* 0: a request */
	char method[16];
	struct hdr h[64];
	unsigned nh;
};

static bool sip_parse(const char *buf, size_t len, struct sipmsg *m)
{
	memset(m, 0, sizeof *m);
	m->buf = buf;
	m->len = len;
	const char *end = buf + len, *p = buf;
	const char *eol = memmem(p, len, "\r\n", 2);
	if (!eol)
		return false;
	if (len > 8 && !memcmp(buf, "SIP/2.0 ", 8))
		m->status = atoi(buf + 8);
	else if (sscanf(buf, "%15[A-Z] ", m->method) != 1)
		return false;
	p = eol + 2;
	while (p < end) {
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol)
			return false;
		if (eol == p) {
			m->body = eol + 2;
			m->body_len = (size_t)(end - m->body);
			return true;
		}
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (colon && m->nh < 64) {
			struct hdr *h = &m->h[m->nh++];
			h->name = p;
			h->name_len = (size_t)(colon - p);
			while (h->name_len && (p[h->name_len - 1] == ' ' || p[h->name_len - 1] == '\t'))
				h->name_len--;
			const char *v = colon + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			h->value = v;
			h->value_len = (size_t)(eol - v);
			h->line_len = (size_t)(eol - p);
		}
		p = eol + 2;
	}
	return false;
}

static bool hname(const struct hdr *h, const char *full, const char *compact)
{
	size_t n = strlen(full);
	if (h->name_len == n && !strncasecmp(h->name, full, n))
		return true;
	return compact && h->name_len == 1 && tolower((unsigned char)h->name[0]) == compact[0];
}

static const struct hdr *hget(const struct sipmsg *m, const char *full, const char *compact)
{
	for (unsigned i = 0; i < m->nh; i++)
		if (hname(&m->h[i], full, compact))
			return &m->h[i];
	return NULL;
}

/* The call of a Call-ID this program made ("rtpb-RUN-I@..."), or -1. */
static int call_of(const struct sipmsg *m)
{
	const struct hdr *h = hget(m, "Call-ID", "i");
	unsigned r, i;
	if (!h || sscanf(h->value, "rtpb-%u-%u@", &r, &i) != 2 || r != run_id || i >= opt.calls)
		return -1;
	return (int)i;
}

/* Appends every line of header NAME as it came. */
static size_t copy_lines(char *out, size_t size, const struct sipmsg *m, const char *full,
			 const char *compact)
{
	size_t n = 0;
	for (unsigned i = 0; i < m->nh; i++) {
		const struct hdr *h = &m->h[i];
		if (!hname(h, full, compact) || n + h->line_len + 3 > size)
			continue;
		memcpy(out + n, h->name, h->line_len);
		n += h->line_len;
		memcpy(out + n, "\r\n", 2);
		n += 2;
	}
	out[n] = 0;
	return n;
}

/* Where a response to a request goes: the top Via's received/rport, else
 * its sent-by, else the packet's source. */
static struct sockaddr_in via_dest(const struct sipmsg *m, const struct sockaddr_in *src)
{
	struct sockaddr_in to = *src;
	const struct hdr *h = hget(m, "Via", "v");
	if (!h)
		return to;
	char v[512];
	size_t n = h->value_len < sizeof v - 1 ? h->value_len : sizeof v - 1;
	memcpy(v, h->value, n);
	v[n] = 0;
	char *comma = strchr(v, ',');
	if (comma)
		*comma = 0;
	char host[64] = "";
	unsigned port = 5060;
	char *sp = strpbrk(v, " \t");
	if (sp && sscanf(sp + strspn(sp, " \t"), "%63[0-9.]:%u", host, &port) >= 1) {
		struct in_addr a;
		if (inet_pton(AF_INET, host, &a) == 1) {
			to.sin_addr = a;
			to.sin_port = htons((uint16_t)port);
		}
	}
	char *r = strstr(v, ";received=");
	if (r && sscanf(r + 10, "%63[0-9.]", host) == 1)
		inet_pton(AF_INET, host, &to.sin_addr);
	r = strstr(v, ";rport=");
	if (r && (port = (unsigned)atoi(r + 7)) > 0)
		to.sin_port = htons((uint16_t)port);
	return to;
}

/* The Route for requests in the dialog: the 200's Record-Route entries in
 * reverse order. */
static void route_of(const struct sipmsg *m, char *out, size_t size)
{
	const char *e[16];
	size_t el[16];
	unsigned n = 0;
	for (unsigned i = 0; i < m->nh; i++) {
		const struct hdr *h = &m->h[i];
		if (!hname(h, "Record-Route", NULL))
			continue;
		const char *p = h->value, *end = h->value + h->value_len;
		while (p < end && n < 16) {
			while (p < end && (*p == ' ' || *p == ',' || *p == '\t'))
				p++;
			const char *s = p;
			bool in = false;
			while (p < end && (in || *p != ',')) {
				if (*p == '<')
					in = true;
				else if (*p == '>')
					in = false;
				p++;
			}
			if (p > s) {
				e[n] = s;
				el[n++] = (size_t)(p - s);
			}
		}
	}
	size_t k = 0;
	out[0] = 0;
	for (unsigned i = n; i-- > 0;) {
		k += (size_t)snprintf(out + k, size - k, "%s%.*s", k ? ", " : "", (int)el[i], e[i]);
		if (k >= size)
			die("Record-Route too long");
	}
}

static void hval(const struct hdr *h, char *out, size_t size)
{
	size_t n = h && h->value_len < size ? h->value_len : 0;
	if (h)
		memcpy(out, h->value, n);
	out[n] = 0;
}

static void send_invite(unsigned i)
{
	struct call *c = &calls[i];
	char sdp[512];
	size_t len;
	sdp_of(c->port[0], i, sdp, sizeof sdp);
	char *m = xasprintf(&len,
			    "INVITE sip:b%u@127.0.0.1:%u SIP/2.0\r\n"
			    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-%u-i%u;rport\r\n"
			    "Max-Forwards: 70\r\n"
			    "From: <sip:a%u@127.0.0.1>;tag=a%u-%u\r\n"
			    "To: <sip:b%u@127.0.0.1:%u>\r\n"
			    "Call-ID: rtpb-%u-%u@127.0.0.1\r\n"
			    "CSeq: 1 INVITE\r\n"
			    "Contact: <sip:a%u@127.0.0.1:%u>\r\n"
			    "Content-Type: application/sdp\r\n"
			    "Content-Length: %zu\r\n\r\n%s",
			    i, uas_port, uac_port, run_id, i, i, run_id, i, i, uas_port, run_id, i, i,
			    uac_port, strlen(sdp), sdp);
	pending_set(&c->uac, uac_fd, &opt.ctl, m, len);
	c->step = 1;
}

/* ACK (cseq 1) or BYE (cseq 2) of an established call, through moonsip. */
static char *in_dialog(unsigned i, const char *method, unsigned cseq, size_t *len)
{
	struct call *c = &calls[i];
	char route[600] = "";
	if (c->route[0])
		snprintf(route, sizeof route, "Route: %s\r\n", c->route);
	return xasprintf(len,
			 "%s %s SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-%u-%c%u;rport\r\n"
			 "%s"
			 "Max-Forwards: 70\r\n"
			 "From: <sip:a%u@127.0.0.1>;tag=a%u-%u\r\n"
			 "To: %s\r\n"
			 "Call-ID: rtpb-%u-%u@127.0.0.1\r\n"
			 "CSeq: %u %s\r\n"
			 "Content-Length: 0\r\n\r\n",
			 method, c->target, uac_port, run_id, method[0] == 'A' ? 'a' : 'b', i, route, i, i,
			 run_id, c->to_hdr, run_id, i, cseq, method);
}

/* The UAS's answer to a request: Via, Record-Route (2xx to INVITE), From,
 * Call-ID and CSeq as they came, To with our tag. */
static char *uas_answer(const struct sipmsg *m, unsigned i, const char *sdp, size_t *len)
{
	char via[2048], rr[1024], from[512], cid[256], cseq[128], to[256];
	copy_lines(via, sizeof via, m, "Via", "v");
	copy_lines(rr, sizeof rr, m, "Record-Route", NULL);
	copy_lines(from, sizeof from, m, "From", "f");
	copy_lines(cid, sizeof cid, m, "Call-ID", "i");
	copy_lines(cseq, sizeof cseq, m, "CSeq", NULL);
	hval(hget(m, "To", "t"), to, sizeof to);
	bool tagged = strstr(to, ";tag=") != NULL;
	if (sdp)
		return xasprintf(
			len,
			"SIP/2.0 200 OK\r\n%s%s%sTo: %s%s%u\r\n%s%sContact: <sip:b%u@127.0.0.1:%u>\r\n"
			"Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
			via, rr, from, to, tagged ? "" : ";tag=b", tagged ? 0 : i, cid, cseq, i, uas_port,
			strlen(sdp), sdp);
	return xasprintf(len, "SIP/2.0 200 OK\r\n%s%sTo: %s\r\n%s%sContent-Length: 0\r\n\r\n", via, from, to,
			 cid, cseq);
}

/* Whether endpoint X's destination is its relay's and not its peer's
 * own socket. */
static bool relayed(const struct call *c, int x)
{
	return !(c->dst[x].sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
		 ntohs(c->dst[x].sin_port) == c->port[!x]);
}

static void sip_in(int fd, const char *buf, size_t len, const struct sockaddr_in *src)
{
	struct sipmsg m;
	if (!sip_parse(buf, len, &m)) {
		say("unparsable SIP message on port %u\n", fd == uac_fd ? uac_port : uas_port);
		return;
	}
	int ci = call_of(&m);
	if (ci < 0)
		return;
	unsigned i = (unsigned)ci;
	struct call *c = &calls[i];
	const struct hdr *cs = hget(&m, "CSeq", NULL);
	bool bye = cs && strstr(cs->value, "BYE");
	if (fd == uac_fd) {
		if (!m.status || m.status < 200)
			return;
		if (bye) {
			c->bye_done = true;
			pending_clear(&c->uac);
			return;
		}
		if (m.status >= 300) {
			if (c->step >= 0 && c->step != 9)
				say("call %u: %d to the INVITE\n", i, m.status);
			c->step = -1;
			c->status = m.status;
			pending_clear(&c->uac);
			/* the ACK of a failure goes hop by hop, with the INVITE's branch */
			char to[256];
			size_t alen;
			hval(hget(&m, "To", "t"), to, sizeof to);
			char *ack = xasprintf(
				&alen,
				"ACK sip:b%u@127.0.0.1:%u SIP/2.0\r\n"
				"Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-%u-i%u;rport\r\n"
				"Max-Forwards: 70\r\nFrom: <sip:a%u@127.0.0.1>;tag=a%u-%u\r\nTo: %s\r\n"
				"Call-ID: rtpb-%u-%u@127.0.0.1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
				i, uas_port, uac_port, run_id, i, i, i, run_id, to, run_id, i);
			send_msg(uac_fd, &opt.ctl, ack, alen);
			free(ack);
			return;
		}
		if (c->step == 1) {
			if (!sdp_media(m.body, m.body_len, &c->dst[0])) {
				say("call %u: no audio SDP in the 200\n", i);
				c->step = -1;
				pending_clear(&c->uac);
				return;
			}
			c->have_dst[0] = true;
			hval(hget(&m, "To", "t"), c->to_hdr, sizeof c->to_hdr);
			char contact[256];
			hval(hget(&m, "Contact", "m"), contact, sizeof contact);
			char *lt = strchr(contact, '<'), *gt = lt ? strchr(lt, '>') : NULL;
			if (lt && gt) {
				*gt = 0;
				snprintf(c->target, sizeof c->target, "%s", lt + 1);
			} else {
				snprintf(c->target, sizeof c->target, "sip:b%u@127.0.0.1:%u", i, uas_port);
			}
			route_of(&m, c->route, sizeof c->route);
			pending_clear(&c->uac);
			c->step = 2; /* 200 in; done once the UAS has its ACK */
		}
		/* every 200 (a retransmission too) gets the ACK */
		size_t alen;
		char *ack = in_dialog(i, "ACK", 1, &alen);
		send_msg(uac_fd, &opt.ctl, ack, alen);
		free(ack);
		return;
	}
	/* the UAS */
	if (m.status)
		return;
	if (!strcmp(m.method, "INVITE")) {
		if (!c->uas_resp) {
			if (!sdp_media(m.body, m.body_len, &c->dst[1])) {
				say("call %u: no audio SDP in the INVITE that reached the UAS\n", i);
				return;
			}
			c->have_dst[1] = true;
			char sdp[512];
			sdp_of(c->port[1], 100000 + i, sdp, sizeof sdp);
			c->uas_resp = uas_answer(&m, i, sdp, &c->uas_resp_len);
			c->uas_to = via_dest(&m, src);
			c->uas_tries = 0;
		}
		c->uas_last = now_ns();
		c->uas_tries++;
		send_msg(uas_fd, &c->uas_to, c->uas_resp, c->uas_resp_len);
	} else if (!strcmp(m.method, "ACK")) {
		c->acked = true;
	} else if (!strcmp(m.method, "BYE")) {
		size_t rlen;
		char *r = uas_answer(&m, i, NULL, &rlen);
		struct sockaddr_in to = via_dest(&m, src);
		send_msg(uas_fd, &to, r, rlen);
		free(r);
	}
}

/* ---- rtpengine's ng protocol (bencode) ------------------------------------ */

struct bb {
	char b[4096];
	size_t n;
};

static void bstr(struct bb *b, const char *s)
{
	size_t l = strlen(s);
	int k = snprintf(b->b + b->n, sizeof b->b - b->n, "%zu:", l);
	if (k < 0 || b->n + (size_t)k + l >= sizeof b->b)
		die("ng message too long");
	b->n += (size_t)k;
	memcpy(b->b + b->n, s, l);
	b->n += l;
}

static void bput(struct bb *b, const char *s)
{
	size_t l = strlen(s);
	if (b->n + l >= sizeof b->b)
		die("ng message too long");
	memcpy(b->b + b->n, s, l);
	b->n += l;
}

/* The end of the bencoded value at p, or NULL. */
static const char *bskip(const char *p, const char *end)
{
	if (p >= end)
		return NULL;
	if (*p == 'i') {
		const char *e = memchr(p, 'e', (size_t)(end - p));
		return e ? e + 1 : NULL;
	}
	if (*p == 'l' || *p == 'd') {
		p++;
		while (p < end && *p != 'e')
			if (!(p = bskip(p, end)))
				return NULL;
		return p < end ? p + 1 : NULL;
	}
	if (isdigit((unsigned char)*p)) {
		char *colon;
		unsigned long l = strtoul(p, &colon, 10);
		if (colon >= end || *colon != ':' || l > (size_t)(end - colon - 1))
			return NULL;
		return colon + 1 + l;
	}
	return NULL;
}

/* The string value of KEY in the dictionary at p. */
static bool bget(const char *p, const char *end, const char *key, const char **v, size_t *vl)
{
	if (p >= end || *p != 'd')
		return false;
	p++;
	size_t kl = strlen(key);
	while (p < end && *p != 'e') {
		char *colon;
		unsigned long l = strtoul(p, &colon, 10);
		if (colon >= end || *colon != ':' || l > (size_t)(end - colon - 1))
			return false;
		const char *k = colon + 1, *val = k + l;
		const char *next = bskip(val, end);
		if (!next)
			return false;
		if (l == kl && !memcmp(k, key, kl) && isdigit((unsigned char)*val)) {
			unsigned long sl = strtoul(val, &colon, 10);
			*v = colon + 1;
			*vl = sl;
			return true;
		}
		p = next;
	}
	return false;
}

/* offer (step 1), answer (step 2) or delete (step 3) of call i. */
static void ng_send(unsigned i, int step)
{
	struct call *c = &calls[i];
	struct bb b = { .n = 0 };
	char s[256];
	static const char *cmd[] = { "", "offer", "answer", "delete" };
	snprintf(s, sizeof s, "%u-%u-%d ", run_id, i, step);
	bput(&b, s);
	bput(&b, "d");
	bstr(&b, "command");
	bstr(&b, cmd[step]);
	bstr(&b, "call-id");
	snprintf(s, sizeof s, "rtpb-%u-%u@127.0.0.1", run_id, i);
	bstr(&b, s);
	bstr(&b, "from-tag");
	snprintf(s, sizeof s, "a%u-%u", i, run_id);
	bstr(&b, s);
	if (step == 2) {
		bstr(&b, "to-tag");
		snprintf(s, sizeof s, "b%u", i);
		bstr(&b, s);
	}
	if (step != 3) {
		char sdp[512];
		sdp_of(c->port[step - 1], step == 1 ? i : 100000 + i, sdp, sizeof sdp);
		bstr(&b, "sdp");
		bstr(&b, sdp);
	}
	bput(&b, "e");
	char *m = malloc(b.n);
	if (!m)
		die("out of memory");
	memcpy(m, b.b, b.n);
	pending_set(&c->uac, ng_fd, &opt.ctl, m, b.n);
	c->step = step;
}

static void ng_in(const char *buf, size_t len)
{
	unsigned r, i;
	int step, off = 0;
	if (sscanf(buf, "%u-%u-%d %n", &r, &i, &step, &off) != 3 || !off || r != run_id || i >= opt.calls)
		return;
	struct call *c = &calls[i];
	if (step != c->step)
		return; /* a late duplicate */
	const char *d = buf + off, *end = buf + len, *v;
	size_t vl;
	pending_clear(&c->uac);
	if (!bget(d, end, "result", &v, &vl) || vl != 2 || memcmp(v, "ok", 2)) {
		const char *why = "?";
		size_t wl = 1;
		bget(d, end, "error-reason", &why, &wl);
		say("call %u: rtpengine %s failed: %.*s\n", i,
		    step == 1           ? "offer"
			    : step == 2 ? "answer"
					: "delete",
		    (int)wl, why);
		c->step = step == 3 ? 9 : -1;
		return;
	}
	if (step == 3) {
		c->bye_done = true;
		c->step = 9;
		return;
	}
	/* the offer's SDP goes to B (where B sends), the answer's to A */
	int x = step == 1 ? 1 : 0;
	if (!bget(d, end, "sdp", &v, &vl) || !sdp_media(v, vl, &c->dst[x])) {
		say("call %u: no audio SDP in rtpengine's %s reply\n", i, step == 1 ? "offer" : "answer");
		c->step = -1;
		return;
	}
	c->have_dst[x] = true;
	if (step == 1)
		ng_send(i, 2);
	else
		c->step = 9;
}

/* ---- set-up and tear-down -------------------------------------------------- */

static void ctl_read(int fd)
{
	char buf[8192];
	struct sockaddr_in src;
	for (;;) {
		socklen_t sl = sizeof src;
		ssize_t n = recvfrom(fd, buf, sizeof buf - 1, 0, (struct sockaddr *)&src, &sl);
		if (n <= 0)
			return;
		buf[n] = 0;
		if (fd == ng_fd)
			ng_in(buf, (size_t)n);
		else
			sip_in(fd, buf, (size_t)n, &src);
	}
}

static void media_read(unsigned i, int x);

static void ctl_poll(int64_t until)
{
	struct epoll_event ev[64];
	int64_t wait = (until - now_ns()) / 1000000;
	int n = epoll_wait(ep, ev, 64, wait < 0 ? 0 : (int)wait);
	for (int k = 0; k < n; k++)
		if (ev[k].data.u64 & TAG_CTL)
			ctl_read((int)(ev[k].data.u64 & 0xffffffff));
		else /* media after the drain: read, not counted */
			media_read((unsigned)(ev[k].data.u64 >> 1), (int)(ev[k].data.u64 & 1));
}

/* moonsip's calls are up once the UAC has its 200 and the UAS its ACK. */
static bool setup_done(struct call *c)
{
	if (opt.mode == M_MOONSIP && c->step == 2 && c->acked)
		c->step = 9;
	return c->step == 9 || c->step == -1;
}

static unsigned setup(double *secs)
{
	int64_t t0 = now_ns(), gap = (int64_t)(1e9 / opt.rate);
	int64_t deadline = t0 + (int64_t)((opt.calls / opt.rate + 20) * 1e9);
	unsigned started = 0, done = 0;
	while (done < opt.calls && !stop) {
		int64_t now = now_ns();
		if (now > deadline) {
			say("set-up: deadline passed with %u of %u calls finished\n", done, opt.calls);
			break;
		}
		unsigned inflight = 0;
		done = 0;
		for (unsigned i = 0; i < started; i++) {
			struct call *c = &calls[i];
			if (setup_done(c)) {
				done++;
				continue;
			}
			inflight++;
			if (!pending_retry(&c->uac, now)) {
				say("call %u: no answer after %d tries (step %d)\n", i, TRIES, c->step);
				c->step = -1;
				pending_clear(&c->uac);
			}
			/* the UAS's 200 again until the ACK */
			if (opt.mode == M_MOONSIP && c->uas_resp && !c->acked &&
			    now - c->uas_last >= RETRY_NS && c->uas_tries < TRIES) {
				c->uas_last = now;
				c->uas_tries++;
				send_msg(uas_fd, &c->uas_to, c->uas_resp, c->uas_resp_len);
			}
		}
		while (started < opt.calls && inflight < INFLIGHT && now >= t0 + (int64_t)started * gap) {
			if (opt.mode == M_MOONSIP)
				send_invite(started);
			else
				ng_send(started, 1);
			started++;
			inflight++;
		}
		ctl_poll(now + 5000000);
	}
	*secs = (double)(now_ns() - t0) / 1e9;
	unsigned ok = 0;
	for (unsigned i = 0; i < opt.calls; i++) {
		struct call *c = &calls[i];
		if (c->step == 9 && c->have_dst[0] && c->have_dst[1]) {
			if (!relayed(c, 0) || !relayed(c, 1)) {
				say("call %u: the SDP was not rewritten (A sends to port %u, B to %u: each "
				    "other's "
				    "own sockets): the media would bypass the relay\n",
				    i, ntohs(c->dst[0].sin_port), ntohs(c->dst[1].sin_port));
				c->step = -1;
				continue;
			}
			ok++;
		} else if (c->step == 9) {
			c->step = -1;
		}
	}
	return ok;
}

static unsigned teardown(double *secs)
{
	int64_t t0 = now_ns(), gap = (int64_t)(1e9 / opt.rate);
	int64_t deadline = t0 + (int64_t)((opt.calls / opt.rate + 10) * 1e9);
	unsigned next = 0, done = 0;
	while (!stop && now_ns() < deadline) {
		int64_t now = now_ns();
		unsigned inflight = 0;
		for (unsigned i = 0; i < next; i++) {
			struct call *c = &calls[i];
			if (!c->ending || c->bye_done || !c->uac.msg)
				continue;
			inflight++;
			if (!pending_retry(&c->uac, now))
				pending_clear(&c->uac);
		}
		if (next == opt.calls && inflight == 0)
			break;
		while (next < opt.calls && inflight < INFLIGHT && now >= t0 + (int64_t)next * gap) {
			unsigned i = next++;
			struct call *c = &calls[i];
			if (c->step != 9)
				continue;
			c->ending = true;
			if (opt.mode == M_MOONSIP) {
				size_t len;
				char *m = in_dialog(i, "BYE", 2, &len);
				pending_set(&c->uac, uac_fd, &opt.ctl, m, len);
			} else {
				ng_send(i, 3);
			}
			inflight++;
		}
		ctl_poll(now + 5000000);
	}
	for (unsigned i = 0; i < opt.calls; i++)
		done += calls[i].bye_done;
	*secs = (double)(now_ns() - t0) / 1e9;
	return done;
}

/* ---- media ------------------------------------------------------------------ */

struct cpu {
	uint64_t ticks, ns;
	bool ok;
};

static struct cpu cpu_of(int pid)
{
	struct cpu c = { 0, 0, false };
	if (pid <= 0)
		return c;
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return c;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	unsigned long ut, st;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return c;
	c.ticks = ut + st;
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return c;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%.20s/schedstat", pid, e->d_name);
		FILE *s = fopen(path, "r");
		unsigned long long run;
		if (s && fscanf(s, "%llu", &run) == 1)
			c.ns += run;
		if (s)
			fclose(s);
	}
	closedir(d);
	c.ok = true;
	return c;
}

/* Idle and iowait time of CPU 'core' in ns (USER_HZ resolution), from
 * /proc/stat; -1 when unknown. */
static double core_idle_ns(int core)
{
	if (core < 0)
		return -1;
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return -1;
	char line[512], want[16];
	snprintf(want, sizeof want, "cpu%d ", core);
	double r = -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long long v[5];
		if (!strncmp(line, want, strlen(want)) &&
		    sscanf(line + strlen(want), "%llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
			   &v[4]) == 5) {
			r = (double)(v[3] + v[4]) * 1e9 / (double)sysconf(_SC_CLK_TCK);
			break;
		}
	}
	fclose(f);
	return r;
}

static double self_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		ru.ru_stime.tv_usec / 1e6;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void hist_add(uint32_t *h, int64_t ns)
{
	uint64_t b = ns < 0 ? 0 : (uint64_t)ns / HIST_NS;
	h[b < HIST_BINS ? b : HIST_BINS - 1]++;
}

/* The q-quantile in µs: the upper edge of the bin that holds it. */
static double hist_q(const uint32_t *h, uint64_t n, double q)
{
	if (!n)
		return 0;
	uint64_t want = (uint64_t)(q * (double)n), acc = 0;
	if (want >= n)
		want = n - 1;
	for (uint32_t b = 0; b < HIST_BINS; b++) {
		acc += h[b];
		if (acc > want)
			return (b + 1) * HIST_NS / 1e3;
	}
	return HIST_BINS * HIST_NS / 1e3;
}

static void on_packets(unsigned i, int x, struct mmsghdr *mm, int n, int64_t t)
{
	struct call *c = &calls[i];
	int d = !x; /* the stream that arrives on endpoint x */
	for (int k = 0; k < n; k++) {
		const uint8_t *p = mm[k].msg_hdr.msg_iov->iov_base;
		struct sockaddr_in *src = mm[k].msg_hdr.msg_name;
		if (mm[k].msg_len != PKT || get32(p + RTP_HDR) != MAGIC) {
			altered++;
			continue;
		}
		uint32_t s = get32(p + RTP_HDR + 4);
		if (s != 2 * i + (unsigned)d) {
			misrouted++;
			continue;
		}
		if ((p[0] >> 6) != 2 || (p[1] & 0x7f) != 0 || get32(p + 8) != c->ssrc[d])
			altered++;
		if (src->sin_port != c->dst[x].sin_port || src->sin_addr.s_addr != c->dst[x].sin_addr.s_addr)
			bad_src++;
		int64_t sent = (int64_t)((uint64_t)get32(p + RTP_HDR + 8) << 32 | get32(p + RTP_HDR + 12));
		if (!get32(p + RTP_HDR + 16) || !counting)
			continue; /* warm-up, or after the drain */
		c->recv[d]++;
		int64_t delay = t - sent;
		hist_add(hist, delay);
		hist_n++;
		if (delay > delay_max)
			delay_max = delay;
	}
}

static void media_read(unsigned i, int x)
{
	static uint8_t bufs[BATCH][PKT + 64];
	static struct sockaddr_in src[BATCH];
	static struct iovec iov[BATCH];
	static struct mmsghdr mm[BATCH];
	int fd = calls[i].fd[x];
	for (;;) {
		for (int k = 0; k < BATCH; k++) {
			iov[k] = (struct iovec){ bufs[k], sizeof bufs[k] };
			mm[k].msg_hdr = (struct msghdr){ .msg_name = &src[k],
							 .msg_namelen = sizeof src[k],
							 .msg_iov = &iov[k],
							 .msg_iovlen = 1 };
		}
		int n = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		on_packets(i, x, mm, n, now_ns());
		if (n < BATCH)
			return;
	}
}

/* What has arrived, waiting for it until 'until' (0: not at all), or, when
 * spinning, only looking. Returns the number of sockets that had some. */
static int media_events(int64_t until)
{
	struct epoll_event ev[512];
	int64_t w = opt.sleep ? until - now_ns() : 0;
	struct timespec ts = { 0, 0 };
	if (w > 0) {
		ts.tv_sec = w / 1000000000LL;
		ts.tv_nsec = w % 1000000000LL;
	}
	int n = epoll_pwait2(ep, ev, 512, &ts, NULL);
	for (int k = 0; k < n; k++) {
		uint64_t tag = ev[k].data.u64;
		if (tag & TAG_CTL)
			ctl_read((int)(tag & 0xffffffff));
		else
			media_read((unsigned)(tag >> 1), (int)(tag & 1));
	}
	return n;
}

static void send_one(unsigned s, int64_t slot_t, uint32_t measured)
{
	struct call *c = &calls[s / 2];
	int d = (int)(s % 2);
	uint8_t p[PKT];
	memset(p, 0, sizeof p);
	p[0] = 0x80;
	p[1] = 0; /* PT 0, no marker */
	p[2] = (uint8_t)(c->seq[d] >> 8);
	p[3] = (uint8_t)c->seq[d];
	put32(p + 4, c->ts[d]);
	put32(p + 8, c->ssrc[d]);
	put32(p + RTP_HDR, MAGIC);
	put32(p + RTP_HDR + 4, s);
	put32(p + RTP_HDR + 16, measured); /* counted: sent in the measured phase */
	int64_t t = now_ns();
	put32(p + RTP_HDR + 8, (uint32_t)((uint64_t)t >> 32));
	put32(p + RTP_HDR + 12, (uint32_t)t);
	c->seq[d]++;
	c->ts[d] += PAYLOAD;
	ssize_t r = sendto(c->fd[d], p, sizeof p, 0, (struct sockaddr *)&c->dst[d], sizeof c->dst[d]);
	if (r < 0 && errno == ECONNREFUSED) /* the ICMP error of an earlier packet, reported on this one */
		r = sendto(c->fd[d], p, sizeof p, 0, (struct sockaddr *)&c->dst[d], sizeof c->dst[d]);
	if (r < 0) {
		if (errno != EAGAIN && errno != ECONNREFUSED)
			say("sendto: %s\n", strerror(errno));
		send_errors++;
		return;
	}
	if (measured) {
		c->sent[d]++;
		hist_add(lag_hist, t - slot_t);
		lag_n++;
		if (t - slot_t > lag_max)
			lag_max = t - slot_t;
	}
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fputs("usage: rtp_load --mode direct|rtpengine|moonsip|fixed [--ng ADDR:PORT | --sip ADDR:PORT | "
	      "--relay-base PORT]\n"
	      "  [--calls N (500)] [--pps P (50 per stream)] [--seconds S (20)] [--warmup S (3)]\n"
	      "  [--drain S (1)] [--rate CALLS_PER_S (200)] [--ports MIN-MAX (48000-49999)]\n"
	      "  [--pid RELAY_PID] [--core RELAY_CPU] [--label NAME] [--sleep] [--quiet]\n",
	      stderr);
	exit(1);
}

static void parse_addr(const char *s, struct sockaddr_in *a)
{
	char host[64];
	unsigned port;
	if (sscanf(s, "%63[0-9.]:%u", host, &port) != 2 || port == 0 || port > 65535)
		die("bad address %s (want IPv4:PORT)", s);
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
		die("bad address %s", s);
}

int main(int argc, char **argv)
{
	bool have_ctl = false;
	const char *mode = NULL;
	for (int k = 1; k < argc; k++) {
		const char *o = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;
		if (!strcmp(o, "--quiet")) {
			opt.quiet = true;
			continue;
		}
		if (!strcmp(o, "--sleep")) {
			opt.sleep = true;
			continue;
		}
		if (!v)
			usage();
		k++;
		if (!strcmp(o, "--mode"))
			mode = v;
		else if (!strcmp(o, "--ng") || !strcmp(o, "--sip")) {
			parse_addr(v, &opt.ctl);
			have_ctl = true;
		} else if (!strcmp(o, "--calls"))
			opt.calls = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(o, "--pps"))
			opt.pps = atof(v);
		else if (!strcmp(o, "--seconds"))
			opt.seconds = atof(v);
		else if (!strcmp(o, "--warmup"))
			opt.warmup = atof(v);
		else if (!strcmp(o, "--drain"))
			opt.drain = atof(v);
		else if (!strcmp(o, "--rate"))
			opt.rate = atof(v);
		else if (!strcmp(o, "--pid"))
			opt.pid = atoi(v);
		else if (!strcmp(o, "--core"))
			opt.core = atoi(v);
		else if (!strcmp(o, "--relay-base"))
			opt.relay_base = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(o, "--label"))
			opt.label = v;
		else if (!strcmp(o, "--ports")) {
			if (sscanf(v, "%u-%u", &opt.port_min, &opt.port_max) != 2 || opt.port_min < 1024 ||
			    opt.port_max > 65535 || opt.port_min > opt.port_max)
				die("bad --ports %s", v);
		} else
			usage();
	}
	if (!mode)
		usage();
	if (!strcmp(mode, "direct"))
		opt.mode = M_DIRECT;
	else if (!strcmp(mode, "rtpengine"))
		opt.mode = M_RTPENGINE;
	else if (!strcmp(mode, "moonsip"))
		opt.mode = M_MOONSIP;
	else if (!strcmp(mode, "fixed"))
		opt.mode = M_FIXED;
	else
		usage();
	if (opt.mode == M_FIXED && (opt.relay_base < 1024 || opt.relay_base + 2 * opt.calls > 65536))
		die("mode fixed needs --relay-base PORT (1024 and up, room for 2 ports per call)");
	if (opt.mode != M_DIRECT && opt.mode != M_FIXED && !have_ctl)
		die("mode %s needs %s ADDR:PORT", mode, opt.mode == M_RTPENGINE ? "--ng" : "--sip");
	if (opt.calls == 0 || opt.calls > 30000 || opt.pps <= 0 || opt.pps > 1000 || opt.seconds <= 0 ||
	    opt.warmup < 0 || opt.drain < 0 || opt.rate <= 0)
		die("bad figures (calls 1-30000, pps 0-1000, seconds > 0, rate > 0)");
	if (!opt.label)
		opt.label = mode;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	run_id = (unsigned)(getpid() ^ (unsigned)time(NULL)) % 1000000u;
	hist = calloc(HIST_BINS, sizeof *hist);
	lag_hist = calloc(HIST_BINS, sizeof *lag_hist);
	calls = calloc(opt.calls, sizeof *calls);
	if (!hist || !lag_hist || !calls)
		die("out of memory");
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1: %s", strerror(errno));
	next_port = opt.port_min;
	if (opt.mode == M_MOONSIP) {
		uac_fd = bind_next(&uac_port);
		uas_fd = bind_next(&uas_port);
		watch(uac_fd, TAG_CTL | (unsigned)uac_fd);
		watch(uas_fd, TAG_CTL | (unsigned)uas_fd);
	} else if (opt.mode == M_RTPENGINE) {
		ng_fd = bind_next(&ng_port);
		watch(ng_fd, TAG_CTL | (unsigned)ng_fd);
	}
	for (unsigned i = 0; i < opt.calls; i++) {
		struct call *c = &calls[i];
		for (int x = 0; x < 2; x++) {
			c->fd[x] = bind_next(&c->port[x]);
			watch(c->fd[x], (uint64_t)i << 1 | (unsigned)x);
			unsigned s = 2 * i + (unsigned)x;
			c->ssrc[x] = 0x5eed0000u ^ (run_id << 12) ^ (s * 2654435761u);
			c->seq[x] = (uint16_t)(s * 7919u);
			c->ts[x] = s * 104729u;
		}
	}
	say("%s: %u calls (%u streams) on 127.0.0.1 ports %u-%u, %.0f packets/s per stream, %.0f s measured "
	    "after %.0f s of warm-up\n",
	    opt.label, opt.calls, 2 * opt.calls, opt.port_min, next_port - 1, opt.pps, opt.seconds,
	    opt.warmup);

	double setup_s = 0;
	unsigned up = opt.calls;
	if (opt.mode == M_DIRECT || opt.mode == M_FIXED) {
		for (unsigned i = 0; i < opt.calls; i++) {
			struct call *c = &calls[i];
			for (int x = 0; x < 2; x++) {
				uint16_t to = opt.mode == M_DIRECT
					? c->port[!x]
					: (uint16_t)(opt.relay_base + 2 * i + (unsigned)x);
				c->dst[x] =
					(struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(to) };
				c->dst[x].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
				c->have_dst[x] = true;
			}
			c->step = 9;
		}
	} else {
		up = setup(&setup_s);
		say("%s: %u of %u calls set up in %.2f s\n", opt.label, up, opt.calls, setup_s);
		if (up < opt.calls) {
			unsigned shown = 0;
			for (unsigned i = 0; i < opt.calls && shown < 5; i++)
				if (calls[i].step != 9) {
					say("  call %u: step %d, status %d\n", i, calls[i].step,
					    calls[i].status);
					shown++;
				}
			double td;
			teardown(&td);
			printf("RESULT mode=%s label=%s setup_failed=%u calls=%u\n", mode, opt.label,
			       opt.calls - up, opt.calls);
			return 1;
		}
	}

	/* the media: slot j (of all streams in turn) at t0 + j * period / streams */
	unsigned ns_ = 2 * opt.calls;
	double period = 1e9 / opt.pps, gap = period / ns_;
	/* Timer slack of one gap between sends (at most 50 us): a wake-up may be
	 * that late and then sends the two packets due, where an exact timer
	 * for every packet costs this tool about a third more CPU in a VM (each
	 * hrtimer armed is an exit) and leaves it saturated at 50,000 packets/s.
	 * Every packet's delay is timed from its actual send. */
	double slack = gap < 1000 ? 1000 : gap > 50000 ? 50000 : gap;
	if (opt.sleep)
		prctl(PR_SET_TIMERSLACK, (unsigned long)slack, 0, 0, 0);
	int64_t t0 = now_ns() + 10000000;
	tm0 = t0 + (int64_t)(opt.warmup * 1e9);
	uint64_t slots_warm = (uint64_t)((double)(tm0 - t0) / gap);
	uint64_t slots_meas = (uint64_t)(opt.seconds * opt.pps) * ns_;
	tm0 = t0 + (int64_t)((double)slots_warm * gap);
	tm1 = t0 + (int64_t)((double)(slots_warm + slots_meas) * gap);
	uint64_t j = 0, jend = slots_warm + slots_meas;
	struct cpu c0 = { 0 }, c1 = { 0 };
	double s0 = 0, s1 = 0, i0 = -1;
	bool in_meas = false;
	unsigned burst = 0;
	int64_t busy_ns = 0; /* measured phase: time in turns that sent or received */
	while (j < jend && !stop) {
		int64_t now = now_ns(), turn = now;
		uint64_t j0 = j;
		while (j < jend) {
			int64_t slot = t0 + (int64_t)((double)j * gap);
			if (slot > now)
				break;
			if (j == slots_warm) {
				/* tm0 is the slot time: packets sent from here on count */
				c0 = cpu_of(opt.pid);
				i0 = core_idle_ns(opt.core);
				s0 = self_cpu();
				in_meas = true;
				tm0 = now_ns();
			}
			send_one((unsigned)(j % ns_), slot, in_meas);
			j++;
			/* behind: at most 32 sends, then what has arrived, so that late sends do not delay
			 * reading */
			if (++burst == 32)
				break;
			if ((j & 15) == 0)
				now = now_ns();
		}
		if (j >= jend)
			break;
		int got = media_events(burst == 32 ? 0 : t0 + (int64_t)((double)j * gap));
		burst = 0;
		if (in_meas && !opt.sleep && (got > 0 || j != j0))
			busy_ns += now_ns() - turn;
	}
	tm1 = now_ns();
	c1 = cpu_of(opt.pid);
	double i1 = core_idle_ns(opt.core);
	s1 = self_cpu();
	/* the phase's length: from its first send to its last, plus the gap after the last */
	double meas_s = (double)(tm1 - tm0) / 1e9 + gap / 1e9;
	int64_t drain_end = tm1 + (int64_t)(opt.drain * 1e9);
	while (now_ns() < drain_end && !stop)
		media_events(drain_end);
	counting = false;

	uint64_t sent = 0, recv = 0, lost = 0, dup = 0;
	for (unsigned i = 0; i < opt.calls; i++)
		for (int d = 0; d < 2; d++) {
			sent += calls[i].sent[d];
			recv += calls[i].recv[d];
			if (calls[i].sent[d] > calls[i].recv[d])
				lost += calls[i].sent[d] - calls[i].recv[d];
			else
				dup += calls[i].recv[d] - calls[i].sent[d];
		}
	double td_s = 0;
	unsigned ended = 0;
	if (opt.mode != M_DIRECT && opt.mode != M_FIXED)
		ended = teardown(&td_s);

	double med = hist_q(hist, hist_n, 0.5), p99 = hist_q(hist, hist_n, 0.99),
	       p999 = hist_q(hist, hist_n, 0.999);
	double lag99 = hist_q(lag_hist, lag_n, 0.99);
	double cpu_ns = c0.ok && c1.ok ? (double)(c1.ns - c0.ns) : -1;
	/* the relay's core not idle: its CPU time, and its wake-ups from idle that no task is charged with */
	double core_ns = i0 >= 0 && i1 >= 0 ? (double)(tm1 - tm0) - (i1 - i0) : -1;
	long hz = sysconf(_SC_CLK_TCK);
	double cpu_ticks_s = c0.ok && c1.ok ? (double)(c1.ticks - c0.ticks) / (double)hz : -1;
	say("%s: measured %.3f s: %" PRIu64 " packets sent, %" PRIu64 " received (%.0f/s), %" PRIu64
	    " lost, %" PRIu64
	    " duplicated; one-way delay median %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us\n",
	    opt.label, meas_s, sent, recv, recv / meas_s, lost, dup, med, p99, p999, delay_max / 1e3);
	if (core_ns >= 0)
		say("%s: CPU %d not idle: %.1f%% of the time, %.3f us per packet\n", opt.label, opt.core,
		    100 * core_ns / (double)(tm1 - tm0), recv ? core_ns / 1e3 / (double)recv : 0);
	if (cpu_ns >= 0)
		say("%s: relay pid %d: %.3f s CPU (schedstat; utime+stime %.2f s) = %.1f%% of a core, %.3f "
		    "us per "
		    "packet forwarded\n",
		    opt.label, opt.pid, cpu_ns / 1e9, cpu_ticks_s, 100 * cpu_ns / 1e9 / meas_s,
		    recv ? cpu_ns / 1e3 / (double)recv : 0);
	say("%s: this tool: %.1f%% of a core (%.1f%% in turns with work); sends late by p99 %.1f us, max "
	    "%.1f us; "
	    "misrouted %" PRIu64 ", wrong source %" PRIu64 ", altered %" PRIu64 "\n",
	    opt.label, 100 * (s1 - s0) / meas_s, 100 * (double)busy_ns / 1e9 / meas_s, lag99, lag_max / 1e3,
	    misrouted, bad_src, altered);
	if (opt.mode != M_DIRECT && opt.mode != M_FIXED)
		say("%s: set-up %.2f s; %u of %u calls ended (%s) in %.2f s\n", opt.label, setup_s, ended, up,
		    opt.mode == M_MOONSIP ? "BYE answered 200" : "ng delete ok", td_s);
	printf("RESULT mode=%s label=%s calls=%u streams=%u pps=%g measured_s=%.3f sent=%" PRIu64
	       " received=%" PRIu64 " lost=%" PRIu64 " dup=%" PRIu64 " send_errors=%" PRIu64
	       " pkts_per_s=%.1f median_us=%.1f p99_us=%.1f"
	       " p999_us=%.1f max_us=%.1f relay_cpu_ns=%.0f relay_cpu_ticks_s=%.2f cpu_us_per_pkt=%.4f"
	       " core_busy_us_per_pkt=%.4f core_busy_pct=%.1f tool_cpu_pct=%.1f tool_busy_pct=%.1f "
	       "send_lag_p99_us=%.1f send_lag_max_us=%.1f "
	       "misrouted=%" PRIu64 " bad_src=%" PRIu64 " altered=%" PRIu64 " setup_s=%.2f ended=%u\n",
	       mode, opt.label, opt.calls, ns_, opt.pps, meas_s, sent, recv, lost, dup, send_errors,
	       recv / meas_s, med, p99, p999, delay_max / 1e3, cpu_ns, cpu_ticks_s,
	       recv && cpu_ns >= 0 ? cpu_ns / 1e3 / (double)recv : -1,
	       recv && core_ns >= 0 ? core_ns / 1e3 / (double)recv : -1,
	       core_ns >= 0 ? 100 * core_ns / (double)(tm1 - tm0) : -1, 100 * (s1 - s0) / meas_s,
	       100 * (double)busy_ns / 1e9 / meas_s, lag99, lag_max / 1e3, misrouted, bad_src, altered,
	       setup_s, ended);
	return stop ? 1 : 0;
}
