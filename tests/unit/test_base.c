#include "base/alloc.h"
#include "test.h"

TEST(str_to_u32)
{
	uint32_t v = 7;
	ASSERT_INT(ms_str_to_u32(MS_STR("0068"), 255, &v), 0);
	ASSERT_INT(v, 68);
	ASSERT_INT(ms_str_to_u32(MS_STR("4294967295"), UINT32_MAX, &v), 0);
	ASSERT_INT(v, 4294967295u);
	ASSERT_INT(ms_str_to_u32(MS_STR("4294967296"), UINT32_MAX, &v), MS_ERANGE);
	ASSERT_INT(ms_str_to_u32(MS_STR("36893488147419103232"), UINT32_MAX, &v), MS_ERANGE);
	ASSERT_INT(ms_str_to_u32(MS_STR("256"), 255, &v), MS_ERANGE);
	ASSERT_INT(ms_str_to_u32(MS_STR("-1"), 255, &v), MS_EBADMSG);
	ASSERT_INT(ms_str_to_u32(MS_STR("99999999999x"), 255, &v), MS_EBADMSG);
	ASSERT_INT(ms_str_to_u32(MS_STR(""), 255, &v), MS_EBADMSG);
}

TEST(str_compare)
{
	ASSERT(ms_str_ieq(MS_STR("Call-ID"), MS_STR("cALL-id")));
	ASSERT(!ms_str_ieq(MS_STR("Call-ID"), MS_STR("Call-IDs")));
	ASSERT(ms_str_eq(MS_STR("abc"), MS_STR("abc")));
	ASSERT(!ms_str_eq(MS_STR("abc"), MS_STR("abC")));
	ASSERT(ms_str_ieqz(MS_STR("TRANSPORT"), "transport"));
	ASSERT(ms_str_eq(MS_STR_NULL, MS_STR("")));
}

TEST(buf_grows_and_formats)
{
	struct ms_buf b;
	ms_buf_init(&b);
	for (int i = 0; i < 1000; i++)
		ASSERT_INT(ms_buf_printf(&b, "%d,", i % 10), 0);
	ASSERT_INT(b.len, 2000);
	ASSERT(!memcmp(b.data, "0,1,2,", 6));
	ASSERT_INT(ms_buf_addz(&b, "end"), 0);
	ASSERT_STR(((struct ms_str){ b.data + 2000, b.len - 2000 }), "end");
	ms_buf_free(&b);
	ASSERT(b.data == NULL && b.len == 0);
}

TEST(alloc_counts_live_blocks)
{
	struct ms_mem_stats a, b, c;
	ms_mem_stats(&a);
	void *p = ms__malloc(100);
	p = ms__realloc(p, 1000);
	ms_mem_stats(&b);
	ASSERT_INT(b.live_blocks - a.live_blocks, 1);
	ASSERT_INT(b.live_bytes - a.live_bytes, 1000);
	ms__free(p);
	ms_mem_stats(&c);
	ASSERT_INT(c.live_blocks, a.live_blocks);
	ASSERT_INT(c.live_bytes, a.live_bytes);
	ASSERT(ms__malloc(SIZE_MAX) == NULL);
}

TEST(error_names)
{
	ASSERT(!strcmp(ms_strerror(MS_EBADMSG), "malformed message"));
	ASSERT(!strcmp(ms_strerror(MS_ENOMEM), "out of memory"));
	ASSERT(!strcmp(ms_strerror(12345), "unknown error"));
	/* a system call's error passed on as -errno (a refused UDP send) */
	ASSERT(!strcmp(ms_strerror(-ECONNREFUSED), strerror(ECONNREFUSED)));
	ASSERT(ms_version()[0] >= '0' && ms_version()[0] <= '9');
}

/* ms_buf_printf formats into the room there is, and again when it is too
 * little: short and long values both come out whole. */
TEST(buf_printf_grows)
{
	struct ms_buf b;
	ms_buf_init(&b);
	char big[3000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	ASSERT_INT(ms_buf_printf(&b, "%s=%d;", "a", 1), 0);
	ASSERT_INT(ms_buf_printf(&b, "%s", big), 0);
	ASSERT_INT(ms_buf_printf(&b, ";%u", 42u), 0);
	ASSERT_INT(b.len, 4 + sizeof big - 1 + 3);
	ASSERT(!memcmp(b.data, "a=1;xxx", 7));
	ASSERT(!memcmp(b.data + b.len - 4, "x;42", 4));
	ASSERT_INT(b.data[b.len], 0);
	ms_buf_free(&b);
}
