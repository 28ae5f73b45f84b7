/* slab.c -- where futures live: size-classed slabs kept for reuse.
 *
 * Why: a benchmark or a server submits a burst of thousands of tasks, frees
 * the futures, and does it again. With malloc, the freed burst is trimmed
 * back to the kernel and the next burst faults every page in again, zeroed:
 * on some machines that page fault, not the hand-off, is most of what a
 * task costs. Here a slab that becomes empty is kept as it is, up to
 * KEEP_EMPTY slabs (64 MiB, some 350,000 one-item futures) per size
 * class, and only slabs past that go back to the kernel. (Marking kept
 * slabs MADV_FREE was tried: on a virtual machine each reuse then cost
 * more than the fault it saved.)
 *
 * Layout: a slab is SLAB_BYTES, aligned to SLAB_BYTES, so a block finds its
 * slab by masking its address. The slab's first cache line is its header;
 * blocks follow. A slab hands out blocks from a bump index first, then from
 * the list of blocks freed back to it.
 *
 * Locks: one mutex per size class guards its slabs (their headers, free
 * lists and the class's list of slabs with room). No lock is held across
 * anything but the munmap of a slab of that class.
 *
 * Slabs are not inherited by fork() (MADV_DONTFORK): a child process
 * cannot use the parent's futures. It starts with no slabs (a pthread_atfork
 * handler forgets them, and resets the locks another thread may have held
 * at the fork), so the futures it makes itself work.
 *
 * Blocks past the largest class (a future with big inputs, a big result
 * taken from a worker process) come from malloc, but are kept when freed,
 * up to BIG_KEEP bytes in all, in lists by size rounded up to a sixteenth
 * of its power of two: glibc trims a freed megabyte back to the kernel, and
 * the next one faults in 256 zeroed pages again (a 1 MiB payload through
 * a process pool cost 264 page faults in the parent). One mutex guards
 * those lists.
 *
 * Message buffers (cf_buf, wire.c) live in pages of their own: powers of
 * two from 4 KiB, not inherited by fork, grown by mremap, and kept when
 * freed (up to 1 MiB each, PAGES_KEEP_BYTES in all). A process pool's
 * buffers were malloc's: fresh pages for each pool, and after each fork
 * of a worker a copy-on-write fault on each page the parent wrote next
 * (about 100 faults in the first map of a pool, ~2-3 µs each here). A
 * child of fork has none of these pages: pages_gen tells its buffers from
 * its parent's, which it forgets.
 *
 * Sanitizer builds use malloc, so that AddressSanitizer sees every block.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define SLAB_BYTES (256 * 1024)
#define KEEP_EMPTY 256 /* empty slabs kept per class: 64 MiB, ~520,000 small futures */
#define BIG_KEEP ((size_t)128 << 20) /* bytes of big blocks kept for reuse */

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define USE_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define USE_MALLOC 1
#endif
#endif

typedef struct block {
    struct block *next;
} block;

typedef struct slab {
    struct slab *next, *prev; /* in its class's list of slabs with room */
    struct sclass *cls;
    block *free;   /* blocks freed back */
    uint32_t bump; /* blocks never handed out since the slab was (re)set */
    uint32_t used;
    uint32_t cap;
    int listed;
} slab;
_Static_assert(sizeof(slab) <= 64, "the slab header fits its cache line");

typedef struct sclass {
    pthread_mutex_t mu;
    size_t size;
    slab *room; /* slabs with a free block, most recent first */
    int nempty;
} sclass;

/* 88, then multiples of 64 (blocks stay cache-line aligned). A future of
 * one item with no input is 88 (cf_future 64 + cf_item 24): the many
 * pending futures of a burst would waste a third of a 128-byte block.
 * A map chunk of 64 items with no input is 1600 bytes. */
