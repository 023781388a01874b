/* Date: rfc1123-date, which SIP restricts to GMT (RFC 3261 §20.17). */
#include <string.h>

#include "base/str.h"
#include "moonsip/hdr.h"
#include "msg/lex.h"

#define FAIL(text)                 \
	do {                       \
		*why = (text);     \
		return MS_EBADMSG; \
	} while (0)

static int index_of(const char *list, struct ms_str s)
{
	/* list: three-letter names back to back */
	for (int i = 0; list[i * 3]; i++)
		if (s.len == 3 && !memcmp(list + i * 3, s.s, 3))
			return i;
	return -1;
}

static bool digits(struct ms_str s, size_t n, int *out)
{
	uint32_t v;
	if (s.len != n || ms_str_to_u32(s, UINT32_MAX, &v) < 0)
		return false;
	*out = (int)v;
	return true;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "Sat, 13 Nov 2010 23:29:00 GMT" */
int ms_date_parse(int64_t *out, struct ms_str value, const char **why)
{
	struct ms_lex l;
	struct ms_str wk, day, mon, year, hh, mm, ss, zone;
	int d, y, h, mi, s, m;
	ms__lex_init(&l, value);
	ms__lex_lws(&l);
	if (!ms__lex_token(&l, &wk) || index_of("MonTueWedThuFriSatSun", wk) < 0 || !ms__lex_sep(&l, ','))
		FAIL("bad weekday");
	if (!ms__lex_span(&l, MS_CC_HOST, &day) || !digits(day, 2, &d) || !ms__lex_lws(&l) ||
	    !ms__lex_token(&l, &mon) || (m = index_of("JanFebMarAprMayJunJulAugSepOctNovDec", mon)) < 0 ||
	    !ms__lex_lws(&l) || !ms__lex_span(&l, MS_CC_HOST, &year) || !digits(year, 4, &y))
		FAIL("bad date");
	if (!ms__lex_lws(&l) || !ms__lex_span(&l, MS_CC_HOST, &hh) || !digits(hh, 2, &h) ||
	    ms__lex_peek(&l) != ':' || (l.p++, !ms__lex_span(&l, MS_CC_HOST, &mm)) || !digits(mm, 2, &mi) ||
	    ms__lex_peek(&l) != ':' || (l.p++, !ms__lex_span(&l, MS_CC_HOST, &ss)) || !digits(ss, 2, &s))
		FAIL("bad time");
	if (d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		FAIL("bad date");
	if (!ms__lex_lws(&l) || !ms__lex_token(&l, &zone) || !ms_str_eq(zone, MS_STR("GMT")))
		FAIL("time zone is not GMT");
	if (!ms__lex_end(&l))
		FAIL("bad character after date");
	*out = days_from_civil(y, m + 1, d) * 86400 + h * 3600 + mi * 60 + s;
	return 0;
}
