/* SipHash-2-4, fed a byte at a time: the values hashed are a few dozen
 * bytes, and folding case needs the bytes anyway. */
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

void ms__sip_add(struct ms__sip *s, const void *p, size_t n, bool fold)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++) {
		unsigned x = c[i];
		if (fold && x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		s->tail |= (uint64_t)x << (8 * s->ntail);
		if (++s->ntail == 8) {
			sip_word(s, s->tail);
			s->tail = 0;
			s->ntail = 0;
		}
	}
	s->len += n;
}

uint64_t ms__sip_end(struct ms__sip *s)
{
	sip_word(s, s->tail | s->len << 56);
	s->v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(s->v);
	return s->v[0] ^ s->v[1] ^ s->v[2] ^ s->v[3];
}
