/* seq.c -- the sequential executor: each task runs in the caller, inside
 * cf_submit, with no threads at all; the baseline of every speedup. */
#include <stdlib.h>

#include "internal.h"

typedef struct seq {
    cf_executor ex;
    atomic_int shut;
    int broken; /* the initializer failed */
} seq;

static int seq_submit(cf_executor *ex, cf_future *f) {
    seq *s = (seq *)ex;
    if (atomic_load(&s->shut)) return CF_ESHUTDOWN;
    if (s->broken) return CF_EBROKEN;
    cf__future_start(f, 0);
    cf__future_finish(f, cf__run_items(f), NULL);
    cf__future_unref(f);
    return 0;
}

static int seq_shutdown(cf_executor *ex, int wait, int cancel) {
    (void)wait;
    (void)cancel;
    atomic_store(&((seq *)ex)->shut, 1);
    return 0;
}

static void seq_destroy(cf_executor *ex) {
    free(ex);
}

static const cf_ops seq_ops = {
    .submit = seq_submit, .shutdown = seq_shutdown, .destroy = seq_destroy};

int cf__seq_new(const cf_options *o, cf_executor **out) {
    seq *s = calloc(1, sizeof *s);
    if (!s) return CF_ENOMEM;
    cf__executor_init(&s->ex, CF_SEQUENTIAL, 1, o, &seq_ops);
    atomic_init(&s->shut, 0);
    /* Its one "worker" is the caller: the initializer runs now, once. */
    if (o->initializer && o->initializer(o->initarg)) s->broken = 1;
    *out = &s->ex;
    return 0;
}
