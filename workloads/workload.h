/* workload.h -- the small interface every workload implements.
 *
 * A workload turns a size into a list of task inputs (prepare), names the
 * registered cf_task that runs one input, and checks a run's results,
 * reducing them to a digest that must be equal in every mode (verify). The
 * harness hands the inputs to any executor from lib/ unchanged. It knows
 * lib/ only through cfutures.h.
 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stddef.h>

#include "../lib/cfutures.h"

typedef enum wl_size { WL_QUICK = 0, WL_DEFAULT = 1, WL_BLOG = 2 } wl_size;

/* "quick", "default", "blog". */
const char *wl_size_name(wl_size s);

/* Parses a size name; returns 0 and sets *out, or -1. */
int wl_size_parse(const char *name, wl_size *out);

/* What the harness tells a workload; zero it and set what applies. */
typedef struct wl_params {
    wl_size size;
    const char *out_dir;     /* download: folder the files go to (made if
                                missing); NULL: "downloads" */
    const char *const *urls; /* download: real URLs to fetch instead of the
                                embedded server's; NULL: embedded server */
    size_t nurls;
    const char *base_url;         /* download without urls: the running
                                     loopback server to fetch from */
    unsigned long long max_bytes; /* download: largest file; 0: no limit */
} wl_params;

/* A prepared run: what prepare() builds and release() frees. */
typedef struct wl_plan {
    const cf_task *task; /* the registered task that runs one input */
    size_t n;            /* number of tasks */
    void **in;           /* n inputs, owned by the plan */
    size_t *in_len;
    char label[96]; /* the size in words: "16 files x 256 KiB" */
    void *state;    /* the workload's own (e.g. the server child) */
} wl_plan;

/* One task's outcome as the harness collected it (borrowed pointers). */
typedef struct wl_result {
    int status;       /* 0: ok; else the task's status or a CF_E* code */
    const void *data; /* result bytes when status == 0 */
    size_t len;
    const char *msg; /* failure message, "" if none */
} wl_result;

typedef struct workload {
    const char *name; /* "download", "hash", "prime" */

    /* Builds the task list for p->size into *plan (zeroed by the caller).
     * Returns 0, or -1 with a one-line reason in err. On failure the plan
     * holds nothing that needs release(). */
    int (*prepare)(const wl_params *p, wl_plan *plan, char *err, size_t errlen);

    /* Checks res[0..plan->n) (in input order), counts failed tasks into
     * *failed and writes the run's digest (64 hex digits + NUL) to digest.
     * Returns 0 if every successful result is right, -1 with the reason in
     * err if one is wrong (a wrong result is worse than a failed task). */
    int (*verify)(const wl_plan *plan, const wl_result *res, char digest[65], size_t *failed,
                  char *err, size_t errlen);

    /* async mode, or NULL where the workload has none: runs every task of
     * the plan from the calling thread, at most max_concurrent at once (0:
     * all), filling res[0..n) (the bytes stay valid until release()).
     * With times (n entries, the caller's) it traces each task: submit
     * (the call's start), start (transfer begun), end and collect
     * (transfer done) and worker (its transfer slot); NULL: not traced.
     * Returns 0, or -1 with err set if the run could not start at all. */
    int (*run_async)(wl_plan *plan, int max_concurrent, wl_result *res, cf_times *times, char *err,
                     size_t errlen);

    /* Frees what prepare() built and stops what it started. Safe on a
     * zeroed plan. */
    void (*release)(wl_plan *plan);
} workload;

/* Registers every workload's task with cf_task_register(); call once before
 * creating process pools. Returns 0, a CF_E* code or -errno (cfutures.h). */
int workloads_init(void);

/* The workload called `name`, or NULL. */
const workload *workload_find(const char *name);

/* All workloads, NULL-terminated, in the order download, hash, prime. */
const workload *const *workload_all(void);

/* The common digest: SHA-256 over, for each task in order, its index, its
 * status (0 or failed) and its result bytes; as 64 hex digits + NUL. */
void wl_digest(const wl_result *res, size_t n, char digest[65]);

/* Helpers for prepare(): allocate plan->in / in_len for n inputs (zeroed),
 * and set input i to a copy of data[0..len). Return 0 or -1 (no memory). */
int wl_plan_alloc(wl_plan *plan, size_t n);
int wl_plan_set(wl_plan *plan, size_t i, const void *data, size_t len);

/* mkdir -p: makes dir and its missing parents (0777 less the umask).
 * Returns 0, or -1 with errno set (ENOTDIR: a part is not a folder). */
int wl_make_dirs(const char *dir);

/* Frees plan->in and in_len and zeroes them; safe on a zeroed plan. */
void wl_plan_free_inputs(wl_plan *plan);

#endif
