/* SipHash-2-4 (Aumasson and Bernstein), keyed by the caller: for hash
 * tables over values anyone can choose (a secret key keeps them from
 * choosing collisions), and for MACs in branches. 'fold' lowers ASCII
 * letters first, for values compared ignoring case. */
#ifndef MS_CORE_BASE_SIPHASH_H
#define MS_CORE_BASE_SIPHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ms__sip {
	uint64_t v[4];
	uint64_t tail;
	unsigned ntail;
	uint64_t len;
};
void ms__sip_init(struct ms__sip *s, const uint64_t key[2]);
void ms__sip_add(struct ms__sip *s, const void *p, size_t n, bool fold);
uint64_t ms__sip_end(struct ms__sip *s);

#endif
