/* executor.c -- the executor API common to every kind: create, submit,
 * shut down, free; each kind supplies its cf_ops. */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

const char *cf_kind_name(cf_kind kind) {
    switch (kind) {
    case CF_SEQUENTIAL: return "seq";
    case CF_THREAD: return "thread";
    case CF_PROCESS: return "process";
    case CF_MPI: return "mpi";
    }
    return "unknown";
}

static int usable_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int cf_default_workers(cf_kind kind) {
    int cpus = usable_cpus();
    switch (kind) {
    case CF_SEQUENTIAL: return 1;
    case CF_THREAD: return cpus + 4 < 32 ? cpus + 4 : 32;
    case CF_PROCESS: return cpus;
    case CF_MPI: return cpus; /* the MPI pool prefers the universe size */
    }
    return 1;
}

int (*cf__mpi_new)(const cf_options *o, cf_executor **out);

int cf_executor_new(cf_kind kind, const cf_options *opts, cf_executor **out) {
    cf_options o = CF_OPTIONS_INIT;
    if (!out) return CF_EINVAL;
    *out = NULL;
    if (opts) o = *opts;
    if (o.max_workers < 0 || o.max_workers > 4096 || o.max_tasks_per_child < 0) return CF_EINVAL;
    if (o.task_timeout != o.task_timeout || !(o.gil_interval >= 0)) return CF_EINVAL; /* NaN */
    if (!cf_start_method_name(o.start_method)) return CF_EINVAL;
    if (o.initarg_len > CF_FORKSERVER_MAX_INITARG ||
        (o.start_method == CF_START_FORKSERVER && o.initarg && !o.initarg_len))
        return CF_EINVAL;
    if (o.max_workers == 0 && kind != CF_MPI) o.max_workers = cf_default_workers(kind);
    int r = CF_EINVAL;
    switch (kind) {
    case CF_SEQUENTIAL: r = cf__seq_new(&o, out); break;
    case CF_THREAD: r = cf__thread_new(&o, out); break;
    case CF_PROCESS: r = cf__process_new(&o, out); break;
    case CF_MPI: r = cf__mpi_new ? cf__mpi_new(&o, out) : CF_EINVAL; break;
    }
    return r;
}

/* Called by each kind's constructor once its struct exists, before any
 * worker starts: settles what every kind reads the same way. */
void cf__executor_init(cf_executor *ex, cf_kind kind, int nworkers, const cf_options *o,
                       const cf_ops *ops) {
    ex->kind = kind;
    ex->nworkers = nworkers;
    ex->opts = *o;
    ex->ops = ops;
    atomic_init(&ex->started_by, CF_START_AUTO);
    atomic_init(&ex->unseen_user_ns, 0);
    atomic_init(&ex->unseen_sys_ns, 0);
    double t = o->task_timeout;
    ex->task_timeout_ns = t <= 0 || t > 1e9 ? 0 : (int64_t)(t * 1e9);
    if (ex->task_timeout_ns == 0 && t > 0 && t <= 1e9) ex->task_timeout_ns = 1;
    const char *prefix = o->thread_name_prefix;
    if (!prefix) prefix = kind == CF_PROCESS ? "cf-proc" : kind == CF_MPI ? "cf-mpi" : "cf-thread";
    snprintf(ex->name, sizeof ex->name, "%s", prefix);
    ex->opts.thread_name_prefix = ex->name;
}

void cf__worker_name(const cf_executor *ex, int index, char name[16]) {
    char full[32] = {0}; /* all 15 bytes copied below are defined */
    snprintf(full, sizeof full, "%s-%d", ex->name, index);
    memcpy(name, full, 15); /* the kernel's limit: 15 bytes and a NUL */
    name[15] = '\0';
}

void cf__name_thread(const cf_executor *ex, int index) {
    char name[16];
    cf__worker_name(ex, index, name);
    pthread_setname_np(pthread_self(), name); /* cosmetic: failure is harmless */
}

static int signal_workers(cf_executor *ex, int sig) {
    if (!ex) return CF_EINVAL;
    if (!ex->ops->signal_workers) return CF_EINVAL;
    return ex->ops->signal_workers(ex, sig);
}

