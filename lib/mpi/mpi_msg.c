/* mpi_msg.c -- the MPI pool's process-wide MPI state (start, finalise at
 * exit) and its messages: probe-and-receive, send, and what crosses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpi_internal.h"

pthread_mutex_t cf__mpi_mu = PTHREAD_MUTEX_INITIALIZER;
/* Guarded by cf__mpi_mu. */
int cf__mpi_up;              /* MPI initialised (by us or by the program) */
int cf__mpi_ours;            /* we initialised it: we finalise it at exit */
int cf__mpi_down;            /* finalised: no more MPI calls */
int cf__mpi_have_world;      /* rank 0 under mpiexec with other ranks */
int cf__mpi_world_n;         /* world workers: size - 1 */
int cf__mpi_world_busy;      /* a pool holds them */
MPI_Comm cf__mpi_world;      /* dup of MPI_COMM_WORLD for our messages */
MPI_Comm cf__mpi_self;       /* dup of MPI_COMM_SELF, errors returned: spawns */
void *cf__mpi_graveyard[64]; /* send buffers MPI may still read: dead peers */
int cf__mpi_ngrave;

int cf__mpi_world_lost;

atomic_int cf__mpi_rank = -1;

static void at_exit(void) {
    pthread_mutex_lock(&cf__mpi_mu);
    if (cf__mpi_up && !cf__mpi_down) {
        if (cf__mpi_world_lost) /* finalising would wait for the lost rank */
            MPI_Abort(cf__mpi_world, 1);
        if (cf__mpi_have_world) /* world workers wait for this to end */
            for (int r = 1; r <= cf__mpi_world_n; r++)
                MPI_Send(NULL, 0, MPI_BYTE, r, TAG_EXIT, cf__mpi_world);
        if (cf__mpi_ours) {
            LEAK_CHECK_BEFORE_FINALIZE();
            MPI_Finalize();
        }
        cf__mpi_down = 1;
    }
    pthread_mutex_unlock(&cf__mpi_mu);
}

/* With cf__mpi_mu held: initialises MPI if nobody did. */
int cf__mpi_ensure(int *argc, char ***argv, char *why, size_t n) {
    if (cf__mpi_down) {
        snprintf(why, n, "MPI was already finalised");
        return CF_EINVAL;
    }
    if (cf__mpi_up) return 0;
    int inited = 0, level = 0;
    MPI_Initialized(&inited);
    if (inited) {
        MPI_Query_thread(&level);
        if (level < MPI_THREAD_SERIALIZED) {
            snprintf(why, n, "MPI was initialised below MPI_THREAD_SERIALIZED");
            return CF_EINVAL;
        }
    } else {
        if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &level) != MPI_SUCCESS) {
            snprintf(why, n, "MPI_Init_thread failed");
            return CF_EMPI;
        }
        cf__mpi_ours = 1;
        atexit(at_exit);
    }
    cf__mpi_up = 1;
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    atomic_store(&cf__mpi_rank, rank);
    MPI_Comm_dup(MPI_COMM_SELF, &cf__mpi_self);
    MPI_Comm_set_errhandler(cf__mpi_self, MPI_ERRORS_RETURN);
    return 0;
}

/* One look for a message from src with tag (MPI_ANY_* allowed): receives
 * it whole into b and returns 1, 0 if none is there, -1 on error, -2 once
 * MPI is finalised (the program is exiting). */
int cf__mpi_recv(MPI_Comm comm, int src, int tag, cf_buf *b, MPI_Status *st) {
    int flag = 0, n = 0, r = -1;
    MPI_Message m;
    pthread_mutex_lock(&cf__mpi_mu);
    if (cf__mpi_down) {
        r = -2;
        goto out;
    }
    if (MPI_Improbe(src, tag, comm, &flag, &m, st) != MPI_SUCCESS) goto out;
    r = 0;
    if (!flag) goto out;
    MPI_Get_count(st, MPI_BYTE, &n);
    b->len = b->off = 0;
    if (!cf__buf_room(b, n > 0 ? (size_t)n : 1)) {
        r = -1; /* the message stays unreceived: the caller gives up */
        goto out;
    }
    r = MPI_Mrecv(b->p, n, MPI_BYTE, &m, st) == MPI_SUCCESS ? 1 : -1;
    b->len = (size_t)n;
out:
    pthread_mutex_unlock(&cf__mpi_mu);
    return r;
}

int cf__mpi_send(MPI_Comm comm, int rank, int tag, const void *p, size_t n) {
    pthread_mutex_lock(&cf__mpi_mu);
    int r = !cf__mpi_down && MPI_Send(p, (int)n, MPI_BYTE, rank, tag, comm) == MPI_SUCCESS ? 0 : -1;
    pthread_mutex_unlock(&cf__mpi_mu);
    return r;
}

/* Is the process alive (not gone, not a zombie)? Local pids only. */
int cf__mpi_pid_alive(pid_t pid) {
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(path, "re");
    if (!fp) return errno != ENOENT;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X' || p[2] == 'x'));
}

int cf__mpi_find_place(struct dl_phdr_info *info, size_t size, void *arg) {
    place *pl = arg;
    (void)size;
    uintptr_t a = (uintptr_t)pl->addr;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type != PT_LOAD || a < lo || a >= lo + ph->p_memsz) continue;
        snprintf(pl->obj, sizeof pl->obj, "%s", info->dlpi_name ? info->dlpi_name : "");
        pl->off = a - info->dlpi_addr;
        pl->found = 1;
        return 1;
    }
    return 0;
}

int cf__mpi_find_base(struct dl_phdr_info *info, size_t size, void *arg) {
    place *pl = arg;
    (void)size;
    if (strcmp(info->dlpi_name ? info->dlpi_name : "", pl->obj)) return 0;
    pl->addr = (const void *)(info->dlpi_addr + pl->off);
    pl->found = 1;
    return 1;
}
