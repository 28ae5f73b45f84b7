/* threads.c -- the library's own threads, counted, so that a process pool
 * can tell whether a fork would copy a lock another thread holds.
 *
 * fork() copies every mutex as it was at that instant, held or not, into a
 * child that has only the forking thread: a lock held by any other thread
 * stays held there for ever. The library's own threads (pool workers and
 * managers) hold none of the program's locks, and the library's own locks
 * are reset in children (slab.c, worker.c), so only the program's threads
 * make a fork unsafe. Every thread the library starts goes through
 * cf__thread_start, which counts it until its function returns; the
 * process's total comes from /proc/self/stat. Counting errs one way only:
 * a thread that has returned but not yet left the kernel's count is taken
 * for the program's, which chooses the fork server, never the fork.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "xio.h"

static atomic_int own; /* threads started here whose function has not returned */

typedef struct start {
    void *(*fn)(void *);
    void *arg;
} start;

static void *counted(void *p) {
    start s = *(start *)p;
    free(p);
    void *r = s.fn(s.arg);
    atomic_fetch_sub(&own, 1);
    return r;
}

/* A child of fork() has only the thread that forked. */
static void child_has_none(void) {
    atomic_store(&own, 0);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void register_atfork(void) {
    pthread_atfork(NULL, NULL, child_has_none); /* fails only out of memory: counts err safe */
}

int cf__thread_start(pthread_t *t, void *(*fn)(void *), void *arg) {
    pthread_once(&once, register_atfork);
    start *s = malloc(sizeof *s);
    if (!s) return ENOMEM;
    s->fn = fn;
    s->arg = arg;
    atomic_fetch_add(&own, 1);
    int e = pthread_create(t, NULL, counted, s);
    if (e) {
        atomic_fetch_sub(&own, 1);
        free(s);
    }
    return e;
}

/* The process's thread count: field 20 of /proc/self/stat; -1 if unknown. */
static int threads_total(void) {
    char buf[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n;
    n = cf__xread(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold anything */
    if (!p) return -1;
    for (int field = 2; field < 20 && p; field++) /* field 2 ends at ')' */
        p = strchr(p + 1, ' ');
    if (!p) return -1;
    long v = strtol(p + 1, NULL, 10);
    return v > 0 && v < (1L << 30) ? (int)v : -1;
}

#if defined(__SANITIZE_THREAD__)
/* ThreadSanitizer's runtime runs one or two threads of its own (one from
 * the process's first pthread_create, one more in a child of fork), made
 * by clone, not pthread_create: each blocks every signal it can and keeps
 * the process's name, where the library names its own "cf-...". Only TSan
 * builds count this way (a program thread that blocks every signal and
 * keeps the name would be taken for the runtime's). */
static int runtime_threads(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[64], buf[2048];
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "/proc/self/task/%.20s/comm", e->d_name);
        FILE *f = fopen(path, "re");
        if (!f) continue;
        int named = fgets(buf, sizeof buf, f) && strncmp(buf, "cf-", 3) == 0;
        fclose(f);
        snprintf(path, sizeof path, "/proc/self/task/%.20s/status", e->d_name);
        if (named || !(f = fopen(path, "re"))) continue;
        unsigned long long blk = 0;
        while (fgets(buf, sizeof buf, f))
            if (sscanf(buf, "SigBlk: %llx", &blk) == 1) break;
        fclose(f);
        n += blk == 0xfffffffe7ffbfeffull;
    }
    closedir(d);
    return n;
}
#else
static int runtime_threads(void) {
    return 0;
}
#endif

int cf__other_threads(void) {
    int total = threads_total();
    if (total < 0) return -1;
    int others = total - 1 - runtime_threads() - atomic_load(&own);
    return others > 0 ? others : 0;
}
