/* python.c -- runs the Python side of a comparison and reads its rows.
 *
 * The runner (workloads/python/bench.py) is a child process per point: it
 * builds the workload's inputs for the size itself (the same table as the
 * C workload), times its warmups and reps, prints one CSV row per rep and
 * writes the first rep's results to a file. Here those results are turned
 * back into wl_result and checked by the C workload's verify(), so a Python
 * run is trusted exactly as far as a C run is. Nothing in the Python
 * process is timed from here: its figures are its own, taken around the
 * with-block as execute.c takes them around the executor.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "python.h"
#include "spawn.h"

#define RUNNER "workloads/python/bench.py"
#define ROW_HEADER                                                                                 \
    "rep,workers,tasks,wall_ms,user_ms,sys_ms,max_rss_kb,vol_cs,invol_cs,failed,digest"

/* Checks that Python cmd is 3.8 or newer and copies it to exe; as py_find. */
static int py_check(const char *cmd, char *exe, size_t exelen, char *why, size_t whylen) {
    char *out = NULL, err[256];
    int status, major = 0, minor = 0;

    if (strlen(cmd) >= exelen) {
        snprintf(why, whylen, "Python command '%.60s' is too long", cmd);
        return -1;
    }
    char *const argv[] = {(char *)cmd, "-c",
                          "import sys; print(sys.version_info[0], sys.version_info[1])", NULL};
    if (capture_command(argv, 0, &out, &status, err, sizeof err) != 0) {
        snprintf(why, whylen, "%.60s not found (%s)", cmd, err);
        return -1;
    }
    int got = sscanf(out, "%d %d", &major, &minor);
    free(out);
    if (status != 0 || got != 2) {
        snprintf(why, whylen, "%.60s does not answer (exit status %d)", cmd, status);
        return -1;
    }
    if (major != 3 || minor < PY_MIN_MINOR) {
        snprintf(why, whylen, "%.60s is %d.%d; 3.%d or newer is needed", cmd, major, minor,
                 PY_MIN_MINOR);
        return -1;
    }
    memcpy(exe, cmd, strlen(cmd) + 1);
    return 0;
}

int py_find(char *exe, size_t exelen, char *why, size_t whylen) {
    const char *cmd = getenv("CFBENCH_PYTHON");
    return py_check(cmd != NULL && *cmd ? cmd : "python3", exe, exelen, why, whylen);
}

/* 1 if Python exe imports mpi4py.futures. */
static int has_mpi4py(const char *exe) {
    char *out = NULL, err[256];
    int status;
    char *const argv[] = {(char *)exe, "-c", "import mpi4py.futures", NULL};
    int rc = capture_command(argv, SPAWN_NO_STDERR, &out, &status, err, sizeof err);
    free(out);
    return rc == 0 && status == 0;
}

int py_find_mpi4py(char *exe, size_t exelen, char *why, size_t whylen) {
    char why2[256];
    /* A child of an mpiexec rank inherits the job's environment, and its
     * MPI_Init fails trying to join a job that does not know it. */
    if (getenv("OMPI_COMM_WORLD_SIZE") != NULL) {
        snprintf(why, whylen,
                 "under mpiexec, mpi4py in a child cannot start MPI (run cfbench "
                 "alone for py-mpi)");
        return -1;
    }
    int found = py_find(exe, exelen, why, whylen) == 0;
    if (found && has_mpi4py(exe)) return 0;
    if (getenv("CFBENCH_PYTHON") == NULL &&
        py_check("/usr/bin/python3", exe, exelen, why2, sizeof why2) == 0 && has_mpi4py(exe))
        return 0;
    if (found) snprintf(why, whylen, "%.60s has no mpi4py.futures (python3-mpi4py)", exe);
    return -1;
}

/* Walks from folder `dir` upwards looking for RUNNER; 0 with root set. */
static int root_above(char *dir, char *root, size_t rootlen) {
    char probe[PATH_MAX + 64];
    for (;;) {
        snprintf(probe, sizeof probe, "%s/%s", dir, RUNNER);
        if (access(probe, R_OK) == 0) {
            if (strlen(dir) >= rootlen) return -1;
            memcpy(root, dir, strlen(dir) + 1);
            return 0;
        }
        char *slash = strrchr(dir, '/');
        if (slash == NULL || slash == dir) return -1;
        *slash = '\0';
    }
}

