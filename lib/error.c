/* error.c -- names and texts of cfutures' error codes. */
#include <string.h>

#include "cfutures.h"

static const struct {
    int code;
    const char *name, *text;
} errs[] = {
    {CF_EOF, "CF_EOF", "no more items"},
    {CF_ETASK, "CF_ETASK", "the task failed"},
    {CF_ECANCELLED, "CF_ECANCELLED", "the future was cancelled"},
    {CF_ETIMEDOUT, "CF_ETIMEDOUT", "timed out"},
    {CF_EBROKEN, "CF_EBROKEN", "the pool is broken: a worker died"},
    {CF_EDEADLK, "CF_EDEADLK", "deadlock: this wait could never finish"},
    {CF_ESHUTDOWN, "CF_ESHUTDOWN", "the executor is shut down"},
    {CF_EINVAL, "CF_EINVAL", "invalid argument"},
    {CF_ENOMEM, "CF_ENOMEM", "out of memory"},
    {CF_ENOTASK, "CF_ENOTASK", "no task registered under that name"},
    {CF_ESYS, "CF_ESYS", "a system call failed"},
    {CF_ETOOBIG, "CF_ETOOBIG", "input or output too large"},
    {CF_ESTATE, "CF_ESTATE", "the future's state does not allow this"},
};

const char *cf_strerror(int err) {
    if (err == 0) return "success";
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
        if (errs[i].code == err) return errs[i].text;
    if (err < 0 && err > -4000) return strerror(-err);
    return "unknown error";
}

const char *cf_err_name(int err) {
    if (err == 0) return "OK";
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
        if (errs[i].code == err) return errs[i].name;
    if (err < 0 && err > -4000) {
        const char *n = strerrorname_np(-err);
        if (n) return n;
    }
    return "UNKNOWN";
}