static sclass classes[] = {
    {PTHREAD_MUTEX_INITIALIZER, 88, NULL, 0},    {PTHREAD_MUTEX_INITIALIZER, 128, NULL, 0},   {PTHREAD_MUTEX_INITIALIZER, 192, NULL, 0},
    {PTHREAD_MUTEX_INITIALIZER, 256, NULL, 0},   {PTHREAD_MUTEX_INITIALIZER, 384, NULL, 0},
    {PTHREAD_MUTEX_INITIALIZER, 768, NULL, 0},   {PTHREAD_MUTEX_INITIALIZER, 1536, NULL, 0},
    {PTHREAD_MUTEX_INITIALIZER, 3072, NULL, 0},  {PTHREAD_MUTEX_INITIALIZER, 4096, NULL, 0},
    {PTHREAD_MUTEX_INITIALIZER, 6144, NULL, 0},  {PTHREAD_MUTEX_INITIALIZER, 12288, NULL, 0},
    {PTHREAD_MUTEX_INITIALIZER, 24576, NULL, 0},
};
#define NCLASSES (sizeof classes / sizeof classes[0])
_Static_assert(CF_SLAB_MAX == 24576, "the largest class is CF_SLAB_MAX");
#define HEADER 64 /* >= sizeof(slab), keeps blocks 8- or 64-byte aligned */

static void unlink_slab(sclass *c, slab *s) {
    if (s->prev)
        s->prev->next = s->next;
    else
        c->room = s->next;
    if (s->next) s->next->prev = s->prev;
    s->next = s->prev = NULL;
    s->listed = 0;
}

static void link_slab(sclass *c, slab *s) {
    s->prev = NULL;
    s->next = c->room;
    if (c->room) c->room->prev = s;
    c->room = s;
    s->listed = 1;
}

