/* register_floor: the floor of tests/bench/register.sh, a measuring stick
 * and not a registrar. It answers SIPp's tests/sipp/reg-auth.xml over UDP
 * with as little work as a server can do: a REGISTER without an
 * Authorization header gets a 401 with a fixed MD5 challenge, one with it
 * a 200 with its Contact; each answer copies Via, From, To (with a tag),
 * Call-ID and CSeq from the request. Nothing is checked, hashed or stored.
 *
 * What it costs per registration is what the machine charges any server
 * for the two REGISTERs and their answers at that rate: waking up, the
 * system calls, the loopback's delivery of the answers to SIPp. A server's
 * CPU per registration minus this is the work it does itself.
 *
 * One thread, epoll_wait then recvmmsg (up to 32) and one sendmmsg, as a
 * real server batches. SIGTERM or SIGINT end it.
 *
 *	cc -O2 -o register_floor tests/bench/register_floor.c
 *	register_floor 127.0.0.1 28170 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 32
#define MAX 4096

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Appends the header line 'name' of the message (the first one, CRLF
 * included, without the CRLF when 'open' so that a parameter can follow);
 * the bytes appended, 0 when the message has none. */
static size_t copy_header(const char *m, size_t n, const char *name, char *out, size_t room, int open)
{
	size_t nl = strlen(name);
	for (const char *p = memmem(m, n, "\r\n", 2); p; p = memmem(p, m + n - p, "\r\n", 2)) {
		p += 2;
		if ((size_t)(m + n - p) <= nl || strncasecmp(p, name, nl))
			continue;
		const char *e = memmem(p, m + n - p, "\r\n", 2);
		size_t len = e ? (size_t)(e - p) + (open ? 0 : 2) : 0;
		if (len >= room)
			return 0;
		memcpy(out, p, len);
		return len;
	}
	return 0;
}

/* The answer to one REGISTER, into out; its length (0: none). */
static size_t answer(const char *m, size_t n, char *out, size_t room)
{
	if (n < 8 || memcmp(m, "REGISTER", 8))
		return 0;
	int authorized = memmem(m, n, "\r\nAuthorization:", 16) != NULL;
	size_t k = (size_t)snprintf(out, room,
				    authorized ? "SIP/2.0 200 OK\r\n" : "SIP/2.0 401 Unauthorized\r\n");
	k += copy_header(m, n, "Via:", out + k, room - k, 0);
	k += copy_header(m, n, "From:", out + k, room - k, 0);
	k += copy_header(m, n, "To:", out + k, room - k, 1);
	k += (size_t)snprintf(out + k, room - k, ";tag=floor\r\n");
	k += copy_header(m, n, "Call-ID:", out + k, room - k, 0);
	k += copy_header(m, n, "CSeq:", out + k, room - k, 0);
	if (authorized)
		k += copy_header(m, n, "Contact:", out + k, room - k, 0);
	else
		k += (size_t)snprintf(
			out + k, room - k,
			"WWW-Authenticate: Digest realm=\"127.0.0.1\", "
			"nonce=\"0123456789abcdef0123456789abcdef\", algorithm=MD5, qop=\"auth\"\r\n");
	k += (size_t)snprintf(out + k, room - k, "Content-Length: 0\r\n\r\n");
	return k < room ? k : 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: register_floor ADDRESS PORT\n");
		return 2;
	}
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (s < 0 || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1 ||
	    bind(s, (struct sockaddr *)&a, sizeof a) < 0) {
		fprintf(stderr, "register_floor: cannot listen on %s:%s: %s\n", argv[1], argv[2],
			strerror(errno));
		return 1;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) < 0) {
		perror("register_floor: epoll");
		return 1;
	}
	static char in[BATCH][MAX], out[BATCH][MAX];
	struct mmsghdr rx[BATCH], tx[BATCH];
	struct iovec riov[BATCH], tiov[BATCH];
	struct sockaddr_in src[BATCH];
	while (!stop) {
		if (epoll_wait(ep, &ev, 1, -1) < 0)
			continue; /* EINTR: the signal, seen by the loop */
		for (int i = 0; i < BATCH; i++) {
			riov[i] = (struct iovec){ in[i], MAX };
			rx[i].msg_hdr = (struct msghdr){ .msg_name = &src[i],
							 .msg_namelen = sizeof src[i],
							 .msg_iov = &riov[i],
							 .msg_iovlen = 1 };
		}
		int n = recvmmsg(s, rx, BATCH, 0, NULL), nt = 0;
		for (int i = 0; i < n; i++) {
			size_t len = answer(in[i], rx[i].msg_len, out[nt], MAX);
			if (!len)
				continue;
			tiov[nt] = (struct iovec){ out[nt], len };
			tx[nt].msg_hdr = (struct msghdr){ .msg_name = &src[i],
							  .msg_namelen = rx[i].msg_hdr.msg_namelen,
							  .msg_iov = &tiov[nt],
							  .msg_iovlen = 1 };
			nt++;
		}
		if (nt > 0 && sendmmsg(s, tx, (unsigned)nt, 0) < 0)
			perror("register_floor: sendmmsg");
	}
	close(s);
	return 0;
}
