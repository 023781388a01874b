#include "moonsip/hdr.h"
#include "test.h"

static enum ms_hdr_type lk(const char *n)
{
	return ms_hdr_lookup(n, strlen(n));
}

TEST(hname_full_and_case)
{
	ASSERT_INT(lk("Via"), MS_HDR_VIA);
	ASSERT_INT(lk("vIA"), MS_HDR_VIA);
	ASSERT_INT(lk("CALL-ID"), MS_HDR_CALL_ID);
	ASSERT_INT(lk("MaX-fOrWaRdS"), MS_HDR_MAX_FORWARDS);
	ASSERT_INT(lk("WWW-Authenticate"), MS_HDR_WWW_AUTHENTICATE);
	ASSERT_INT(lk("Proxy-Authorization"), MS_HDR_PROXY_AUTHORIZATION);
	ASSERT_INT(lk("Authentication-Info"), MS_HDR_AUTHENTICATION_INFO);
	ASSERT_INT(lk("CSeq"), MS_HDR_CSEQ);
	ASSERT_INT(lk("Record-Route"), MS_HDR_RECORD_ROUTE);
	ASSERT_INT(lk("Path"), MS_HDR_PATH);
}

TEST(hname_compact_forms)
{
	/* Every compact form IANA registers. */
	static const struct {
		const char *c;
		enum ms_hdr_type t;
	} forms[] = {
		{ "i", MS_HDR_CALL_ID },
		{ "m", MS_HDR_CONTACT },
		{ "e", MS_HDR_CONTENT_ENCODING },
		{ "l", MS_HDR_CONTENT_LENGTH },
		{ "c", MS_HDR_CONTENT_TYPE },
		{ "f", MS_HDR_FROM },
		{ "s", MS_HDR_SUBJECT },
		{ "k", MS_HDR_SUPPORTED },
		{ "t", MS_HDR_TO },
		{ "v", MS_HDR_VIA },
		{ "o", MS_HDR_EVENT },
		{ "u", MS_HDR_ALLOW_EVENTS },
		{ "r", MS_HDR_REFER_TO },
		{ "b", MS_HDR_REFERRED_BY },
		{ "x", MS_HDR_SESSION_EXPIRES },
		{ "y", MS_HDR_IDENTITY },
		{ "a", MS_HDR_ACCEPT_CONTACT },
		{ "j", MS_HDR_REJECT_CONTACT },
		{ "d", MS_HDR_REQUEST_DISPOSITION },
		{ "n", MS_HDR_IDENTITY_INFO },
	};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		char up[2] = { (char)(forms[i].c[0] - 32), 0 };
		ASSERT_INT(lk(forms[i].c), forms[i].t);
		ASSERT_INT(lk(up), forms[i].t);
	}
	ASSERT_INT(lk("g"), MS_HDR_OTHER);
	ASSERT_INT(lk("1"), MS_HDR_OTHER);
}

TEST(hname_unknown_and_names)
{
	ASSERT_INT(lk("NewFangledHeader"), MS_HDR_OTHER);
	ASSERT_INT(lk("Vias"), MS_HDR_OTHER);
	ASSERT_INT(lk("C%6Fntact"), MS_HDR_OTHER);
	ASSERT_INT(lk("A-Very-Long-Unknown-Header-Name-Here"), MS_HDR_OTHER);
	ASSERT_INT(ms_hdr_lookup("", 0), MS_HDR_OTHER);
	/* every type's canonical name looks up to itself */
	for (int t = 1; t < MS_HDR__COUNT; t++) {
		const char *n = ms_hdr_name((enum ms_hdr_type)t);
		ASSERT(n != NULL);
		ASSERT_INT(lk(n), t);
	}
	ASSERT(ms_hdr_name(MS_HDR_OTHER) == NULL);
	ASSERT(ms_hdr_is_list(MS_HDR_VIA) && ms_hdr_is_list(MS_HDR_CONTACT) &&
	       ms_hdr_is_list(MS_HDR_SUPPORTED));
	ASSERT(!ms_hdr_is_list(MS_HDR_AUTHORIZATION) && !ms_hdr_is_list(MS_HDR_TO) &&
	       !ms_hdr_is_list(MS_HDR_OTHER));
}

TEST(method_lookup_is_case_sensitive)
{
	ASSERT_INT(ms_method_lookup(MS_STR("INVITE")), MS_METHOD_INVITE);
	ASSERT_INT(ms_method_lookup(MS_STR("REGISTER")), MS_METHOD_REGISTER);
	ASSERT_INT(ms_method_lookup(MS_STR("invite")), MS_METHOD_OTHER);
	ASSERT_INT(ms_method_lookup(MS_STR("RE%47IST%45R")), MS_METHOD_OTHER);
	ASSERT_INT(ms_method_lookup(MS_STR("UPDATE")), MS_METHOD_UPDATE);
}
