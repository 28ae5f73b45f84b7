/* cfbench_check.h -- helpers shared by the tests that run the built cfbench.
 *
 * The Makefile builds each tests/test_*.c into a binary of its own and links
 * no shared test object, so everything here is `static inline`: a test file
 * that uses only some of it compiles without warnings. The program under test
 * is $CFBENCH (set by `make test`), else build/cfbench. A run's stdout and
 * stderr go to files (never pipes), so that a child that prints a lot cannot
 * block on a reader that waits for it to exit.
 */
#ifndef CFBENCH_CHECK_H
#define CFBENCH_CHECK_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The header line of bench.csv: the contract the tests hold cfbench to,
 * spelled out here rather than taken from bench/ so that a change there
 * shows up as a failing test. */
#define CB_BENCH_HEADER                                                                            \
    "run_id,impl,workload,mode,workers,chunksize,tasks,size,rep,wall_ms,"                          \
    "user_ms,sys_ms,max_rss_kb,ok,failed,digest,vol_cs,invol_cs,other_cpu,steal_cpu,load_avg"

/* Most entries an argv built by cb_argv() holds, its NULL included. */
#define CB_ARGV_MAX 40

/* The cfbench to test: $CFBENCH when set and not empty, else
 * build/cfbench (relative to the working folder). */
static inline const char *cb_exe(void) {
    const char *p = getenv("CFBENCH");
    return p && *p ? p : "build/cfbench";
}

/* cb_exe() as an absolute path, into exe (PATH_MAX bytes), for runs in
 * another working folder. Fails the test if it does not exist. */
static inline void cb_exe_path(char *exe) {
    ck_assert_ptr_nonnull(realpath(cb_exe(), exe));
}

/* Sleeps ms milliseconds, through signals. */
static inline void cb_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Creates a fresh folder from templ (ending in XXXXXX) and writes its name
 * into dir (cap bytes). */
