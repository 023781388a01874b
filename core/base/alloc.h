/* Internal allocation wrappers: every heap block moonsip takes goes through
 * these, so tests can fail on leaks and benchmarks can report memory. */
#ifndef MS_CORE_ALLOC_H
#define MS_CORE_ALLOC_H

#include <stddef.h>

void *ms__malloc(size_t n);
void *ms__calloc(size_t count, size_t n);
void *ms__realloc(void *p, size_t n);
void ms__free(void *p);

#endif
