/* map.c -- cf_map_iter: a task over many inputs, results in input order.
 *
 * Inputs are grouped into chunks of `chunksize`; each chunk is one future
 * (one message to a worker process). Chunks wait in a FIFO in input order;
 * cf_map_next walks the front chunk item by item. With buffersize > 0 at
 * most that many chunks are in flight and inputs are read only as results
 * are consumed, so memory stays flat however long the input is. The future
 * whose item was returned last is kept until the next call, because the
 * returned bytes live in it.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "wire.h"

struct cf_map_iter {
    cf_executor *ex;
    const cf_task *task;
    cf_input_fn input;
    void *arg;
    int stable; /* inputs stay valid (cf_map_array): no scratch copy */
    int chunksize, buffersize;
    int64_t deadline;
    /* FIFO of submitted chunks: at(m, i), i < qlen. qcap is a power of
     * two, so that a mask, not a division, wraps an index. */
    cf_future **q;
    size_t qhead, qlen, qcap;
    size_t pos;       /* next item in the front chunk */
    size_t base;      /* input index of the front chunk's first item */
    cf_future *spent; /* the chunk of the last item returned */
    size_t next_in;   /* inputs read so far */
    int in_done, in_err;
    int over; /* the deadline passed: iteration ended, as in Python */
    size_t index;
    /* The times of the item returned last: asked for far less often than
     * an item is returned, so read from its future (tf, item ti) when
     * asked while that future lives, and copied into `times` only when it
     * is freed first (times_of()). */
    cf_future *tf;
    size_t ti;
    cf_times times;
    int status;
    const char *msg;
    /* Scratch for gathering one chunk's inputs. */
    const void **ptr;
    size_t *len, *offs;
    cf_buf scratch;
    void *own_arg; /* freed with the map */
};

typedef struct array_src {
    const void *const *data;
    const size_t *len;
    size_t n;
} array_src;

static int array_input(void *arg, size_t i, const void **data, size_t *len) {
    array_src *a = arg;
    if (i >= a->n) return CF_EOF;
    *data = a->data[i];
    *len = a->len[i];
    return 0;
}

/* The i-th chunk from the front. */
static cf_future **at(const cf_map_iter *m, size_t i) {
    return &m->q[(m->qhead + i) & (m->qcap - 1)];
}

static int push(cf_map_iter *m, cf_future *f) {
    if (m->qlen == m->qcap) {
        size_t cap = m->qcap ? m->qcap * 2 : 16;
        cf_future **q;
        if (m->qhead == 0) { /* not wrapped (a first fill): the order holds */
            q = realloc(m->q, cap * sizeof *q);
            if (!q) return CF_ENOMEM;
        } else {
            q = malloc(cap * sizeof *q);
            if (!q) return CF_ENOMEM;
            for (size_t i = 0; i < m->qlen; i++)
                q[i] = *at(m, i);
            free(m->q);
        }
        m->q = q;
        m->qhead = 0;
        m->qcap = cap;
    }
    *at(m, m->qlen++) = f;
    return 0;
}

static cf_future *front(const cf_map_iter *m) {
    return m->qlen ? m->q[m->qhead] : NULL;
}

static void pop(cf_map_iter *m) {
    m->qhead = (m->qhead + 1) & (m->qcap - 1);
    m->qlen--;
}

/* Up to BATCH chunks are made and queued in the ring before fill() hands
 * them to an executor that takes several at once (ops->submit_many): the
 * thread pool takes a batch with one push and one wake-up, not one per
 * chunk. Other executors get each chunk as soon as it is made. */
#define BATCH 32

/* Reads up to chunksize inputs into one future at the ring's end, not yet
 * submitted; *made: whether there was any input. Returns 0 or an error. */
