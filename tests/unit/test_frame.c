#include "moonsip/msg.h"
#include "moonsip/stream.h"
#include "test.h"

static const char two[] = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\nabc"
			  "\r\n\r\n" /* a keep-alive ping between messages */
			  "OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n";

TEST(frame_whole_and_keepalive)
{
	struct ms_framer f;
	size_t skip;
	bool pong;
	ms_framer_init(&f, 0);
	ASSERT_INT(f.max, MS_FRAME_DEFAULT_MAX);
	int n = ms_framer_next(&f, two, sizeof two - 1, &skip, &pong);
	ASSERT_INT(skip, 0);
	ASSERT_INT(n, 49);
	ASSERT(!pong);
	const char *rest = two + n;
	n = ms_framer_next(&f, rest, sizeof two - 1 - 49, &skip, &pong);
	ASSERT_INT(skip, 4);
	ASSERT(pong);
	ASSERT_INT(n, 33);
	struct ms_msg m;
	ms_msg_init(&m);
	ASSERT_INT(ms_msg_parse(&m, rest + skip, (size_t)n, MS_PARSE_STREAM), n);
	ms_msg_free(&m);
	/* a lone CRLF is not a ping */
	ASSERT_INT(ms_framer_next(&f, "\r\n", 2, &skip, &pong), MS_EAGAIN);
	ASSERT_INT(skip, 2);
	ASSERT(!pong);
}

TEST(frame_byte_by_byte)
{
	/* Feeding one byte at a time, the consumer keeps unconsumed bytes. */
	struct ms_framer f;
	size_t skip, start = 0, got = 0;
	bool pong;
	int pongs = 0;
	ms_framer_init(&f, 1024);
	for (size_t end = 1; end <= sizeof two - 1; end++) {
		int n = ms_framer_next(&f, two + start, end - start, &skip, &pong);
		pongs += pong;
		if (n == MS_EAGAIN) {
			start += skip;
			continue;
		}
		ASSERT(n > 0);
		got++;
		start += skip + (size_t)n;
	}
	ASSERT_INT(got, 2);
	ASSERT_INT(start, sizeof two - 1);
	ASSERT_INT(pongs, 1);
}

TEST(frame_errors)
{
	struct ms_framer f;
	size_t skip;
	bool pong;
	ms_framer_init(&f, 0);
	static const char nocl[] = "OPTIONS sip:a@b SIP/2.0\r\nTo: x\r\n\r\n";
	ASSERT_INT(ms_framer_next(&f, nocl, sizeof nocl - 1, &skip, &pong), MS_EBADMSG);
	ASSERT(!strcmp(f.why, "missing Content-Length"));
	ms_framer_init(&f, 0);
	static const char neg[] = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -999\r\n\r\n";
	ASSERT_INT(ms_framer_next(&f, neg, sizeof neg - 1, &skip, &pong), MS_EBADMSG);
	ASSERT(!strcmp(f.why, "bad Content-Length"));
	ms_framer_init(&f, 0);
	static const char two_cl[] = "OPTIONS sip:a@b SIP/2.0\r\nl: 13\r\nContent-Length: 5\r\n\r\n";
	ASSERT_INT(ms_framer_next(&f, two_cl, sizeof two_cl - 1, &skip, &pong), MS_EBADMSG);
	ASSERT(!strcmp(f.why, "conflicting Content-Length values"));
	/* a body over the limit is refused before it arrives */
	ms_framer_init(&f, 100);
	static const char big[] = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 10485760\r\n\r\n";
	ASSERT_INT(ms_framer_next(&f, big, sizeof big - 1, &skip, &pong), MS_EMSGSIZE);
	/* headers that never end are refused once over the limit */
	ms_framer_init(&f, 100);
	char junk[150];
	memset(junk, 'a', sizeof junk);
	ASSERT_INT(ms_framer_next(&f, junk, 90, &skip, &pong), MS_EAGAIN);
	ASSERT_INT(ms_framer_next(&f, junk, sizeof junk, &skip, &pong), MS_EMSGSIZE);
	/* a framed message waits for its whole body (RFC 4475 clerr on TCP) */
	ms_framer_init(&f, 0);
	static const char partial[] = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 9999\r\n\r\nshort";
	ASSERT_INT(ms_framer_next(&f, partial, sizeof partial - 1, &skip, &pong), MS_EAGAIN);
	/* what cannot start a SIP message is refused at its first byte, even
	 * after keep-alives */
	ms_framer_init(&f, 0);
	ASSERT_INT(ms_framer_next(&f, "\r\n\x16\x03\x01", 5, &skip, &pong), MS_EBADMSG);
	ASSERT(!strcmp(f.why, "not a SIP message"));
	ms_framer_init(&f, 0);
	ASSERT_INT(ms_framer_next(&f, " OPTIONS", 8, &skip, &pong), MS_EBADMSG);
	ms_framer_init(&f, 0);
	ASSERT_INT(ms_framer_next(&f, "!odd-method sip:a SIP/2.0", 25, &skip, &pong), MS_EAGAIN);
}

TEST(frame_folded_content_length)
{
	struct ms_framer f;
	size_t skip;
	bool pong;
	ms_framer_init(&f, 0);
	static const char s[] = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length   :\r\n 2\r\n\r\nok";
	ASSERT_INT(ms_framer_next(&f, s, sizeof s - 1, &skip, &pong), (int)sizeof s - 1);
}

/* Found by fuzzing: a caller that does not drop the keep-alive bytes after
 * MS_EAGAIN passes them again; they must not become part of the message. */
TEST(frame_skip_not_consumed)
{
	static const char s[] = "\r\nOPTIONS sip:a SIP/2.0\r\nl: 0\r\n\r\n";
	struct ms_framer f;
	size_t skip;
	bool pong;
	ms_framer_init(&f, 4096);
	ASSERT_INT(ms_framer_next(&f, s, 10, &skip, &pong), MS_EAGAIN);
	ASSERT_INT(skip, 2);
	ASSERT_INT(ms_framer_next(&f, s, sizeof s - 1, &skip, &pong), (int)sizeof s - 3);
	ASSERT_INT(skip, 2);
	ASSERT(!pong);
}
