/* Branch IDs (§8.1.1.7) and the layer's secrets.
 *
 * A branch must be unique and, since responses and CANCELs are matched by
 * it, a third party must not be able to guess one. Each layer draws keys
 * and a counter start from getrandom() once; a branch is the cookie, the
 * counter (unique within the layer, and a random start makes two layers or
 * two runs differ) and a SipHash MAC of the counter under a secret key (64
 * bits that cannot be predicted from the branches seen before). */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "txn/txn_private.h"

static int fill_random(void *p, size_t n)
{
	unsigned char *c = p;
	while (n) {
		ssize_t r = getrandom(c, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

int ms__txn_seed(struct ms_txn_layer *l)
{
	uint64_t s[5];
	int rc = fill_random(s, sizeof s);
	if (rc)
		return rc;
	l->hash_key[0] = s[0];
	l->hash_key[1] = s[1];
	l->branch_key[0] = s[2];
	l->branch_key[1] = s[3];
	l->branch_next = s[4];
	return 0;
}

static void hex64(char *out, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 15; i >= 0; i--, v >>= 4)
		out[i] = digits[v & 15];
}

int ms_txn_branch(struct ms_txn_layer *l, char out[MS_TXN_BRANCH_SIZE])
{
	uint64_t n = l->branch_next++;
	unsigned char le[8];
	struct ms__sip s;
	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)(n >> (8 * i));
	ms__sip_init(&s, l->branch_key);
	ms__sip_add(&s, le, sizeof le, false);
	memcpy(out, MS__TXN_COOKIE, MS__TXN_COOKIE_LEN);
	hex64(out + MS__TXN_COOKIE_LEN, n);
	hex64(out + MS__TXN_COOKIE_LEN + 16, ms__sip_end(&s));
	out[MS_TXN_BRANCH_SIZE - 1] = '\0';
	return MS_TXN_BRANCH_SIZE - 1;
}
