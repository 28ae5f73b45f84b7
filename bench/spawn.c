/* spawn.c -- child programs: start, read their stdout, finish or stop. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cfutures.h"
#include "spawn.h"

extern char **environ;

int child_start(child *c, char *const argv[], int flags, char *err, size_t errlen) {
    posix_spawn_file_actions_t fa;
    int pfd[2], e;

    c->pid = 0;
    c->out = -1;
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    if ((e = posix_spawn_file_actions_init(&fa)) != 0) {
        snprintf(err, errlen, "cannot run %.200s: %s", argv[0], strerror(e));
        goto fail;
    }
    /* dup2 onto 1 clears close-on-exec for the child's stdout only. */
    if ((e = posix_spawn_file_actions_adddup2(&fa, pfd[1], 1)) != 0 ||
        ((flags & SPAWN_NO_STDERR) &&
         (e = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0)) != 0) ||
        (e = posix_spawnp(&c->pid, argv[0], &fa, NULL, argv, environ)) != 0) {
        c->pid = 0;
        snprintf(err, errlen, "cannot run %.200s: %s", argv[0], strerror(e));
    }
    posix_spawn_file_actions_destroy(&fa);
    if (c->pid == 0) goto fail;
    (void)close(pfd[1]); /* now a read sees EOF once the child exits */
    c->out = pfd[0];
    return 0;

fail:
    (void)close(pfd[0]); /* pipe ends nobody wrote: nothing to lose */
    (void)close(pfd[1]);
    return -1;
}

int child_read_line(child *c, char *line, size_t cap, int timeout_ms, char *err, size_t errlen) {
    size_t len = 0;
    int64_t deadline = cf_now_ns() + (int64_t)timeout_ms * 1000000;
    for (;;) {
        int64_t left = (deadline - cf_now_ns()) / 1000000;
        if (left <= 0) {
            snprintf(err, errlen, "no line within %d ms", timeout_ms);
            return -1;
        }
        struct pollfd p = {c->out, POLLIN, 0};
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            return -1;
        }
        if (r == 0) continue;
        ssize_t n = read(c->out, line + len, cap - 1 - len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            snprintf(err, errlen, "reading: %s", strerror(errno));
            return -1;
        }
        if (n == 0) {
            snprintf(err, errlen, "exited before printing a line");
            return -1;
        }
        len += (size_t)n;
        line[len] = '\0';
        char *nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
            return 0;
        }
        if (len == cap - 1) {
            snprintf(err, errlen, "first line is too long");
            return -1;
        }
    }
}

int child_finish(child *c, int *status, char *err, size_t errlen) {
    int ws;
    pid_t r;

    if (c->out >= 0) (void)close(c->out); /* read only */
    c->out = -1;
    while ((r = waitpid(c->pid, &ws, 0)) < 0 && errno == EINTR) {
    }
    c->pid = 0;
    if (r < 0) {
        snprintf(err, errlen, "waitpid: %s", strerror(errno));
        return -1;
    }
    *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return 0;
}

void child_stop(child *c) {
    if (c->out >= 0) (void)close(c->out);
    c->out = -1;
    if (c->pid <= 0) return;
    pid_t pid = c->pid;
    c->pid = 0;
    if (kill(pid, SIGTERM) != 0) return; /* already gone and reaped */
    int64_t deadline = cf_now_ns() + 5 * (int64_t)1000000000;
    for (;;) {
        pid_t r = waitpid(pid, NULL, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) return;
        if (cf_now_ns() > deadline) {
            if (kill(pid, SIGKILL) == 0)
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
                }
            return;
        }
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
}

int capture_command(char *const argv[], int flags, char **out, int *status, char *err,
                    size_t errlen) {
    child c;
    char *buf = NULL, werr[128];
    size_t len = 0, cap = 0;
    int rc = -1;

    *out = NULL;
    *status = -1;
    if (child_start(&c, argv, flags, err, errlen) != 0) return -1;
    for (;;) {
        if (cap - len < 4096) {
            size_t ncap = cap ? 2 * cap : 16384;
            char *grown = realloc(buf, ncap);
            if (grown == NULL) {
                snprintf(err, errlen, "out of memory");
                goto cleanup;
            }
            buf = grown;
            cap = ncap;
        }
        ssize_t n = read(c.out, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            snprintf(err, errlen, "reading from %.200s: %s", argv[0], strerror(errno));
            goto cleanup;
        }
        if (n == 0) break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    rc = 0;

cleanup:
    /* Waited for either way, so that no zombie stays behind. */
    if (child_finish(&c, status, werr, sizeof werr) != 0 && rc == 0) {
        snprintf(err, errlen, "%s", werr);
        rc = -1;
    }
    if (rc == 0)
        *out = buf;
    else
        free(buf);
    return rc;
}
