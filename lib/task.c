/* task.c -- the task registry (names that survive fork and exec) and the
 * cf_out result writer.
 *
 * Registration is rare and lookups by id happen once per message in a
 * worker process, so a mutex-guarded growing array is enough. Handles are
 * never freed: a registered task lives as long as the process. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
/* Guarded by reg_mu; entries are immutable once published. */
static cf_task **reg;
static uint32_t nreg, capreg;

static cf_task *find_locked(const char *name) {
    for (uint32_t i = 0; i < nreg; i++)
        if (!strcmp(reg[i]->name, name)) return reg[i];
    return NULL;
}

const cf_task *cf_task_register(const char *name, cf_task_fn fn) {
    if (!name || !*name || !fn) return NULL;
    cf_task *t = NULL;
    pthread_mutex_lock(&reg_mu);
    t = find_locked(name);
    if (t) {
        if (t->fn != fn) t = NULL;
        goto out;
    }
    if (nreg == capreg) {
        uint32_t cap = capreg ? capreg * 2 : 16;
        cf_task **r = realloc(reg, cap * sizeof *r);
        if (!r) goto out;
        reg = r;
        capreg = cap;
    }
    t = malloc(sizeof *t);
    if (!t) goto out;
    t->name = strdup(name);
    if (!t->name) {
        free(t);
        t = NULL;
        goto out;
    }
    t->fn = fn;
    t->id = nreg;
    reg[nreg++] = t;
out:
    pthread_mutex_unlock(&reg_mu);
    return t;
}

const cf_task *cf_task_find(const char *name) {
    if (!name) return NULL;
    pthread_mutex_lock(&reg_mu);
    cf_task *t = find_locked(name);
    pthread_mutex_unlock(&reg_mu);
    return t;
}

const cf_task *cf__task_by_id(uint32_t id) {
    cf_task *t = NULL;
    pthread_mutex_lock(&reg_mu);
    if (id < nreg) t = reg[id];
    pthread_mutex_unlock(&reg_mu);
    return t;
}

uint32_t cf__task_count(void) {
    pthread_mutex_lock(&reg_mu);
    uint32_t n = nreg;
    pthread_mutex_unlock(&reg_mu);
    return n;
}

const char *cf_task_name(const cf_task *task) {
    return task ? task->name : "";
}

int cf_task_call(const cf_task *task, const void *in, size_t in_len, void **data, size_t *len,
                 int *status, char **msg) {
    if (!task || !data || !len || !status || !msg) return CF_EINVAL;
    unsigned char small[CF_INLINE + 1];
    cf_out o;
    cf__out_init(&o, small, CF_INLINE);
    *data = NULL;
    *len = 0;
    *msg = NULL;
    *status = task->fn(in, in_len, &o);
    int rc = 0;
    if (*status != 0) {
        rc = CF_ETASK;
        if (o.msg[0] && !(*msg = strdup(o.msg))) rc = CF_ENOMEM;
    } else if (o.data == o.heap && o.data) { /* taken: reserve left room for the NUL */
        *data = o.heap;
        o.heap = NULL;
    } else if (o.data) {
        if ((*data = malloc(o.len + 1))) memcpy(*data, o.data, o.len);
        else rc = CF_ENOMEM;
    }
    if (*data) {
        ((unsigned char *)*data)[o.len] = '\0';
        *len = o.len;
    }
    cf__out_release(&o);
    return rc;
}

void cf__out_init(cf_out *o, unsigned char *small, size_t cap) {
    o->data = NULL;
    o->len = 0;
    o->heap = NULL;
    o->small = small;
    o->small_cap = cap;
    o->msg[0] = '\0';
}

void cf__out_release(cf_out *o) {
    free(o->heap);
    o->heap = NULL;
    o->data = NULL;
    o->len = 0;
}

void *cf_out_reserve(cf_out *o, size_t len) {
    if (len > CF_MAX_BYTES) return NULL;
    if (len <= o->small_cap) {
        free(o->heap);
        o->heap = NULL;
        o->data = o->small;
    } else {
        unsigned char *p = realloc(o->heap, len + 1);
        if (!p) return NULL;
        o->heap = o->data = p;
    }
    o->len = len;
    return o->data;
}

int cf_out_set(cf_out *o, const void *data, size_t len) {
    if (len > CF_MAX_BYTES) return CF_ETOOBIG;
    void *p = cf_out_reserve(o, len);
    if (!p && len) return CF_ENOMEM;
    if (len) memcpy(p, data, len);
    return 0;
}

void cf_out_error(cf_out *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->msg, sizeof o->msg, fmt, ap);
    va_end(ap);
}
