#include "heap.h"

#ifdef SB_NO_HEAP_HOOK
int sb_heap_hooked(void) { return 0; }
int64_t sb_heap_in_use(void) { return 0; }
void sb_heap_peak_reset(void) {}
int64_t sb_heap_peak(void) { return 0; }
#else

#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static int64_t in_use, peak;

static void account(int64_t delta)
{
    int64_t now = __atomic_add_fetch(&in_use, delta, __ATOMIC_RELAXED);
    int64_t p = __atomic_load_n(&peak, __ATOMIC_RELAXED);
    while (now > p && !__atomic_compare_exchange_n(&peak, &p, now, 1, __ATOMIC_RELAXED,
                                                   __ATOMIC_RELAXED)) {}
}

int sb_heap_hooked(void) { return 1; }
int64_t sb_heap_in_use(void) { return __atomic_load_n(&in_use, __ATOMIC_RELAXED); }
void sb_heap_peak_reset(void) { __atomic_store_n(&peak, sb_heap_in_use(), __ATOMIC_RELAXED); }
int64_t sb_heap_peak(void) { return __atomic_load_n(&peak, __ATOMIC_RELAXED); }

void *malloc(size_t n)
{
    void *p = __libc_malloc(n);
    if (p) account((int64_t)malloc_usable_size(p));
    return p;
}

void free(void *p)
{
    if (!p) return;
    account(-(int64_t)malloc_usable_size(p));
    __libc_free(p);
}

void *calloc(size_t a, size_t b)
{
    void *p = __libc_calloc(a, b);
    if (p) account((int64_t)malloc_usable_size(p));
    return p;
}

void *realloc(void *old, size_t n)
{
    int64_t before = old ? (int64_t)malloc_usable_size(old) : 0;
    void *p = __libc_realloc(old, n);
    if (p) account((int64_t)malloc_usable_size(p) - before);
    else if (old && n == 0) account(-before); /* realloc(p, 0) freed it */
    return p;
}

void *memalign(size_t align, size_t n)
{
    void *p = __libc_memalign(align, n);
    if (p) account((int64_t)malloc_usable_size(p));
    return p;
}

void *aligned_alloc(size_t align, size_t n)
{
    return memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    if (align < sizeof(void *) || (align & (align - 1))) return EINVAL;
    void *p = memalign(align, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

void *valloc(size_t n)
{
    return memalign((size_t)sysconf(_SC_PAGESIZE), n);
}

void *pvalloc(size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    return memalign(pg, (n + pg - 1) & ~(pg - 1));
}
#endif
