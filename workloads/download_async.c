/* download_async.c -- the async mode: every task's transfer driven from the
 * calling thread through one curl multi handle.
 *
 * The loop follows curl's docs/examples/10-at-a-time.c: start transfers up
 * to the limit (add_transfer), let curl move them, collect the finished
 * ones (collect_finished, which reads curl_multi_info_read) and wait for
 * sockets only when none finished. A task that cannot start, or whose
 * transfer fails, fails on its own; when the run itself fails (curl's
 * multi calls), fail_rest() fails every task not yet done, so that res[] is
 * complete and no temporary file stays behind. Results and messages live
 * in the plan's state until release().
 */
#include <stdio.h>
#include <stdlib.h>

#include "download_internal.h"

/* One run_async call: the plan's tasks, their transfers on one multi
 * handle, and the trace. Tasks [0, next) have started or failed; done of
 * them have ended and running are in the multi handle. */
typedef struct run {
    dl_state *st;
    const wl_plan *plan;
    wl_result *res;
    size_t n, limit, next, running, done;
    xfer *xs; /* n transfers; xs[i].easy != NULL while i runs */
    CURLM *multi;
    cf_times *tr;        /* traced: the caller's n entries; else NULL */
    int64_t t0;          /* the call's start */
    int *slot_of;        /* traced: task -> transfer slot */
    unsigned char *busy; /* traced: which slots run a transfer */
    char *err;
    size_t errlen;
} run;

/* Records task i's outcome in res[i], results in the state's arrays. */
static void record(run *r, size_t i, int ok) {
    r->res[i].status = ok ? 0 : 1;
    r->res[i].data = ok ? r->st->async_out[i] : NULL;
    r->res[i].len = ok ? DL_RESULT_LEN : 0;
    r->res[i].msg = ok ? "" : r->st->async_msg[i];
}

/* Task i ended (its message set if it failed): frees its transfer. */
static void end_task(run *r, size_t i, int ok) {
    dl_xfer_free(&r->xs[i]);
    record(r, i, ok);
    r->done++;
}

/* Traced: task i's transfer takes the first free slot. */
static void trace_start(run *r, size_t i) {
    if (r->tr == NULL) return;
    size_t k = 0;
    while (k + 1 < r->limit && r->busy[k])
        k++;
    r->busy[k] = 1;
    r->slot_of[i] = (int)k;
    r->tr[i].start = cf_now_ns();
    r->tr[i].worker = (int)k;
}

/* Traced: task i's transfer ended and gives back its slot. */
static void trace_end(run *r, size_t i) {
    if (r->tr == NULL) return;
    r->tr[i].end = r->tr[i].collect = cf_now_ns();
    r->busy[r->slot_of[i]] = 0;
}

/* Starts the next task's transfer, or fails that task. */
static void add_transfer(run *r) {
    size_t i = r->next++;
    xfer *x = &r->xs[i];
    char *msg = r->st->async_msg[i];

    if (dl_xfer_open(x, r->plan->in[i], r->plan->in_len[i], msg, DL_MSG_MAX) != 0) {
        end_task(r, i, 0);
        return;
    }
    CURLMcode mc = curl_multi_add_handle(r->multi, x->easy);
    if (mc != CURLM_OK) {
        dl_msgf(msg, DL_MSG_MAX, URL_FMT ": %s", URL_ARG(x->url), curl_multi_strerror(mc));
        end_task(r, i, 0);
        return;
    }
    r->running++;
    trace_start(r, i);
}

/* Ends the transfers curl reports done. Returns how many, or -1 with
 * r->err set. */
static int collect_finished(run *r) {
    int finished = 0, queued;
    CURLMsg *m;

    while ((m = curl_multi_info_read(r->multi, &queued)) != NULL) {
        if (m->msg != CURLMSG_DONE) continue;
        /* m is invalid after remove_handle: copy what we need first. */
        CURL *easy = m->easy_handle;
        CURLcode cc = m->data.result;
        xfer *x = NULL;
        if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x) != CURLE_OK || x == NULL) {
            snprintf(r->err, r->errlen, "download: lost a transfer");
            return -1;
        }
        curl_multi_remove_handle(r->multi, easy);
        size_t i = (size_t)(x - r->xs);
        trace_end(r, i);
        int ok = dl_xfer_finish(x, cc, r->st->async_out[i], r->st->async_msg[i], DL_MSG_MAX) == 0;
        end_task(r, i, ok);
        r->running--;
        finished++;
    }
    return finished;
}

