/* The intrusive hash map of txn_table.c, on its own: the transaction
 * layer's three maps use it, and so does the user agent's index of calls
 * by Call-ID (core/ua). Keys are the caller's: it hashes (SipHash under a
 * secret, base/siphash.h, for values a peer chooses), stores the hash in
 * the node and compares what it finds. */
#ifndef MS_CORE_TXN_MAP_H
#define MS_CORE_TXN_MAP_H

#include <stddef.h>
#include <stdint.h>

/* An intrusive hash map with chaining; nodes with equal hashes may repeat
 * and callers compare what they find. Adding never fails: when a bigger
 * bucket array cannot be had, chains just get longer. */
struct ms__txn_node {
	struct ms__txn_node *next, **pprev;
	uint64_t hash;
};
struct ms__txn_map {
	struct ms__txn_node **b;
	size_t mask;
	size_t count;
};
int ms__txn_map_init(struct ms__txn_map *m);
void ms__txn_map_free(struct ms__txn_map *m);
void ms__txn_map_add(struct ms__txn_map *m, struct ms__txn_node *n, uint64_t hash);
void ms__txn_map_del(struct ms__txn_map *m, struct ms__txn_node *n);
/* The first node of the chain 'hash' falls in: walk it with ->next and
 * compare ->hash before anything else. */
struct ms__txn_node *ms__txn_map_chain(const struct ms__txn_map *m, uint64_t hash);

#endif
