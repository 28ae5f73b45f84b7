/* error.c -- names and texts of cfutures' error codes and of -errno. */
#include <string.h>

#include "cfutures.h"

const char *cf_strerror(int err) {
    switch (err) {
    case 0: return "success";
#define XX(name, value, text)                                                                      \
    case name: return text;
        CF_ERRNO_MAP(XX)
#undef XX
    }
    if (err < 0 && err > -4000) return strerror(-err);
    return "unknown error";
}

const char *cf_err_name(int err) {
    switch (err) {
    case 0: return "OK";
#define XX(name, value, text)                                                                      \
    case name: return #name;
        CF_ERRNO_MAP(XX)
#undef XX
    }
    if (err < 0 && err > -4000) {
        const char *n = strerrorname_np(-err);
        if (n) return n;
    }
    return "UNKNOWN";
}
