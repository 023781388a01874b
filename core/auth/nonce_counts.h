/* The nonce-counts a digest server has seen (RFC 7616 §3.3: a response
 * must not be taken twice for the same nonce and count). One slot per
 * nonce in use: a 64-bit keyed hash of the nonce standing for it, the
 * highest count taken, and when the nonce goes stale (the slot may go
 * then). Open addressing without a block per nonce; the table is rebuilt
 * without the stale slots when half full, so it holds what a rate of
 * challenges times their lifetime needs (16 bytes a slot, 2 to 8 slots a
 * live nonce).
 *
 * Two nonces with the same 64-bit hash share a count: the later one may
 * be refused once as a replay (and challenged again), never taken twice. */
#ifndef MS_CORE_AUTH_NONCE_COUNTS_H
#define MS_CORE_AUTH_NONCE_COUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ms__nc_slot;
struct ms__nonce_counts {
	struct ms__nc_slot *slot;
	size_t mask;     /* slots - 1; 0 before the first use */
	size_t used;     /* slots taken, stale ones included */
	uint64_t key[2]; /* the hash key, random */
};

/* An empty table with a random hash key. */
void ms__nc_init(struct ms__nonce_counts *t);
void ms__nc_free(struct ms__nonce_counts *t);
/* Whether count 'nc' of 'nonce' is new (above every count taken for it),
 * and takes it if so; 'stale_at' is when the nonce stops being valid.
 * False for a count already taken, and when memory runs out (refusing is
 * the safe answer). */
bool ms__nc_take(struct ms__nonce_counts *t, const char *nonce, size_t len, uint32_t nc, int64_t stale_at,
		 int64_t now);
/* Nonces with a slot, stale ones not yet dropped included. */
size_t ms__nc_size(const struct ms__nonce_counts *t);

#endif
