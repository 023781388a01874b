#include <netinet/in.h>
#include <string.h>

#include "moonsip/addr.h"
#include "test.h"

static const char *fmt(const char *spec, enum ms_proto *proto)
{
	static char out[MS_ADDR_STRLEN];
	struct ms_listen_spec l;
	const char *why = NULL;
	if (ms_listen_parse(&l, spec, &why) < 0)
		ms_test_fail(__FILE__, __LINE__, "%s: %s", spec, why);
	*proto = l.proto;
	return ms_addr_format(&l.addr, out);
}

static const char *bad(const char *spec)
{
	struct ms_listen_spec l;
	const char *why = NULL;
	if (ms_listen_parse(&l, spec, &why) == 0)
		ms_test_fail(__FILE__, __LINE__, "%s parsed", spec);
	return why;
}

TEST(listen_specs)
{
	enum ms_proto p;
	ASSERT(!strcmp(fmt("udp:127.0.0.1:5060", &p), "127.0.0.1:5060"));
	ASSERT_INT(p, MS_PROTO_UDP);
	ASSERT(!strcmp(fmt("tcp:[::1]:5070", &p), "[::1]:5070"));
	ASSERT_INT(p, MS_PROTO_TCP);
	ASSERT(!strcmp(fmt("TLS:0.0.0.0", &p), "0.0.0.0:5061"));
	ASSERT_INT(p, MS_PROTO_TLS);
	ASSERT(!strcmp(fmt("udp:[2001:db8::1]", &p), "[2001:db8::1]:5060"));
	ASSERT(!strcmp(bad("sctp:127.0.0.1:5060"), "expected udp:, tcp: or tls: before the address"));
	ASSERT(!strcmp(bad("127.0.0.1"), "expected udp:, tcp: or tls: before the address"));
	ASSERT(!strcmp(bad("udp:localhost:5060"), "not a numeric IPv4 or IPv6 address"));
	ASSERT(!strcmp(bad("udp:127.0.0.1:70000"), "bad port"));
	ASSERT(!strcmp(bad("udp:127.0.0.1:"), "bad port"));
	ASSERT(!strcmp(bad("udp:[::1"), "unterminated [IPv6 address]"));
	ASSERT(!strcmp(bad("udp:[::1]x"), "unexpected characters after the address"));
	ASSERT(!strcmp(bad("udp:"), "not a numeric IPv4 or IPv6 address"));
}

TEST(addr_set_compare_print)
{
	struct sockaddr_storage a, b;
	char host[MS_ADDR_STRLEN];
	ASSERT_INT(ms_addr_set(&a, MS_STR("[2001:db8::1]"), 5060), 0);
	ASSERT_INT(ms_addr_set(&b, MS_STR("2001:DB8:0::1"), 5060), 0);
	ASSERT(ms_addr_equal(&a, &b));
	ASSERT_INT(ms_addr_port(&a), 5060);
	ASSERT_INT(ms_addr_len(&a), sizeof(struct sockaddr_in6));
	ASSERT(!strcmp(ms_addr_host(&a, host), "[2001:db8::1]"));
	ASSERT_INT(ms_addr_set(&b, MS_STR("2001:db8::1"), 5061), 0);
	ASSERT(!ms_addr_equal(&a, &b));
	ASSERT_INT(ms_addr_set(&a, MS_STR("192.0.2.1"), 1), 0);
	ASSERT(!ms_addr_equal(&a, &b));
	ASSERT(!strcmp(ms_addr_host(&a, host), "192.0.2.1"));
	ASSERT_INT(ms_addr_set(&a, MS_STR("example.com"), 1), MS_EINVAL);
	ASSERT_INT(ms_addr_set(&a, MS_STR("[]"), 1), MS_EINVAL);
	ASSERT_INT(ms_addr_set(&a, MS_STR("1.2.3.4.5"), 1), MS_EINVAL);
	ASSERT(!strcmp(ms_proto_name(MS_PROTO_TLS), "TLS"));
}

/* IPv4 and ports are printed by hand: every digit count, both ends. */
TEST(addr_format_v4)
{
	static const struct {
		const char *host;
		uint16_t port;
		const char *want;
	} cases[] = {
		{ "0.0.0.0", 0, "0.0.0.0:0" },
		{ "255.255.255.255", 65535, "255.255.255.255:65535" },
		{ "10.20.100.9", 5060, "10.20.100.9:5060" },
		{ "192.0.2.1", 10, "192.0.2.1:10" },
		{ "1.2.3.4", 100, "1.2.3.4:100" },
		{ "127.0.0.1", 9999, "127.0.0.1:9999" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sockaddr_storage a;
		char out[MS_ADDR_STRLEN];
		ASSERT_INT(ms_addr_set(&a, (struct ms_str){ cases[i].host, strlen(cases[i].host) },
				       cases[i].port),
			   0);
		if (strcmp(ms_addr_format(&a, out), cases[i].want))
			ms_test_fail(__FILE__, __LINE__, "%s: %s", cases[i].want, out);
		ASSERT(!strcmp(ms_addr_host(&a, out), cases[i].host));
	}
}