static inline void cb_mkdtemp(char *dir, size_t cap, const char *templ) {
    ck_assert_uint_lt((size_t)snprintf(dir, cap, "%s", templ), cap);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* The nftw() callback of cb_rm_tree(): removes one entry. */
static inline int cb_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes dir and everything under it, not following links. Returns 0, or
 * -1 if something could not be removed (or dir does not exist). */
static inline int cb_rm_tree(const char *dir) {
    return nftw(dir, cb_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The whole file at path, NUL-terminated ("" if it cannot be opened), and
 * its size in *len when len is not NULL. The caller frees it. */
static inline char *cb_slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "r");
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    if (f != NULL) {
        size_t got;
        while ((got = fread(buf + n, 1, cap - 1 - n, f)) > 0) {
            n += got;
            if (n == cap - 1) {
                char *more = realloc(buf, cap * 2);
                ck_assert_ptr_nonnull(more);
                buf = more;
                cap *= 2;
            }
        }
        fclose(f);
    }
    buf[n] = '\0';
    if (len != NULL) *len = n;
    return buf;
}

/* The number of newlines in s. */
static inline size_t cb_count_lines(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Fills argv (CB_ARGV_MAX entries) with exe, then cmd unless it is NULL,
 * then args (NULL-terminated; cut short if there are too many), then
 * NULL. */
static inline void cb_argv(const char **argv, const char *exe, const char *cmd,
                           const char *const *args) {
    size_t n = 0;
    argv[n++] = exe;
    if (cmd != NULL) argv[n++] = cmd;
    for (size_t i = 0; args[i] != NULL && n < CB_ARGV_MAX - 1; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
}

/* How cb_spawn() sets the child up and how long cb_run() waits; a zeroed
 * struct (or NULL) changes nothing and waits for ever. */
typedef struct cb_opts {
    const char *cwd; /* the child's working folder; NULL: ours */
    const char *env; /* "NAME=value" added to the child's environment */
    int own_group;   /* the child leads a process group of its own */
    int drop_root;   /* run as nobody (65534) when we are root */
    long fsize;      /* > 0: RLIMIT_FSIZE in bytes, SIGXFSZ ignored */
    int limit_s;     /* > 0: cb_run() kills the child after this long */
} cb_opts;

/* Starts argv (argv[0] is the program's path) with stdout truncated into
 * outp and stderr into errp, set up as so says. Returns its pid. In the
 * child, a failed setup exits 126 and a failed exec 127. */
static inline pid_t cb_spawn(const char *const *argv, const char *outp, const char *errp,
                             const cb_opts *so) {
    static const cb_opts none;
    if (so == NULL) so = &none;
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fo = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0 ||
            (so->own_group && setpgid(0, 0) != 0) || (so->cwd != NULL && chdir(so->cwd) != 0))
            _exit(126);
        if (so->fsize > 0) {
            struct rlimit rl = {(rlim_t)so->fsize, (rlim_t)so->fsize};
            /* Ignored, SIGXFSZ stays ignored across exec: writes past
             * the limit then fail with EFBIG, as a full disk fails. */
            if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR || setrlimit(RLIMIT_FSIZE, &rl) != 0)
                _exit(126);
        }
        if (so->drop_root && geteuid() == 0 &&
            (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0))
            _exit(126);
        if (so->env != NULL && putenv((char *)so->env) != 0) _exit(126);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (so->own_group) (void)setpgid(pid, pid); /* either this or the child's call wins */
    return pid;
}

/* Waits for pid and returns its wait status. With limit_s > 0 it waits at
 * most limit_s seconds; then it kills pid (its whole process group when
 * group is set), reaps it and sets *hung (else *hung is 0). */
static inline int cb_wait(pid_t pid, int limit_s, int group, int *hung) {
    int st = 0;
    *hung = 0;
    if (limit_s <= 0) {
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        return st;
    }
    pid_t r = 0;
    for (int i = 0; i < limit_s * 100 && r == 0; i++) {
        r = waitpid(pid, &st, WNOHANG);
        if (r == 0) cb_sleep_ms(10);
    }
    if (r == 0) {
        kill(group ? -pid : pid, SIGKILL);
        ck_assert_int_eq(waitpid(pid, &st, 0), pid);
        *hung = 1;
        return st;
    }
    ck_assert_int_eq(r, pid);
    return st;
}

/* What a finished run printed, and how it ended. */
typedef struct cb_outcome {
    int status;      /* exit status; -1 if killed by a signal */
    char *out, *err; /* what it printed (malloc) */
} cb_outcome;

/* Runs `exe [cmd] args...` (args NULL-terminated, cmd may be NULL) as so
 * says, with stdout and stderr in the files dir/stdout and dir/stderr,
 * waits for it and reads both back into o (free with cb_outcome_free).
 * Fails the test if the program could not be started. */
static inline void cb_run(const char *exe, const char *cmd, const char *const *args,
                          const char *dir, const cb_opts *so, cb_outcome *o) {
    const char *argv[CB_ARGV_MAX];
    char outp[PATH_MAX], errp[PATH_MAX];
    int hung;

    cb_argv(argv, exe, cmd, args);
    snprintf(outp, sizeof outp, "%s/stdout", dir);
    snprintf(errp, sizeof errp, "%s/stderr", dir);
    pid_t pid = cb_spawn(argv, outp, errp, so);
    int st = cb_wait(pid, so ? so->limit_s : 0, so ? so->own_group : 0, &hung);
    o->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    o->out = cb_slurp(outp, NULL);
    o->err = cb_slurp(errp, NULL);
    ck_assert_msg(o->status != 126 && o->status != 127, "cannot run %s", exe);
}

static inline void cb_outcome_free(cb_outcome *o) {
    free(o->out);
    free(o->err);
}

/* Asserts the contract of a refused command line: exit 2, exactly one
 * whole line on stderr that contains `names`, nothing on stdout. `what`
 * names the case in the failure message. */
static inline void cb_expect_refused(const cb_outcome *o, const char *names, const char *what) {
    ck_assert_msg(o->status == 2, "%s: exit %d, stderr: %s", what, o->status, o->err);
    ck_assert_msg(cb_count_lines(o->err) == 1 && o->err[strlen(o->err) - 1] == '\n',
                  "%s: want one line, got: %s", what, o->err);
    ck_assert_msg(strstr(o->err, names) != NULL, "%s: '%s' not named in: %s", what, names, o->err);
    ck_assert_msg(o->out[0] == '\0', "%s: printed on stdout: %s", what, o->out);
}

/* ---- what cfbench wrote ------------------------------------------------ */

/* Checks that text is whole CSV lines, each with as many fields as the
 * header (no field here is quoted), and returns the number of rows after
 * the header. */
static inline size_t cb_csv_rows(const char *text, const char *what) {
    size_t rows = 0, commas = 0, fields = 0;
    const char *p = text;
    ck_assert_msg(*p != '\0', "%s is empty", what);
    for (; *p; p++) {
        if (*p == ',') commas++;
        if (*p != '\n') continue;
        if (rows == 0) fields = commas + 1;
        ck_assert_msg(commas + 1 == fields, "%s: line %zu has %zu fields, want %zu", what, rows + 1,
                      commas + 1, fields);
        commas = 0;
        rows++;
    }
    ck_assert_msg(p[-1] == '\n', "%s: the last line is cut short", what);
    return rows - 1;
}

/* Index of the column called `name` in the header that starts text. */
static inline int cb_col(const char *text, const char *name) {
    size_t n = strlen(name);
    int k = 0;
    for (const char *p = text; *p && *p != '\n'; k++) {
        size_t len = strcspn(p, ",\n");
        if (len == n && strncmp(p, name, n) == 0) return k;
        p += len + (p[len] == ',');
    }
    ck_abort_msg("no column %s", name);
    return -1;
}

/* Field k (0-based) of the CSV line starting at line, into buf. */
static inline const char *cb_field(const char *line, int k, char *buf, size_t cap) {
    for (; k > 0 && line != NULL; k--) {
        line = strchr(line, ',');
        if (line != NULL) line++;
    }
    ck_assert_ptr_nonnull(line);
    size_t n = strcspn(line, ",\n");
    ck_assert_uint_lt(n, cap);
    memcpy(buf, line, n);
    buf[n] = '\0';
    return buf;
}

#endif
