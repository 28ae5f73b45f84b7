/* download_async.c -- the async mode: every task's transfer driven from the
 * calling thread through one curl multi handle. */
#include <stdio.h>
#include <stdlib.h>

#include "download_internal.h"

/* Records transfer i's outcome in res[i], results in the state's arrays. */
static void async_record(dl_state *st, wl_result *res, size_t i, int ok) {
    res[i].status = ok ? 0 : 1;
    res[i].data = ok ? st->async_out[i] : NULL;
    res[i].len = ok ? DL_RESULT_LEN : 0;
    res[i].msg = ok ? "" : st->async_msg[i];
}

int dl_run_async(wl_plan *plan, int max_concurrent, wl_result *res, cf_times *tr, char *err,
                 size_t errlen) {
    dl_state *st = plan->state;
    size_t n = plan->n, next = 0, running = 0, done = 0;
    size_t limit = max_concurrent > 0 ? (size_t)max_concurrent : n;
    xfer *xs = NULL;
    CURLM *multi = NULL;
    int rc = -1;
    int64_t t0 = cf_now_ns();
    int *slot_of = NULL;        /* traced: task -> transfer slot */
    unsigned char *busy = NULL; /* traced: which slots run a transfer */

    if (st == NULL) {
        snprintf(err, errlen, "download: plan not prepared");
        return -1;
    }
    if (st->async_out == NULL && n > 0) {
        st->async_out = calloc(n, sizeof *st->async_out);
        st->async_msg = calloc(n, sizeof *st->async_msg);
    }
    xs = calloc(n ? n : 1, sizeof *xs);
    multi = curl_multi_init();
    if ((n > 0 && (st->async_out == NULL || st->async_msg == NULL)) || xs == NULL ||
        multi == NULL) {
        snprintf(err, errlen, "download: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        dl_xfer_init(&xs[i]);
    if (tr != NULL) {
        slot_of = calloc(n ? n : 1, sizeof *slot_of);
        busy = calloc(limit ? limit : 1, 1);
        if (slot_of == NULL || busy == NULL) {
            snprintf(err, errlen, "download: out of memory");
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            tr[i] = (cf_times){t0, 0, 0, 0, -1};
    }

    while (done < n) {
        while (running < limit && next < n) {
            size_t i = next++;
            char *msg = st->async_msg[i];
            if (dl_xfer_open(&xs[i], plan->in[i], plan->in_len[i], msg, DL_MSG_MAX) != 0) {
                dl_xfer_free(&xs[i]);
                async_record(st, res, i, 0);
                done++;
                continue;
            }
            CURLMcode mc = curl_multi_add_handle(multi, xs[i].easy);
            if (mc != CURLM_OK) {
                dl_msgf(msg, DL_MSG_MAX, URL_FMT ": %s", URL_ARG(xs[i].url),
                        curl_multi_strerror(mc));
                dl_xfer_free(&xs[i]);
                async_record(st, res, i, 0);
                done++;
                continue;
            }
            running++;
            if (tr != NULL) {
                size_t k = 0;
                while (k + 1 < limit && busy[k])
                    k++;
                busy[k] = 1;
                slot_of[i] = (int)k;
                tr[i].start = cf_now_ns();
                tr[i].worker = (int)k;
            }
        }
        if (running == 0) continue;

        int still = 0, queued;
        CURLMcode mc = curl_multi_perform(multi, &still);
        if (mc != CURLM_OK) {
            snprintf(err, errlen, "download: curl_multi_perform: %s", curl_multi_strerror(mc));
            goto out;
        }
        size_t finished = 0;
        CURLMsg *m;
        while ((m = curl_multi_info_read(multi, &queued)) != NULL) {
            if (m->msg != CURLMSG_DONE) continue;
            /* m is invalid after remove_handle: copy what we need first. */
            CURL *easy = m->easy_handle;
            CURLcode cc = m->data.result;
            xfer *x = NULL;
            if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x) != CURLE_OK || x == NULL) {
                snprintf(err, errlen, "download: lost a transfer");
                goto out;
            }
            curl_multi_remove_handle(multi, easy);
            size_t i = (size_t)(x - xs);
            if (tr != NULL) {
                tr[i].end = tr[i].collect = cf_now_ns();
                busy[slot_of[i]] = 0;
            }
            int ok = dl_xfer_finish(x, cc, st->async_out[i], st->async_msg[i], DL_MSG_MAX) == 0;
            dl_xfer_free(x);
            async_record(st, res, i, ok);
            running--;
            done++;
            finished++;
        }
        /* Wait for sockets only when nothing finished: a finished transfer
         * frees a slot that the next round fills at once. */
        if (finished == 0 && running > 0) {
            mc = curl_multi_poll(multi, NULL, 0, 1000, NULL);
            if (mc != CURLM_OK) {
                snprintf(err, errlen, "download: curl_multi_poll: %s", curl_multi_strerror(mc));
                goto out;
            }
        }
    }
    rc = 0;
out:
    /* After an error, transfers still in the multi handle are failed so
     * that res[] is complete and no temporary file stays behind. */
    for (size_t i = 0; xs != NULL && i < n; i++) {
        if (xs[i].easy == NULL) continue;
        curl_multi_remove_handle(multi, xs[i].easy);
        dl_xfer_free(&xs[i]);
        dl_msgf(st->async_msg[i], DL_MSG_MAX, "download aborted: %s", err);
        async_record(st, res, i, 0);
    }
    for (size_t i = next; rc != 0 && i < n && st->async_msg != NULL; i++) {
        dl_msgf(st->async_msg[i], DL_MSG_MAX, "download not started: %s", err);
        async_record(st, res, i, 0);
    }
    if (multi != NULL) curl_multi_cleanup(multi);
    /* Tasks refused before a transfer began end where they started. */
    for (size_t i = 0; tr != NULL && i < n; i++)
        if (tr[i].end == 0) tr[i].start = tr[i].end = tr[i].collect = t0;
    free(slot_of);
    free(busy);
    free(xs);
    return rc;
}
