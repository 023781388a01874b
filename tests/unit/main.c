#include <stdarg.h>
#include <stdlib.h>

#include "test.h"

#define MAX_TESTS 1024

static struct {
	const char *name;
	ms_test_fn fn;
} tests[MAX_TESTS];
static int ntests;
static jmp_buf fail_jmp;

void ms_test_register(const char *name, ms_test_fn fn)
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "too many tests\n");
		exit(2);
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	ntests++;
}

void ms_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	longjmp(fail_jmp, 1);
}

const char *ms_test_dir(void)
{
	const char *d = getenv("MS_TEST_DIR");
	return d ? d : MS_TEST_SOURCE_DIR;
}

char *ms_test_read(const char *relpath, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", ms_test_dir(), relpath);
	FILE *f = fopen(path, "rb");
	if (!f)
		ms_test_fail(__FILE__, __LINE__, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	/* Exactly n bytes of heap, so ASan catches any read past the end. */
	char *p = malloc(n ? (size_t)n : 1);
	if (!p || fread(p, 1, (size_t)n, f) != (size_t)n)
		ms_test_fail(__FILE__, __LINE__, "cannot read %s", path);
	fclose(f);
	*len = (size_t)n;
	return p;
}

static int run(int i)
{
	struct ms_mem_stats before, after;
	ms_mem_stats(&before);
	if (setjmp(fail_jmp)) {
		printf("FAIL %s\n", tests[i].name);
		return 1;
	}
	tests[i].fn();
	ms_mem_stats(&after);
	if (after.live_blocks != before.live_blocks) {
		printf("FAIL %s: leaked %lld blocks (%lld bytes)\n", tests[i].name,
		       (long long)(after.live_blocks - before.live_blocks),
		       (long long)(after.live_bytes - before.live_bytes));
		return 1;
	}
	printf("ok   %s\n", tests[i].name);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (int i = 0; i < ntests; i++)
			puts(tests[i].name);
		return 0;
	}
	int passed = 0, failed = 0;
	for (int i = 0; i < ntests; i++) {
		bool wanted = argc < 2;
		for (int a = 1; a < argc; a++)
			if (strcmp(argv[a], tests[i].name) == 0)
				wanted = true;
		if (!wanted)
			continue;
		if (run(i))
			failed++;
		else
			passed++;
	}
	if (passed + failed == 0) {
		fprintf(stderr, "no test matched\n");
		return 2;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