int py_root(char *root, size_t rootlen) {
    const char *env = getenv("CFBENCH_ROOT");
    char dir[PATH_MAX];

    if (env != NULL && *env != '\0') {
        if (strlen(env) >= sizeof dir) return -1;
        memcpy(dir, env, strlen(env) + 1);
        return root_above(dir, root, rootlen);
    }
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (n > 0) {
        dir[n] = '\0';
        char *slash = strrchr(dir, '/');
        if (slash != NULL && slash != dir) {
            *slash = '\0';
            if (root_above(dir, root, rootlen) == 0) return 0;
        }
    }
    if (getcwd(dir, sizeof dir) == NULL) return -1;
    return root_above(dir, root, rootlen);
}

void py_outcome_free(py_outcome *o) {
    if (o == NULL) return;
    free(o->reps);
    memset(o, 0, sizeof *o);
}

/* A private temporary file name made by mkstemp (closed, left empty);
 * the caller unlinks it. Returns 0 or -1. */
static int temp_file(char *path, size_t len, const char *stem) {
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0') tmp = "/tmp";
    if ((size_t)snprintf(path, len, "%s/cfbench-%s-XXXXXX", tmp, stem) >= len) return -1;
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) return -1;
    (void)close(fd); /* empty, nothing written */
    return 0;
}

static int hex_nibble(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Parses the runner's stdout into out->reps. Returns 0 or -1 (err). */
static int parse_rows(char *text, long want, py_outcome *out, char *err, size_t errlen) {
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    if (line == NULL || strcmp(line, ROW_HEADER) != 0) {
        snprintf(err, errlen, "python runner printed no header");
        return -1;
    }
    out->reps = calloc((size_t)want, sizeof *out->reps);
    if (out->reps == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        py_rep r;
        int used = 0;
        memset(&r, 0, sizeof r);
        if (out->nreps == (size_t)want ||
            sscanf(line, "%ld,%d,%zu,%lf,%lf,%lf,%ld,%ld,%ld,%zu,%64[0-9a-f]%n", &r.rep, &r.workers,
                   &r.tasks, &r.wall_ms, &r.user_ms, &r.sys_ms, &r.max_rss_kb, &r.vol_cs,
                   &r.invol_cs, &r.failed, r.digest, &used) != 11 ||
            line[used] != '\0' || strlen(r.digest) != 64) {
            snprintf(err, errlen, "python runner printed an unexpected row: '%.60s'", line);
            return -1;
        }
        out->reps[out->nreps++] = r;
    }
    if (out->nreps != (size_t)want) {
        snprintf(err, errlen, "python runner printed %zu of %ld rows", out->nreps, want);
        return -1;
    }
    return 0;
}

/* Reads the results file into res[0..n) (data in *blobs, one malloc per
 * line, freed by the caller) and checks it with wl->verify(). */
static int check_results(const char *path, const workload *wl, const wl_plan *plan, py_outcome *out,
                         char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    wl_result *res = calloc(plan->n ? plan->n : 1, sizeof *res);
    char **blobs = calloc(plan->n ? plan->n : 1, sizeof *blobs);
    char *line = NULL, verr[256] = "";
    size_t cap = 0, i = 0;
    ssize_t len;
    int rc = -1;

    if (f == NULL || res == NULL || blobs == NULL) {
        snprintf(err, errlen, "python results %.200s: %s", path,
                 f == NULL ? strerror(errno) : "out of memory");
        goto cleanup;
    }
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n') line[--len] = '\0';
        if (i == plan->n || len < 2 || (line[0] != '0' && line[0] != '1') || line[1] != ' ') {
            snprintf(err, errlen, "python results: line %zu is not one task's result", i + 1);
            goto cleanup;
        }
        char *body = line + 2;
        size_t blen = (size_t)len - 2;
        if (line[0] == '1') {
            /* Hex bytes; a result is never empty (40, 32 or one per number). */
            if (blen % 2 != 0 || (blobs[i] = malloc(blen / 2 + 1)) == NULL) {
                snprintf(err, errlen, "python results: task %zu: bad bytes", i);
                goto cleanup;
            }
            for (size_t k = 0; k < blen / 2; k++) {
                int hi = hex_nibble(body[2 * k]), lo = hex_nibble(body[2 * k + 1]);
                if (hi < 0 || lo < 0) {
                    snprintf(err, errlen, "python results: task %zu: bad hex", i);
                    goto cleanup;
                }
                blobs[i][k] = (char)(hi << 4 | lo);
            }
            res[i] = (wl_result){0, blobs[i], blen / 2, ""};
        } else {
            if ((blobs[i] = strdup(body)) == NULL) {
                snprintf(err, errlen, "out of memory");
                goto cleanup;
            }
            res[i] = (wl_result){1, NULL, 0, blobs[i]};
        }
        i++;
    }
    if (ferror(f) || i != plan->n) {
        snprintf(err, errlen, "python results: %zu tasks, the C plan has %zu", i, plan->n);
        goto cleanup;
    }
    out->verified = wl->verify(plan, res, out->digest, &out->failed, verr, sizeof verr) == 0;
    if (!out->verified)
        snprintf(out->first_error, sizeof out->first_error, "%s", verr);
    else
        for (size_t k = 0; k < plan->n; k++)
            if (res[k].status != 0) {
                snprintf(out->first_error, sizeof out->first_error, "task %zu: %s", k, res[k].msg);
                break;
            }
    rc = 0;

cleanup:
    if (f != NULL) (void)fclose(f); /* read only */
    for (size_t k = 0; blobs != NULL && k < plan->n; k++)
        free(blobs[k]);
    free(blobs);
    free(res);
    free(line);
    return rc;
}

