/* The RTP port pool: even ports for RTP, the odd one above for RTCP, handed
 * out round-robin so a pair just released rests as long as possible. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "moonsip/addr.h"
#include "moonsip/rtp.h"

struct ms_rtp_pool {
	struct sockaddr_storage local;
	uint16_t first; /* the lowest even port of the range */
	unsigned npairs, navail;
	unsigned next; /* index of the pair to try first */
	unsigned char used[];
};

int ms_rtp_pool_new(struct ms_rtp_pool **out, const struct sockaddr_storage *local, uint16_t port_min,
		    uint16_t port_max)
{
	if (!local || (local->ss_family != AF_INET && local->ss_family != AF_INET6) || port_min == 0)
		return MS_EINVAL;
	unsigned first = port_min + (port_min & 1u);
	if (first + 1 > port_max)
		return MS_EINVAL;
	unsigned n = (port_max - first + 1) / 2;
	struct ms_rtp_pool *p = ms__calloc(1, sizeof *p + n);
	if (!p)
		return MS_ENOMEM;
	p->local = *local;
	if (local->ss_family == AF_INET)
		((struct sockaddr_in *)&p->local)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&p->local)->sin6_port = 0;
	p->first = (uint16_t)first;
	p->npairs = p->navail = n;
	*out = p;
	return 0;
}

void ms_rtp_pool_free(struct ms_rtp_pool *p)
{
	ms__free(p);
}

static void set_port(struct sockaddr_storage *a, uint16_t port)
{
	if (a->ss_family == AF_INET)
		((struct sockaddr_in *)a)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)a)->sin6_port = htons(port);
}

/* A non-blocking socket bound to 'port', or -errno. */
static int bind_one(const struct ms_rtp_pool *p, uint16_t port)
{
	struct sockaddr_storage a = p->local;
	set_port(&a, port);
	int fd = socket(a.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (const struct sockaddr *)&a, ms_addr_len(&a)) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

static int bind_pair(const struct ms_rtp_pool *p, uint16_t port, struct ms_rtp_ports *out)
{
	int rtp = bind_one(p, port);
	if (rtp < 0)
		return rtp;
	int rtcp = bind_one(p, (uint16_t)(port + 1));
	if (rtcp < 0) {
		close(rtp);
		return rtcp;
	}
	*out = (struct ms_rtp_ports){ .rtp_fd = rtp, .rtcp_fd = rtcp, .port = port };
	return 0;
}

int ms_rtp_pool_alloc(struct ms_rtp_pool *p, struct ms_rtp_ports *out)
{
	for (unsigned i = 0; p->navail && i < p->npairs; i++) {
		unsigned k = (p->next + i) % p->npairs;
		if (p->used[k])
			continue;
		int rc = bind_pair(p, (uint16_t)(p->first + 2 * k), out);
		if (rc == -EADDRINUSE)
			continue; /* someone else's: try the next */
		if (rc < 0)
			return rc;
		p->used[k] = 1;
		p->navail--;
		p->next = (k + 1) % p->npairs;
		return 0;
	}
	return MS_RTP_ENOPORTS;
}

void ms_rtp_pool_release(struct ms_rtp_pool *p, struct ms_rtp_ports *ports)
{
	if (ports->rtp_fd < 0)
		return;
	close(ports->rtp_fd);
	close(ports->rtcp_fd);
	ports->rtp_fd = ports->rtcp_fd = -1;
	unsigned k = (unsigned)(ports->port - p->first) / 2;
	if (ports->port >= p->first && k < p->npairs && p->used[k]) {
		p->used[k] = 0;
		p->navail++;
	}
}

unsigned ms_rtp_pool_size(const struct ms_rtp_pool *p)
{
	return p->npairs;
}

unsigned ms_rtp_pool_available(const struct ms_rtp_pool *p)
{
	return p->navail;
}

const struct sockaddr_storage *ms_rtp_pool_local(const struct ms_rtp_pool *p)
{
	return &p->local;
}

static bool is_loopback(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)a)->sin6_addr);
}

static bool is_wildcard(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)a)->sin6_addr);
}

bool ms_rtp_pool_contains(const struct ms_rtp_pool *p, const struct sockaddr_storage *a)
{
	uint16_t port = ms_addr_port(a);
	if (a->ss_family != p->local.ss_family || port < p->first ||
	    (unsigned)(port - p->first) >= 2 * p->npairs)
		return false;
	/* A wildcard pool is on every local address: only the loopback ones
	 * are known here without asking the system. */
	struct sockaddr_storage mine = p->local;
	set_port(&mine, port);
	return ms_addr_equal(a, &mine) || (is_wildcard(&p->local) && is_loopback(a));
}
