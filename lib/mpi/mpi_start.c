/* mpi_start.c -- the MPI pool's start-up and end: MPI started, the world
 * workers taken or new ones spawned (MPI_Comm_spawn, the universe size),
 * each greeted (TAG_START, TAG_HELLO), and at the end released. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mpi_internal.h"

/* Sends TAG_START to every worker and gathers the TAG_HELLO answers. */
static int greet(mpool *p, start_msg *sm, const char *names, size_t names_len, char *why,
                 size_t n) {
    size_t len = sizeof *sm + names_len;
    unsigned char *msg = malloc(len);
    if (!msg) return CF_ENOMEM;
    memcpy(msg + sizeof *sm, names, names_len);
    int err = 0;
    for (int i = 0; i < p->n && !err; i++) {
        sm->slot = (uint32_t)i;
        memcpy(msg, sm, sizeof *sm);
        if (cf__mpi_send(p->comm, p->slots[i].rank, TAG_START, msg, len)) err = CF_EMPI;
    }
    free(msg);
    if (err) {
        snprintf(why, n, "MPI failed sending to the workers");
        return err;
    }
    int64_t deadline = cf_now_ns() + (int64_t)START_TIMEOUT_S * 1000000000;
    backoff bo;
    backoff_reset(&bo);
    for (int got = 0; got < p->n;) {
        MPI_Status st;
        int r = cf__mpi_recv(p->comm, MPI_ANY_SOURCE, TAG_HELLO, &p->rbuf, &st);
        mslot *s = r > 0 ? cf__mpi_slot_of(p, st.MPI_SOURCE) : NULL;
        if (r < 0 || (r > 0 && (!s || p->rbuf.len != sizeof(hello_msg)))) {
            snprintf(why, n, "MPI failed while the workers started");
            return CF_EMPI;
        }
        if (r == 0) {
            if (cf_now_ns() > deadline) {
                snprintf(why, n,
                         "%d of %d MPI workers did not answer in %d s: does main() call "
                         "cf_mpi_serve_or_continue() first?",
                         p->n - got, p->n, START_TIMEOUT_S);
                return CF_ETIMEDOUT;
            }
            long ns = backoff_next(&bo, WORKER_SLEEP_NS);
            if (ns) sleep_ns(ns);
            continue;
        }
        hello_msg h;
        memcpy(&h, p->rbuf.p, sizeof h);
        h.host[sizeof h.host - 1] = h.msg[sizeof h.msg - 1] = '\0';
        s->pid = h.pid;
        snprintf(s->host, sizeof s->host, "%s", h.host);
        s->local = !strcmp(h.host, p->host);
        if (s->local && s->pidfd < 0) s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
        got++;
        if (h.status == CF_EBROKEN) {
            if (!p->broken) snprintf(p->brokenmsg, sizeof p->brokenmsg, "%s", h.msg);
            p->broken = 1; /* the pool starts, broken, as Python's does */
        } else if (h.status && !err) {
            err = h.status;
            snprintf(why, n, "%s", h.msg);
        }
    }
    return err;
}

/* Ends the session with every worker: they exit (spawned) or wait for the
 * next pool (world). After a death, only what is local is left to do. */
void cf__mpi_release_workers(mpool *p) {
    pthread_mutex_lock(&cf__mpi_mu);
    for (int i = 0; i < p->n && !cf__mpi_down; i++) {
        mslot *s = &p->slots[i];
        if (s->req != MPI_REQUEST_NULL) {
            if (!p->dead) {
                MPI_Wait(&s->req, MPI_STATUS_IGNORE);
            } else if (cf__mpi_ngrave <
                       (int)(sizeof cf__mpi_graveyard / sizeof cf__mpi_graveyard[0])) {
                cf__mpi_graveyard[cf__mpi_ngrave++] = s->sending.p; /* MPI may still read it */
                s->sending.p = NULL;
                s->sending.cap = s->sending.len = 0;
            }
        }
        if (!p->dead) MPI_Send(NULL, 0, MPI_BYTE, s->rank, TAG_END, p->comm);
    }
    if (!cf__mpi_down && p->spawned) {
        if (p->dead)
            MPI_Comm_free(&p->comm); /* local: disconnecting would wait for the dead */
        else
            MPI_Comm_disconnect(&p->comm);
    }
    if (!p->spawned && !p->dead) cf__mpi_world_busy = 0;
    pthread_mutex_unlock(&cf__mpi_mu);
}

/* Reads /proc/self/cmdline: the arguments spawned workers get. */
static char **own_args(char **blob) {
    FILE *fp = fopen("/proc/self/cmdline", "re");
    size_t cap = 4096, len = 0;
    char *b = malloc(cap);
    while (fp && b) {
        len += fread(b + len, 1, cap - len, fp);
        if (len < cap) break;
        char *nb = realloc(b, cap *= 2);
        if (!nb) break;
        b = nb;
    }
    if (fp) fclose(fp);
    int argc = 0;
    for (size_t i = 0; b && i < len; i++)
        argc += b[i] == '\0';
    char **argv = b ? calloc((size_t)argc + 1, sizeof *argv) : NULL;
    if (!argv) {
        free(b);
        return NULL;
    }
    int k = 0;
    for (size_t i = 0; i < len && k < argc; k++) {
        argv[k] = b + i;
        i += strlen(b + i) + 1;
    }
    *blob = b;
    return argv;
}