int py_run_point(const char *exe, const char *root, const workload *wl, const wl_plan *plan,
                 const py_point *p, py_outcome *out, char *err, size_t errlen) {
    char script[PATH_MAX + 64], results[PATH_MAX] = "", urls[PATH_MAX] = "";
    char workers[24], chunk[24], repeat[24], warmup[24];
    const char *argv[32];
    char *text = NULL;
    int status, n = 0, rc = -1;

    memset(out, 0, sizeof *out);
    snprintf(script, sizeof script, "%s/%s", root, RUNNER);
    snprintf(workers, sizeof workers, "%d", p->workers);
    snprintf(chunk, sizeof chunk, "%ld", p->chunksize);
    snprintf(repeat, sizeof repeat, "%ld", p->repeat);
    snprintf(warmup, sizeof warmup, "%ld", p->warmup);
    if (temp_file(results, sizeof results, "py") != 0) {
        results[0] = '\0';
        snprintf(err, errlen, "temporary file: %s", strerror(errno));
        goto cleanup;
    }
    argv[n++] = exe;
    argv[n++] = script;
    argv[n++] = "--workload";
    argv[n++] = wl->name;
    argv[n++] = "--size";
    argv[n++] = p->size;
    argv[n++] = "--mode";
    argv[n++] = p->mode;
    argv[n++] = "--workers";
    argv[n++] = workers;
    argv[n++] = "--chunksize";
    argv[n++] = chunk;
    argv[n++] = "--repeat";
    argv[n++] = repeat;
    argv[n++] = "--warmup";
    argv[n++] = warmup;
    argv[n++] = "--results";
    argv[n++] = results;
    if (strcmp(wl->name, "download") == 0) { /* a server or URLs to fetch */
        if (p->dir == NULL || (p->urls == NULL && p->base_url == NULL)) {
            snprintf(err, errlen, "download: no folder or server for the python runner");
            goto cleanup;
        }
        argv[n++] = "--dir";
        argv[n++] = p->dir;
        if (p->urls != NULL) {
            FILE *f = NULL;
            if (temp_file(urls, sizeof urls, "urls") != 0 || (f = fopen(urls, "w")) == NULL) {
                snprintf(err, errlen, "temporary file: %s", strerror(errno));
                goto cleanup;
            }
            for (size_t i = 0; i < p->nurls; i++)
                fprintf(f, "%s\n", p->urls[i]);
            if (fclose(f) != 0) {
                snprintf(err, errlen, "%s: %s", urls, strerror(errno));
                goto cleanup;
            }
            argv[n++] = "--urls-file";
            argv[n++] = urls;
        } else {
            argv[n++] = "--base-url";
            argv[n++] = p->base_url;
        }
    }
    argv[n] = NULL;
    if (capture_command((char *const *)argv, 0, &text, &status, err, errlen) != 0) goto cleanup;
    if (status != 0) {
        snprintf(err, errlen, "python runner exited with status %d", status);
        goto cleanup;
    }
    if (parse_rows(text, p->repeat, out, err, errlen) != 0) goto cleanup;
    rc = check_results(results, wl, plan, out, err, errlen);

cleanup:
    free(text);
    if (results[0] != '\0') (void)unlink(results); /* ours, in TMPDIR */
    if (urls[0] != '\0') (void)unlink(urls);
    if (rc != 0) py_outcome_free(out);
    return rc;
}