static int make_chunk(cf_map_iter *m, int *made) {
    size_t k = 0;
    *made = 0;
    m->scratch.len = 0;
    while (!m->in_done && k < (size_t)m->chunksize) {
        const void *d = NULL;
        size_t l = 0;
        int r = m->input(m->arg, m->next_in, &d, &l);
        if (r == CF_EOF) {
            m->in_done = 1;
            break;
        }
        if (r == 0 && l) r = l > CF_MAX_BYTES ? CF_ETOOBIG : !d ? CF_EINVAL : 0;
        if (r) {
            m->in_done = 1;
            m->in_err = r;
            break;
        }
        if (!m->stable && l) { /* copy now: the next call may reuse it */
            m->offs[k] = m->scratch.len;
            if (cf__buf_put(&m->scratch, d, l)) {
                m->in_done = 1;
                m->in_err = CF_ENOMEM;
                break;
            }
        }
        m->ptr[k] = d;
        m->len[k] = l;
        k++;
        m->next_in++;
    }
    if (k == 0) return 0;
    if (m->scratch.len) /* copied: the scratch may have moved since */
        for (size_t i = 0; i < k; i++)
            if (m->len[i]) m->ptr[i] = m->scratch.p + m->offs[i];
    cf_future *f = cf__future_new(m->ex, m->task, k, m->ptr, m->len);
    if (!f) return CF_ENOMEM;
    int r = push(m, f);
    if (r) {
        cf__future_unref(f);
        return r;
    }
    *made = 1;
    return 0;
}

/* Submits the last n chunks of the ring; those the executor refused leave
 * the ring. Returns 0 or the executor's error. */
static int submit_last(cf_map_iter *m, size_t n) {
    size_t first = (m->qhead + m->qlen - n) & (m->qcap - 1);
    size_t k = n < m->qcap - first ? n : m->qcap - first; /* up to the ring's end */
    size_t done = 0, more = 0;
    int r = cf__submit_futures(m->ex, &m->q[first], k, &done);
    if (r == 0 && k < n) { /* the rest from the ring's start */
        r = cf__submit_futures(m->ex, m->q, n - k, &more);
        done += more;
    }
    for (size_t i = done; i < n; i++)
        cf__future_unref(*at(m, m->qlen - n + i));
    m->qlen -= n - done;
    return r;
}

static int fill(cf_map_iter *m) {
    size_t n = 0; /* made, not yet submitted */
    size_t batch = m->ex->ops->submit_many ? BATCH : 1;
    int r = 0;
    while (!m->in_done && (m->buffersize <= 0 || m->qlen < (size_t)m->buffersize)) {
        int made;
        if ((r = make_chunk(m, &made)) != 0) break;
        n += (size_t)made;
        if (n == batch) {
            if ((r = submit_last(m, n)) != 0) return r;
            n = 0;
        }
    }
    if (n) {
        int e = submit_last(m, n);
        if (!r) r = e;
    }
    return r;
}

void cf_map_free(cf_map_iter *m) {
    if (!m) return;
    for (size_t i = 0; i < m->qlen; i++) /* answers awaited below */
        cf__future_cancel_nowait(*at(m, i));
    for (size_t i = 0; i < m->qlen; i++) {
        cf_future *f = *at(m, i);
        cf_future_wait(f, CF_FOREVER); /* running ones finish first */
        cf__future_unref(f);
    }
    cf__future_unref(m->spent);
    free(m->q);
    free(m->ptr);
    free(m->len);
    free(m->offs);
    cf__buf_free(&m->scratch);
    free(m->own_arg);
    free(m);
}

static int map_new(cf_executor *ex, const cf_task *task, cf_input_fn input, void *arg, int stable,
                   const cf_map_options *opts, cf_map_iter **out) {
    cf_map_options o = CF_MAP_OPTIONS_INIT;
    if (!out) return CF_EINVAL;
    *out = NULL;
    if (!ex || !task || !input) return CF_EINVAL;
    if (opts) o = *opts;
    if (o.chunksize < 0 || o.buffersize < 0 || o.timeout != o.timeout) return CF_EINVAL;
    if (o.chunksize == 0) o.chunksize = 1;
    cf_map_iter *m = calloc(1, sizeof *m);
    if (!m) return CF_ENOMEM;
    m->ex = ex;
    m->task = task;
    m->input = input;
    m->arg = arg;
    m->stable = stable;
    m->chunksize = o.chunksize;
    m->buffersize = o.buffersize;
    m->deadline = cf__deadline(o.timeout);
    m->ptr = malloc((size_t)o.chunksize * sizeof *m->ptr);
    m->len = malloc((size_t)o.chunksize * sizeof *m->len);
    m->offs = malloc((size_t)o.chunksize * sizeof *m->offs);
    int r = m->ptr && m->len && m->offs ? fill(m) : CF_ENOMEM;
    if (r) {
        cf_map_free(m);
        return r;
    }
    *out = m;
    return 0;
}

