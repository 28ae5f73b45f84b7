/* workload_check.h -- runs a workload's plan on every executor kind, for the
 * workload tests.
 *
 * Header-only (`static inline`), as each tests/test_*.c is a binary of its
 * own. A workload's task must give the same answers, and so the same
 * verified digest, whichever executor runs it.
 */
#ifndef WORKLOAD_CHECK_H
#define WORKLOAD_CHECK_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../workloads/workload.h"

/* Every executor kind, in the order the tests walk them (sequential first:
 * its digest is the one the others must match). */
static const cf_kind wc_kinds[] = {CF_SEQUENTIAL, CF_THREAD, CF_PROCESS};
#define WC_NKINDS (sizeof wc_kinds / sizeof wc_kinds[0])

/* Runs the plan's tasks on an executor of `kind` (2 workers) through
 * cf_submit and collects them into res; the futures stay alive in fs until
 * freed. */
static inline void wc_run_plan(cf_kind kind, const wl_plan *plan, cf_future **fs, wl_result *res) {
    cf_options opts = CF_OPTIONS_INIT;
    cf_executor *ex = NULL;
    opts.max_workers = 2;
    ck_assert_int_eq(cf_executor_new(kind, &opts, &ex), 0);
    for (size_t i = 0; i < plan->n; i++)
        ck_assert_int_eq(cf_submit(ex, plan->task, plan->in[i], plan->in_len[i], &fs[i]), 0);
    for (size_t i = 0; i < plan->n; i++) {
        res[i].data = NULL;
        res[i].len = 0;
        res[i].status = cf_future_result(fs[i], 10.0, &res[i].data, &res[i].len);
        res[i].msg = "";
        if (res[i].status != 0) cf_future_error(fs[i], &res[i].msg);
    }
    cf_executor_free(ex);
}

/* Runs w's prepared plan on every kind of wc_kinds and asserts, for each,
 * that every task succeeded with a result of result_len bytes, that check
 * (when not NULL) accepts the results, that w->verify() accepts them with
 * no failed task, and that the digest is the sequential one. */
static inline void wc_verify_on_every_kind(const workload *w, const wl_plan *plan,
                                           size_t result_len,
                                           void (*check)(const wl_plan *, const wl_result *)) {
    char err[256] = "", first[65] = "";
    for (size_t k = 0; k < WC_NKINDS; k++) {
        cf_future **fs = calloc(plan->n, sizeof *fs);
        wl_result *res = calloc(plan->n, sizeof *res);
        char digest[65];
        size_t failed = 99;
        ck_assert_ptr_nonnull(fs);
        ck_assert_ptr_nonnull(res);
        wc_run_plan(wc_kinds[k], plan, fs, res);
        for (size_t i = 0; i < plan->n; i++) {
            ck_assert_msg(res[i].status == 0, "%s task %zu: %d %s", cf_kind_name(wc_kinds[k]), i,
                          res[i].status, res[i].msg);
            ck_assert_uint_eq(res[i].len, result_len);
        }
        if (check != NULL) check(plan, res);
        ck_assert_msg(w->verify(plan, res, digest, &failed, err, sizeof err) == 0, "%s: %s",
                      cf_kind_name(wc_kinds[k]), err);
        ck_assert_uint_eq(failed, 0);
        if (k == 0)
            strcpy(first, digest);
        else
            ck_assert_str_eq(digest, first);
        for (size_t i = 0; i < plan->n; i++)
            cf_future_free(fs[i]);
        free(fs);
        free(res);
    }
}

#endif
