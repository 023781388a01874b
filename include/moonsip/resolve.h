/* moonsip: host names to addresses (A and AAAA) without blocking the loop.
 *
 * A resolver answers on the caller's libev loop. Numeric hosts are answered
 * without a lookup; names are looked up with getaddrinfo() on the
 * resolver's own worker threads (at most 8 at once, more lookups wait in
 * line), whose answers come back to the loop through an ev_async:
 *
 *	ms_resolver_new(&r, loop, 0);
 *	ms_resolve(r, MS_STR("proxy.example.com"), AF_UNSPEC, 5060, on_addrs, ctx, &q);
 *	...
 *	static void on_addrs(int err, const struct sockaddr_storage *addrs, size_t n, void *ctx)
 *
 * This is the A/AAAA step of RFC 3263 only: the caller has already picked
 * the transport and port. NAPTR and SRV lookups, when they come, will be
 * further kinds of lookup on the same resolver and workers.
 *
 * Lifetimes. A lookup handle is valid until its callback is called or
 * until ms_resolve_cancel(), whichever comes first; no callback comes
 * after either. A callback is never called inside ms_resolve(): always
 * later, from the loop. A callback may start new lookups, cancel others
 * and free the resolver. A lookup still running on a worker thread when it
 * is cancelled, times out or its resolver is freed finishes in the
 * background and is thrown away there: the thread touches nothing the
 * caller or the loop owns, but what it holds (the name and its answer)
 * stays counted in ms_mem_stats() until getaddrinfo() returns.
 *
 * Nothing is global: each resolver has its own workers. Resolvers are used
 * from the loop's thread only, and must be freed before the loop is. */
#ifndef MOONSIP_RESOLVE_H
#define MOONSIP_RESOLVE_H

#include <sys/socket.h>

#include "moonsip/base.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ev_loop;
struct ms_resolver;
struct ms_resolve; /* one lookup */

/* Addresses in one answer at most. */
#define MS_RESOLVE_MAX 8

/* The answer to one lookup. On success 'err' is 0 and 'addrs' holds 'n'
 * (1 to MS_RESOLVE_MAX) AF_INET or AF_INET6 addresses, each with the port
 * asked for, in getaddrinfo()'s order (RFC 6724) without duplicates; they
 * are valid for the call only. On failure 'addrs' is NULL, 'n' is 0 and
 * 'err' is:
 *  - MS_ENOENT: the name does not exist, or has no address of the family
 *    asked for (a numeric host of the other family too);
 *  - MS_EAGAIN: no answer within the resolver's timeout, or the DNS
 *    servers failed for now (EAI_AGAIN): a later try may succeed;
 *  - MS_ENOMEM: out of memory, in the lookup or here;
 *  - MS_EPROTO: any other failure of the lookup (EAI_FAIL, EAI_SYSTEM).
 * The lookup's handle is gone when this is called. */
typedef void (*ms_resolve_cb)(int err, const struct sockaddr_storage *addrs, size_t n, void *arg);

/* A resolver on 'loop'. A lookup that has no answer after 'timeout_ms'
 * (0: 5000) fails with MS_EAGAIN, time in line for a worker included.
 * MS_EINVAL without a loop, MS_ENOMEM. */
MS_API int ms_resolver_new(struct ms_resolver **out, struct ev_loop *loop, uint32_t timeout_ms);
/* Ends every pending lookup without calling its callback (every handle
 * becomes invalid) and frees the resolver; workers still inside
 * getaddrinfo() finish and free themselves later. May be called from
 * inside a callback of this resolver. NULL is ignored. */
MS_API void ms_resolver_free(struct ms_resolver *r);

/* Starts looking up 'host' (borrowed for the call only) for addresses of
 * 'family' (AF_UNSPEC for both, AF_INET, AF_INET6), each given 'port'.
 * 'host' is a numeric IPv4 or IPv6 address (IPv6 with or without
 * brackets), answered without a lookup, or a DNS host name: letters,
 * digits, '-' and '.', labels of 1 to 63 characters, 253 characters at
 * most besides one trailing '.', and a last label that begins with a
 * letter (RFC 3261 toplabel: "1.2.3.256" and "127.1" are no names). The
 * answer comes through 'cb' with 'arg'. *handle (when not NULL) is set to
 * the lookup on success, for ms_resolve_cancel(). MS_EINVAL, at once and
 * without a callback, for a host that is neither (empty, bad characters,
 * too long, IPv4 in brackets), another family, or no callback; MS_ENOMEM
 * when memory or a worker thread could not be had. */
MS_API int ms_resolve(struct ms_resolver *r, struct ms_str host, int family, uint16_t port, ms_resolve_cb cb,
		      void *arg, struct ms_resolve **handle);
/* The caller loses interest: the callback is not called and the handle is
 * gone. Not from inside the lookup's own callback (it is gone already).
 * NULL is ignored. */
MS_API void ms_resolve_cancel(struct ms_resolve *q);

#ifdef __cplusplus
}
#endif
#endif