int cf_map(cf_executor *ex, const cf_task *task, cf_input_fn input, void *arg,
           const cf_map_options *opts, cf_map_iter **out) {
    return map_new(ex, task, input, arg, 0, opts, out);
}

int cf_map_array(cf_executor *ex, const cf_task *task, const void *const *data, const size_t *len,
                 size_t n, const cf_map_options *opts, cf_map_iter **out) {
    if (n && (!data || !len)) return CF_EINVAL;
    /* Lazy maps read the arrays later: the source lives with the map. */
    array_src *src = malloc(sizeof *src);
    if (!src) return CF_ENOMEM;
    *src = (array_src){data, len, n};
    int r = map_new(ex, task, array_input, src, 1, opts, out);
    if (r) {
        free(src);
        return r;
    }
    (*out)->own_arg = src;
    return 0;
}

/* The times of item i of f, the item returned last. */
static void times_of(const cf_future *f, size_t i, cf_times *out) {
    cf__future_times(f, out); /* untraced: the chunk's */
    cf_trace *tr = cf__trace(f);
    if (tr && tr->item[i].start) {
        out->start = tr->item[i].start;
        out->end = tr->item[i].end;
    }
}

static int next_item(cf_map_iter *m, const void **data, size_t *len);

int cf_map_next(cf_map_iter *m, const void **data, size_t *len) {
    if (!m) return CF_EINVAL;
    cf_future *spent = m->spent; /* its bytes stay the caller's until now */
    m->spent = NULL;
    int r = next_item(m, data, len);
    if (spent) {
        if (m->tf == spent) { /* no item this time: keep the last one's times */
            times_of(spent, m->ti, &m->times);
            m->tf = NULL;
        }
        cf__future_unref(spent);
    }
    return r;
}

static int next_item(cf_map_iter *m, const void **data, size_t *len) {
    cf_future *f = front(m);
    if (!f || m->over) {
        if (m->in_err) {
            int r = m->in_err;
            m->in_err = 0;
            return r;
        }
        return CF_EOF;
    }
    if (m->pos == 0 && atomic_load_explicit(&f->state, memory_order_acquire) != CF_DONE) {
        double left = -1;
        if (m->deadline != INT64_MAX) {
            int64_t ns = m->deadline - cf_now_ns();
            left = ns > 0 ? (double)ns / 1e9 : 0;
        }
        int r = cf_future_wait(f, left);
        if (r == CF_ETIMEDOUT) { /* Python cancels the rest and stops */
            for (size_t i = 0; i < m->qlen; i++)
                cf__future_cancel_nowait(*at(m, i));
            m->over = m->in_done = 1;
            m->in_err = 0;
        }
        if (r) return r; /* CF_EDEADLK: the caller may try again */
    }
    cf_item *it = &f->item[m->pos];
    m->index = m->base + m->pos;
    m->pos++;
    int r;
    if (f->outcome == 0 || f->outcome == CF_ETASK) {
        r = it->status ? CF_ETASK : 0;
        m->status = it->status;
        m->msg = it->has_msg ? cf__item_msg(it) : "";
    } else { /* cancelled, broken, timed out: every item shares it */
        r = f->outcome;
        m->status = 0;
        m->msg = f->item[0].has_msg ? cf__item_msg(&f->item[0]) : ""; /* the executor's */
    }
    m->tf = f;
    m->ti = m->pos - 1;
    if (r == 0) {
        if (data) *data = cf__item_out(it);
        if (len) *len = it->out_len;
    }
    if (m->pos == f->nitems) {
        pop(m);
        m->spent = f; /* freed at the next call: the caller holds its bytes */
        m->base += f->nitems;
        m->pos = 0;
        if (m->buffersize > 0) {
            int e = fill(m);
            if (e && !m->in_err) m->in_err = e;
        }
    }
    return r;
}

int cf_map_error(const cf_map_iter *m, const char **msg) {
    if (msg) *msg = m ? m->msg : "";
    return m ? m->status : 0;
}

size_t cf_map_index(const cf_map_iter *m) {
    return m ? m->index : 0;
}

int cf_map_times(const cf_map_iter *m, cf_times *out) {
    if (!m || !out) return CF_EINVAL;
    if (m->tf)
        times_of(m->tf, m->ti, out);
    else
        *out = m->times;
    return 0;
}