static slab *new_slab(sclass *c) {
    /* Twice the size, then trim, for the alignment. */
    unsigned char *m =
        mmap(NULL, 2 * SLAB_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return NULL;
    uintptr_t at = ((uintptr_t)m + SLAB_BYTES - 1) & ~(uintptr_t)(SLAB_BYTES - 1);
    unsigned char *a = (unsigned char *)at;
    if (a > m) munmap(m, (size_t)(a - m));
    if (a + SLAB_BYTES < m + 2 * SLAB_BYTES) munmap(a + SLAB_BYTES, (size_t)(m + SLAB_BYTES - a));
    /* Forked workers never touch a future: without this, every page of
     * the slab would be copy-on-write after each fork of a process pool,
     * and the parent would pay a copy on its next write to each. */
    (void)madvise(a, SLAB_BYTES, MADV_DONTFORK);
    slab *s = (slab *)a;
    s->cls = c;
    s->free = NULL;
    s->bump = s->used = 0;
    s->cap = (uint32_t)((SLAB_BYTES - HEADER) / c->size);
    return s;
}

static sclass *class_for(size_t n) {
#ifdef USE_MALLOC
    (void)n;
    (void)classes;
    return NULL;
#else
    for (size_t i = 0; i < NCLASSES; i++)
        if (n <= classes[i].size) return &classes[i];
    return NULL;
#endif
}

/* Big blocks kept: by size, sixteen lists per power of two from 2^14 up
 * (blocks past the largest class, up to CF_MAX_BYTES and more). */
#define BIG_LISTS (16 * 14)
static struct {
    pthread_mutex_t mu;
    block *list[BIG_LISTS];
    size_t kept; /* bytes in the lists */
} big = {PTHREAD_MUTEX_INITIALIZER, {NULL}, 0};

/* The size a big block of n bytes is given (its list's) and its list's
 * index, or -1 past the last list (then it is not kept). */
static int big_list(size_t n, size_t *size) {
    int lg = 63 - __builtin_clzll((unsigned long long)n); /* 2^lg <= n */
    size_t step = (size_t)1 << (lg - 4);
    *size = (n + step - 1) & ~(step - 1);
    int i = 16 * (lg - 14) + (int)((*size >> (lg - 4)) - 16); /* 16..32 sixteenths */
    return i >= 0 && i < BIG_LISTS ? i : -1;
}

/* The size of list i's blocks (big_list's inverse). */
static size_t big_size(int i) {
    return (size_t)(16 + i % 16) << (i / 16 + 10);
}

static void *big_alloc(size_t n) {
    size_t size;
    int i = big_list(n, &size);
    if (i < 0) return malloc(n);
    pthread_mutex_lock(&big.mu);
    block *b = big.list[i];
    if (b) {
        big.list[i] = b->next;
        big.kept -= size;
    }
    pthread_mutex_unlock(&big.mu);
    return b ? (void *)b : malloc(size);
}

/* Keeps a freed big block; when that passes BIG_KEEP, blocks of other
 * sizes go back to malloc first (what a program moves now matters more
 * than what it moved before), then this one if still too many. */
static void big_free(void *p, size_t n) {
    size_t size;
    int i = big_list(n, &size);
    block *drop = NULL;
    if (i >= 0 && size <= BIG_KEEP) {
        pthread_mutex_lock(&big.mu);
        for (int j = BIG_LISTS - 1; j >= 0 && big.kept + size > BIG_KEEP; j--) {
            while (j != i && big.list[j] && big.kept + size > BIG_KEEP) {
                block *b = big.list[j];
                big.list[j] = b->next;
                big.kept -= big_size(j);
                b->next = drop;
                drop = b;
            }
        }
        if (big.kept + size <= BIG_KEEP) {
            block *b = p;
            b->next = big.list[i];
            big.list[i] = b;
            big.kept += size;
            p = NULL;
        }
        pthread_mutex_unlock(&big.mu);
    }
    free(p);
    while (drop) {
        block *b = drop;
        drop = b->next;
        free(b);
    }
}

/* Message buffers' pages: a list per power of two from 4 KiB to 1 MiB,
 * each at most PAGES_KEEP long and all at most PAGES_KEEP_BYTES. */
#define PAGES_MIN_LG 12
#define PAGES_MAX_LG 20
#define PAGES_KEEP 64
#define PAGES_KEEP_BYTES ((size_t)32 << 20)
static struct {
    pthread_mutex_t mu;
    block *list[PAGES_MAX_LG - PAGES_MIN_LG + 1];
    int count[PAGES_MAX_LG - PAGES_MIN_LG + 1];
    size_t kept;
} pages = {PTHREAD_MUTEX_INITIALIZER, {NULL}, {0}, 0};

static unsigned pages_gen = 1; /* written only in a child of fork, alone */

unsigned cf__pages_gen(void) {
    return pages_gen;
}

#ifndef USE_MALLOC
/* A kept region of 2^lg bytes, or NULL. */
static void *pages_take(int lg) {
    if (lg > PAGES_MAX_LG) return NULL;
    int i = lg - PAGES_MIN_LG;
    pthread_mutex_lock(&pages.mu);
    block *b = pages.list[i];
    if (b) {
        pages.list[i] = b->next;
        pages.count[i]--;
        pages.kept -= (size_t)1 << lg;
    }
    pthread_mutex_unlock(&pages.mu);
    return b;
}

/* The power of two (at least 4 KiB) for n bytes, as its log; -1 if none. */
static int pages_lg(size_t n) {
    int lg = PAGES_MIN_LG;
    while (((size_t)1 << lg) < n)
        if (++lg == 63) return -1;
    return lg;
}

#endif

void *cf__pages_alloc(size_t n, size_t *got) {
#ifdef USE_MALLOC
    *got = n;
    return malloc(n);
#else
    int lg = pages_lg(n);
    if (lg < 0) return NULL;
    size_t size = (size_t)1 << lg;
    void *p = pages_take(lg);
    if (!p) {
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return NULL;
        (void)madvise(p, size, MADV_DONTFORK); /* a fork copies no page of it */
    }
    *got = size;
    return p;
#endif
}

void cf__pages_free(void *p, size_t size) {
#ifdef USE_MALLOC
    (void)size;
    free(p);
#else
    if (!p) return;
    int lg = 63 - __builtin_clzll((unsigned long long)size);
    if (lg <= PAGES_MAX_LG) {
        int i = lg - PAGES_MIN_LG;
        pthread_mutex_lock(&pages.mu);
        if (pages.count[i] < PAGES_KEEP && pages.kept + size <= PAGES_KEEP_BYTES) {
            block *b = p;
            b->next = pages.list[i];
            pages.list[i] = b;
            pages.count[i]++;
            pages.kept += size;
            p = NULL;
        }
        pthread_mutex_unlock(&pages.mu);
    }
    if (p) munmap(p, size);
#endif
}

void *cf__pages_grow(void *p, size_t size, size_t len, size_t n, size_t *got) {
    if (!p) return cf__pages_alloc(n, got);
#ifdef USE_MALLOC
    (void)size, (void)len;
    void *q = realloc(p, n);
    if (q) *got = n;
    return q;
#else
    int lg = pages_lg(n);
    if (lg < 0) return NULL;
    void *q = pages_take(lg); /* its pages are in: copying costs less than faulting */
    if (q) {
        memcpy(q, p, len);
        cf__pages_free(p, size);
    } else {
        q = mremap(p, size, (size_t)1 << lg, MREMAP_MAYMOVE); /* DONTFORK moves too */
        if (q == MAP_FAILED) return NULL;
    }
    *got = (size_t)1 << lg;
    return q;
#endif
}

/* In the child of a fork: the slabs and kept pages were not copied
 * (MADV_DONTFORK). The big blocks were (malloc's), but another thread may
 * have held the lock. */
static void forget_slabs(void) {
    for (size_t i = 0; i < NCLASSES; i++) {
        classes[i].mu = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
        classes[i].room = NULL;
        classes[i].nempty = 0;
    }
    big.mu = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    memset(&pages, 0, sizeof pages);
    pages.mu = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    pages_gen++;
}

__attribute__((constructor)) static void slab_init(void) {
#ifndef USE_MALLOC
    pthread_atfork(NULL, NULL, forget_slabs); /* fails only out of memory: then as before */
#else
    (void)forget_slabs;
#endif
}

void *cf__block_alloc(size_t n) {
    sclass *c = class_for(n);
#ifndef USE_MALLOC
    if (!c) return big_alloc(n);
#else
    (void)big_alloc;
    if (!c) return malloc(n);
#endif
    pthread_mutex_lock(&c->mu);
    slab *s = c->room;
    if (!s) {
        s = new_slab(c);
        if (!s) {
            pthread_mutex_unlock(&c->mu);
            return NULL;
        }
        link_slab(c, s);
        c->nempty++;
    }
    if (s->used == 0) c->nempty--;
    void *p;
    if (s->free) {
        p = s->free;
        s->free = s->free->next;
    } else {
        p = (unsigned char *)s + HEADER + (size_t)s->bump++ * c->size;
    }
    if (++s->used == s->cap) unlink_slab(c, s);
    pthread_mutex_unlock(&c->mu);
    return p;
}

void cf__block_free(void *p, size_t n) {
    if (!p) return;
    sclass *c = class_for(n);
    if (!c) {
#ifndef USE_MALLOC
        big_free(p, n);
#else
        (void)big_free;
        free(p);
#endif
        return;
    }
    slab *s = (slab *)((uintptr_t)p & ~(uintptr_t)(SLAB_BYTES - 1));
    pthread_mutex_lock(&c->mu);
    block *k = p;
    k->next = s->free;
    s->free = k;
    if (!s->listed) link_slab(c, s);
    if (--s->used == 0) {
        if (c->nempty >= KEEP_EMPTY) {
            unlink_slab(c, s);
            pthread_mutex_unlock(&c->mu);
            munmap(s, SLAB_BYTES);
            return;
        }
        /* Empty: kept for the next burst, from its bump index again. */
        c->nempty++;
        s->free = NULL;
        s->bump = 0;
    }
    pthread_mutex_unlock(&c->mu);
}
