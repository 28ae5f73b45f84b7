/* submit_map.c -- the executor's two ways in, on every kind: submit a task
 * and wait for its future, then map a task over inputs with a chunksize.
 * The same registered task runs in the caller, on threads and in forked
 * processes; only cf_executor_new's first argument changes.
 *
 * build/examples/submit_map */
#include <stdio.h>
#include <string.h>

#include <cfutures.h>

/* Bytes in, bytes out: a long in, its square out. */
static int square(const void *in, size_t len, cf_out *out) {
    long x;
    if (len != sizeof x) {
        cf_out_error(out, "want %zu bytes, got %zu", sizeof x, len);
        return 1;
    }
    memcpy(&x, in, sizeof x);
    x *= x;
    return cf_out_set(out, &x, sizeof x);
}

int main(void) {
    /* Register before any process pool forks: workers know what the
     * parent knew. */
    const cf_task *t = cf_task_register("square", square);
    const cf_kind kinds[] = {CF_SEQUENTIAL, CF_THREAD, CF_PROCESS};
    for (size_t k = 0; k < 3; k++) {
        cf_executor *ex;
        if (cf_executor_new(kinds[k], NULL, &ex) != 0) return 1;
        printf("%-7s (%d workers): ", cf_kind_name(kinds[k]), cf_executor_workers(ex));

        /* submit(pow, 323, 1235) in the blog; here 323 squared. */
        long x = 323;
        cf_future *f;
        const void *r;
        if (cf_submit(ex, t, &x, sizeof x, &f) != 0) return 1;
        if (cf_future_result(f, CF_FOREVER, &r, NULL) == 0)
            printf("submit: %ld; ", *(const long *)r);
        cf_future_free(f);

        /* map over 1..10, two inputs a message; results in input order. */
        long in[10];
        const void *ptr[10];
        size_t len[10];
        for (int i = 0; i < 10; i++) {
            in[i] = i + 1;
            ptr[i] = &in[i];
            len[i] = sizeof in[i];
        }
        cf_map_options mo = CF_MAP_OPTIONS_INIT;
        mo.chunksize = 2;
        cf_map_iter *m;
        if (cf_map_array(ex, t, ptr, len, 10, &mo, &m) != 0) return 1;
        printf("map:");
        while (cf_map_next(m, &r, NULL) == 0)
            printf(" %ld", *(const long *)r);
        printf("\n");
        cf_map_free(m);
        cf_executor_free(ex); /* the end of a `with` block: shutdown(wait) */
    }
    return 0;
}