int cf_executor_terminate_workers(cf_executor *ex) {
    return signal_workers(ex, SIGTERM);
}

int cf_executor_kill_workers(cf_executor *ex) {
    return signal_workers(ex, SIGKILL);
}

const char *cf_start_method_name(cf_start_method m) {
    switch (m) {
    case CF_START_AUTO: return "auto";
    case CF_START_FORK: return "fork";
    case CF_START_FORKSERVER: return "forkserver";
    }
    return NULL;
}

int cf_executor_unseen_cpu(const cf_executor *ex, int64_t *user_ns, int64_t *sys_ns) {
    if (!ex || !user_ns || !sys_ns) return CF_EINVAL;
    *user_ns = atomic_load(&ex->unseen_user_ns);
    *sys_ns = atomic_load(&ex->unseen_sys_ns);
    return 0;
}

cf_start_method cf_executor_start_method(const cf_executor *ex) {
    return ex ? (cf_start_method)atomic_load(&ex->started_by) : CF_START_AUTO;
}

cf_kind cf_executor_kind(const cf_executor *ex) {
    return ex->kind;
}
int cf_executor_workers(const cf_executor *ex) {
    return ex->nworkers;
}

int cf_executor_shutdown(cf_executor *ex, int wait, int cancel_futures) {
    if (!ex) return CF_EINVAL;
    /* Waiting for our own thread to end would never return. */
    if (wait && ((cf__self && cf__self->ex == ex) || cf__manager_of == ex)) return CF_EDEADLK;
    return ex->ops->shutdown(ex, wait, cancel_futures);
}

void cf_executor_free(cf_executor *ex) {
    if (!ex) return;
    ex->ops->shutdown(ex, 1, 0);
    ex->ops->destroy(ex);
}

int cf__submit_future(cf_executor *ex, cf_future *f) {
    if (f->traced) cf__trace(f)->times.submit = cf_now_ns();
    /* The executor's reference, dropped when done. No other thread sees f
     * before ops->submit publishes it: a plain store, not a locked add. */
    int refs = atomic_load_explicit(&f->refs, memory_order_relaxed);
    atomic_store_explicit(&f->refs, refs + 1, memory_order_relaxed);
    int r = ex->ops->submit(ex, f);
    if (r) atomic_store_explicit(&f->refs, refs, memory_order_relaxed);
    return r;
}

int cf__submit_futures(cf_executor *ex, cf_future *const *fs, size_t n, size_t *done) {
    *done = 0;
    if (!ex->ops->submit_many) {
        for (; *done < n; ++*done) {
            int r = cf__submit_future(ex, fs[*done]);
            if (r) return r;
        }
        return 0;
    }
    int64_t now = ex->opts.trace ? cf_now_ns() : 0;
    for (size_t i = 0; i < n; i++) { /* unshared yet: plain stores, as above */
        if (fs[i]->traced) cf__trace(fs[i])->times.submit = now;
        int refs = atomic_load_explicit(&fs[i]->refs, memory_order_relaxed);
        atomic_store_explicit(&fs[i]->refs, refs + 1, memory_order_relaxed);
    }
    int r = ex->ops->submit_many(ex, fs, n);
    if (r) {
        for (size_t i = 0; i < n; i++) {
            int refs = atomic_load_explicit(&fs[i]->refs, memory_order_relaxed);
            atomic_store_explicit(&fs[i]->refs, refs - 1, memory_order_relaxed);
        }
        return r;
    }
    *done = n;
    return 0;
}

int cf_submit(cf_executor *ex, const cf_task *task, const void *in, size_t in_len,
              cf_future **out) {
    if (!out) return CF_EINVAL;
    *out = NULL;
    if (!ex || !task || (!in && in_len)) return CF_EINVAL;
    if (in_len > CF_MAX_BYTES) return CF_ETOOBIG;
    const void *ins[1] = {in};
    cf_future *f = cf__future_new(ex, task, 1, ins, &in_len);
    if (!f) return CF_ENOMEM;
    int r = cf__submit_future(ex, f);
    if (r) {
        cf__future_unref(f);
        return r;
    }
    *out = f;
    return 0;
}
