/* heap.h: heap use of this process, by malloc interposition in the binary.
 * Contract: bench/heap.c defines malloc/free/calloc/realloc/memalign & co. on top of glibc's
 * __libc_* functions, so every allocation of the process (libssl, libwolfssl, libcoap, ours)
 * is counted, by its usable size (what the allocator really reserved). This is the one piece
 * of process-global state in secbench: a heap is per process by nature. Built with
 * -DSB_NO_HEAP_HOOK (ASan/UBSan builds, where the sanitizer owns malloc) it counts nothing
 * and sb_heap_hooked() is 0, so rows report heap as null. */
#ifndef SB_HEAP_H
#define SB_HEAP_H

#include <stdint.h>

int sb_heap_hooked(void);
int64_t sb_heap_in_use(void);  /* bytes allocated now */
void sb_heap_peak_reset(void); /* peak := in use now */
int64_t sb_heap_peak(void);    /* highest in-use value since the last reset */

#endif
