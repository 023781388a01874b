/* The unit test harness: one runner binary, one ctest entry per TEST().
 * A test fails on the first failed ASSERT, or when it leaves heap blocks
 * allocated by moonsip behind. */
#ifndef MS_TEST_H
#define MS_TEST_H

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "moonsip/base.h"

typedef void (*ms_test_fn)(void);
void ms_test_register(const char *name, ms_test_fn fn);
void ms_test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

#define TEST(name)                                                     \
	static void test_##name(void);                                 \
	__attribute__((constructor)) static void register_##name(void) \
	{                                                              \
		ms_test_register(#name, test_##name);                  \
	}                                                              \
	static void test_##name(void)

#define ASSERT(cond)                                                   \
	do {                                                           \
		if (!(cond))                                           \
			ms_test_fail(__FILE__, __LINE__, "%s", #cond); \
	} while (0)

#define ASSERT_INT(a, b)                                                                           \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_)                                                                      \
			ms_test_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, a_, b_); \
	} while (0)

/* A slice equal to a string literal (or any NUL-terminated string). */
#define ASSERT_STR(slice, z)                                                                        \
	do {                                                                                        \
		struct ms_str s_ = (slice);                                                         \
		const char *z_ = (z);                                                               \
		if (s_.len != strlen(z_) || (s_.len && memcmp(s_.s, z_, s_.len)))                   \
			ms_test_fail(__FILE__, __LINE__, "%s == \"%.*s\", expected \"%s\"", #slice, \
				     (int)s_.len, s_.s ? s_.s : "", z_);                            \
	} while (0)

/* Runs a libev loop until a callback breaks it or 'secs' pass (loop.c). */
struct ev_loop;
void ms_test_run_bounded(struct ev_loop *loop, double secs);

/* Helpers for tests that read files under tests/. */
char *ms_test_read(const char *relpath, size_t *len);
const char *ms_test_dir(void);

#endif
