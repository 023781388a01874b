/* The answers `moonsip run` gives without a script: OPTIONS with 200 and
 * what this server supports, CANCEL matched to its INVITE, and 501 for
 * every other method. Each answer goes through its server transaction, so
 * retransmissions are absorbed. */
#ifndef MS_BASIC_TU_H
#define MS_BASIC_TU_H

#include "moonsip/stack.h"

struct ms_basic_tu {
	struct ms_stack *stack; /* set once the stack exists */
	char tag_prefix[12];    /* To tags: prefix + counter, unique per process */
	uint64_t ntags;
};

void ms_basic_tu_init(struct ms_basic_tu *tu);
/* The stack's request callback; 'arg' is the struct ms_basic_tu. */
void ms_basic_tu_request(struct ms_stxn *st, struct ms_msg *req, const struct ms_txn_peer *src, void *arg);

#endif
