/* SipHash-2-4, fed in pieces of any length, optionally folding ASCII case. */
#include <string.h>

#include "base/siphash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

static void sip_word(struct ms__sip *s, uint64_t m)
{
	s->v[3] ^= m;
	sip_round(s->v);
	sip_round(s->v);
	s->v[0] ^= m;
}

void ms__sip_init(struct ms__sip *s, const uint64_t key[2])
{
	s->v[0] = key[0] ^ 0x736f6d6570736575ull;
	s->v[1] = key[1] ^ 0x646f72616e646f6dull;
	s->v[2] = key[0] ^ 0x6c7967656e657261ull;
	s->v[3] = key[1] ^ 0x7465646279746573ull;
	s->tail = 0;
	s->ntail = 0;
	s->len = 0;
}

static void add_byte(struct ms__sip *s, unsigned x, bool fold)
{
	if (fold && x >= 'A' && x <= 'Z')
		x += 'a' - 'A';
	s->tail |= (uint64_t)x << (8 * s->ntail);
	if (++s->ntail == 8) {
		sip_word(s, s->tail);
		s->tail = 0;
		s->ntail = 0;
	}
}

/* Eight bytes as SipHash reads them: little-endian. */
static uint64_t load_word(const unsigned char *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* ASCII A-Z to a-z in all eight bytes at once: bit 7 of each byte of
 * ge_a (gt_z) is set when its low seven bits are at least 'A' (above
 * 'Z'); bytes with bit 7 set are not ASCII and stay. */
static uint64_t fold_word(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t low = w & 0x7f * ones;
	uint64_t ge_a = low + (0x80 - 'A') * ones;
	uint64_t gt_z = low + (0x7f - 'Z') * ones;
	uint64_t upper = (ge_a ^ gt_z) & ~w & 0x80 * ones;
	return w | upper >> 2;
}

/* Whole words are taken eight bytes at a time (the values hashed, Call-IDs,
 * branches, AORs, are a few dozen bytes: a byte at a time was most of the
 * cost of hashing them); a word begun by an earlier call is filled first. */
void ms__sip_add(struct ms__sip *s, const void *p, size_t n, bool fold)
{
	const unsigned char *c = p;
	size_t i = 0;
	s->len += n;
	for (; i < n && s->ntail; i++)
		add_byte(s, c[i], fold);
	for (; i + 8 <= n; i += 8) {
		uint64_t w = load_word(c + i);
		sip_word(s, fold ? fold_word(w) : w);
	}
	for (; i < n; i++)
		add_byte(s, c[i], fold);
}

uint64_t ms__sip_end(struct ms__sip *s)
{
	sip_word(s, s->tail | s->len << 56);
	s->v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(s->v);
	return s->v[0] ^ s->v[1] ^ s->v[2] ^ s->v[3];
}