/* Lets curl move the running transfers and ends the finished ones.
 * Returns 0, or -1 with r->err set. */
static int progress(run *r) {
    int still = 0;
    CURLMcode mc = curl_multi_perform(r->multi, &still);
    if (mc != CURLM_OK) {
        snprintf(r->err, r->errlen, "download: curl_multi_perform: %s", curl_multi_strerror(mc));
        return -1;
    }
    int finished = collect_finished(r);
    if (finished < 0) return -1;
    /* Wait for sockets only when nothing finished: a finished transfer
     * frees a slot that the next round fills at once. */
    if (finished > 0 || r->running == 0) return 0;
    mc = curl_multi_poll(r->multi, NULL, 0, 1000, NULL);
    if (mc != CURLM_OK) {
        snprintf(r->err, r->errlen, "download: curl_multi_poll: %s", curl_multi_strerror(mc));
        return -1;
    }
    return 0;
}

/* Fails every task not done, after the run failed with r->err: those in
 * the multi handle are aborted, those not started are refused. */
static void fail_rest(run *r) {
    for (size_t i = 0; r->xs != NULL && i < r->n; i++) {
        if (r->xs[i].easy == NULL) continue;
        curl_multi_remove_handle(r->multi, r->xs[i].easy);
        dl_xfer_free(&r->xs[i]);
        dl_msgf(r->st->async_msg[i], DL_MSG_MAX, "download aborted: %s", r->err);
        record(r, i, 0);
    }
    for (size_t i = r->next; i < r->n && r->st->async_msg != NULL; i++) {
        dl_msgf(r->st->async_msg[i], DL_MSG_MAX, "download not started: %s", r->err);
        record(r, i, 0);
    }
}

/* Allocates what run r needs (the results stay in the state for the next
 * call). Returns 0, or -1 with r->err set. */
static int run_begin(run *r) {
    dl_state *st = r->st;
    size_t n = r->n;

    if (st->async_out == NULL && n > 0) {
        st->async_out = calloc(n, sizeof *st->async_out);
        st->async_msg = calloc(n, sizeof *st->async_msg);
    }
    r->xs = calloc(n ? n : 1, sizeof *r->xs);
    r->multi = curl_multi_init();
    if ((n > 0 && (st->async_out == NULL || st->async_msg == NULL)) || r->xs == NULL ||
        r->multi == NULL)
        goto nomem;
    for (size_t i = 0; i < n; i++)
        dl_xfer_init(&r->xs[i]);
    if (r->tr == NULL) return 0;
    r->slot_of = calloc(n ? n : 1, sizeof *r->slot_of);
    r->busy = calloc(r->limit ? r->limit : 1, 1);
    if (r->slot_of == NULL || r->busy == NULL) goto nomem;
    for (size_t i = 0; i < n; i++)
        r->tr[i] = (cf_times){r->t0, 0, 0, 0, -1};
    return 0;
nomem:
    snprintf(r->err, r->errlen, "download: out of memory");
    return -1;
}

/* Frees what run_begin() allocated. */
static void run_end(run *r) {
    if (r->multi != NULL) curl_multi_cleanup(r->multi);
    /* Tasks refused before a transfer began end where they started. */
    for (size_t i = 0; r->tr != NULL && i < r->n; i++)
        if (r->tr[i].end == 0) r->tr[i].start = r->tr[i].end = r->tr[i].collect = r->t0;
    free(r->slot_of);
    free(r->busy);
    free(r->xs);
}

int dl_run_async(wl_plan *plan, int max_concurrent, wl_result *res, cf_times *tr, char *err,
                 size_t errlen) {
    if (plan->state == NULL) {
        snprintf(err, errlen, "download: plan not prepared");
        return -1;
    }
    run r = {.st = plan->state,
             .plan = plan,
             .res = res,
             .n = plan->n,
             .tr = tr,
             .t0 = cf_now_ns(),
             .err = err,
             .errlen = errlen};
    r.limit = max_concurrent > 0 ? (size_t)max_concurrent : r.n;

    int rc = run_begin(&r);
    while (rc == 0 && r.done < r.n) {
        while (r.running < r.limit && r.next < r.n)
            add_transfer(&r);
        if (r.running > 0) rc = progress(&r);
    }
    if (rc != 0) fail_rest(&r);
    run_end(&r);
    return rc;
}