/* Takes the world workers or spawns new ones; with cf__mpi_mu held. */
static int find_workers(mpool *p, char *why, size_t n) {
    int want = p->ex.opts.max_workers;
    if (cf__mpi_have_world && !cf__mpi_world_busy) {
        cf__mpi_world_busy = 1;
        p->comm = cf__mpi_world;
        p->n = want > 0 && want < cf__mpi_world_n ? want : cf__mpi_world_n;
    } else {
        int *usize, flag = 0, size = 1;
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_UNIVERSE_SIZE, &usize, &flag);
        p->n = want > 0 ? want : flag && *usize > size ? *usize - size : cf_default_workers(CF_MPI);
        p->spawned = 1;
        char exe[4096], *blob = NULL;
        ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
        char **args = own_args(&blob);
        int *codes = calloc((size_t)p->n, sizeof *codes);
        MPI_Info info;
        MPI_Info_create(&info);
        MPI_Info_set(info, "map_by", ":OVERSUBSCRIBE"); /* as many as asked, as Python */
        int r = MPI_ERR_OTHER;
        if (len > 0 && args && codes) {
            exe[len] = '\0';
            r = MPI_Comm_spawn(exe, args[0] ? args + 1 : args, p->n, info, 0, cf__mpi_self,
                               &p->comm, codes);
        }
        MPI_Info_free(&info);
        int nomem = !args || !codes;
        free(codes);
        free(args);
        free(blob);
        if (nomem) return CF_ENOMEM;
        if (r != MPI_SUCCESS) {
            snprintf(why, n, "MPI_Comm_spawn could not start %d workers", p->n);
            return CF_EMPI;
        }
        MPI_Comm_set_errhandler(p->comm, MPI_ERRORS_RETURN);
    }
    p->slots = calloc((size_t)p->n, sizeof *p->slots);
    if (!p->slots) return CF_ENOMEM;
    for (int i = 0; i < p->n; i++) {
        p->slots[i].index = i;
        p->slots[i].rank = p->spawned ? i : i + 1;
        p->slots[i].req = MPI_REQUEST_NULL;
        p->slots[i].pidfd = -1;
    }
    return 0;
}

/* Names of every registered task, in id order, NUL-terminated. */
static char *task_names(uint32_t *count, size_t *len) {
    cf_buf b = {0};
    uint32_t i = 0;
    for (const cf_task *t; (t = cf__task_by_id(i)); i++) {
        if (cf__buf_put(&b, t->name, strlen(t->name) + 1)) {
            cf__buf_free(&b);
            return NULL;
        }
    }
    *count = i;
    *len = b.len;
    char *names = calloc(1, b.len + 1); /* the caller frees it: malloc's, not a buffer's pages */
    if (names && b.len) memcpy(names, b.p, b.len);
    cf__buf_free(&b);
    return names;
}

int cf__mpi_start(mpool *p, char *why, size_t n) {
    start_msg sm = {.magic = START_MAGIC, .client_pid = (int32_t)getpid()};
    snprintf(sm.host, sizeof sm.host, "%s", p->host);
    if (p->init.found) {
        sm.has_init = p->arg.found ? 2 : 1;
        sm.init_off = p->init.off;
        sm.arg_off = p->arg.off;
        snprintf(sm.init_obj, sizeof sm.init_obj, "%s", p->init.obj);
        snprintf(sm.arg_obj, sizeof sm.arg_obj, "%s", p->arg.obj);
    }
    size_t names_len = 0;
    char *names = task_names(&sm.ntasks, &names_len);
    if (!names) return CF_ENOMEM;
    sm.names_len = names_len;
    pthread_mutex_lock(&cf__mpi_mu);
    int err = cf__mpi_ensure(NULL, NULL, why, n);
    MPI_Comm parent = MPI_COMM_NULL;
    if (!err) MPI_Comm_get_parent(&parent);
    if (!err && parent == MPI_COMM_NULL && cf__mpi_world_lost) {
        /* A spawn would need the lost host's daemon too, and hang. */
        snprintf(why, n, "a worker of mpiexec's job fell silent: no more MPI pools");
        err = CF_EBROKEN;
    }
    if (!err && parent == MPI_COMM_NULL) err = find_workers(p, why, n);
    pthread_mutex_unlock(&cf__mpi_mu);
    if (parent != MPI_COMM_NULL) {
        /* A spawned worker whose main() skipped cf_mpi_serve_or_continue:
         * serve now rather than spawn workers of its own, and so on. */
        free(names);
        MPI_Comm_set_errhandler(parent, MPI_ERRORS_RETURN);
        cf__mpi_serve(parent, 1);
    }
    if (!err) {
        p->ex.nworkers = p->n;
        err = greet(p, &sm, names, names_len, why, n);
        if (err == CF_ETIMEDOUT) p->dead = 1; /* someone is not listening */
        if (err) cf__mpi_release_workers(p);
    }
    free(names);
    return err;
}
