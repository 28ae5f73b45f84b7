/* meta.c -- environment metadata: machine, toolchain, libraries, commit. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gsl/gsl_version.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "csv.h"
#include "meta.h"
#include "spawn.h"

/* The Makefile may pass the flags it compiled with; a -D cannot hold all
 * of CFLAGS (they include it), so this is what it chose to say. */
#ifndef CF_BUILD_FLAGS
#define CF_BUILD_FLAGS "unknown (built without CF_BUILD_FLAGS)"
#endif

/* Trailing newline and spaces off. */
static void chomp(char *s) {
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
}

static void cpu_model(char *buf, size_t len) {
    char line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");

    snprintf(buf, len, "unknown");
    if (f == NULL) return;
    while (fgets(line, sizeof line, f) != NULL) {
        /* x86 says "model name", some ARM kernels only "Processor". */
        if (strncmp(line, "model name", 10) == 0 || strncmp(line, "Processor", 9) == 0) {
            char *colon = strchr(line, ':');
            if (colon != NULL) {
                colon++;
                while (*colon == ' ' || *colon == '\t')
                    colon++;
                snprintf(buf, len, "%s", colon);
                chomp(buf);
                break;
            }
        }
    }
    (void)fclose(f);
}

static int usable_cores(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    return CPU_COUNT(&set);
}

/* The short commit hash of the tree cfbench was built in (asked next to
 * the executable, so that running from another folder still finds it), or
 * "unknown" outside a git checkout or without git. */
static void git_commit(char *buf, size_t len) {
    char exe[1024], *out = NULL, err[256];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = NULL;
    int status;

    snprintf(buf, len, "unknown");
    if (n > 0) {
        exe[n] = '\0';
        slash = strrchr(exe, '/');
    }
    if (slash != NULL) *slash = '\0';
    char *const argv[] = {"git",  "-C", slash != NULL ? exe : ".", "rev-parse", "--short",
                          "HEAD", NULL};
    if (capture_command(argv, SPAWN_NO_STDERR, &out, &status, err, sizeof err) != 0) return;
    if (status == 0) snprintf(buf, len, "%s", out);
    free(out);
    chomp(buf);
    if (buf[0] == '\0') snprintf(buf, len, "unknown");
}

int meta_print(FILE *f, int argc, char **argv, const char *extra) {
    char cpu[256], commit[64], date[32];
    struct utsname u;
    time_t now = time(NULL);
    struct tm tm;

    cpu_model(cpu, sizeof cpu);
    git_commit(commit, sizeof commit);
    if (now == (time_t)-1 || gmtime_r(&now, &tm) == NULL ||
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(date, sizeof date, "unknown");

    fprintf(f, "date: %s\n", date);
    fprintf(f, "command: cfbench");
    for (int i = 0; i < argc; i++)
        fprintf(f, " %s", argv[i]);
    fprintf(f, "\n");
    fprintf(f, "git_commit: %s\n", commit);
    fprintf(f, "cpu_model: %s\n", cpu);
    fprintf(f, "cores_online: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
    fprintf(f, "cores_usable: %d\n", usable_cores());
    if (uname(&u) == 0)
        fprintf(f, "kernel: %s %s %s\n", u.sysname, u.release, u.machine);
    else
        fprintf(f, "kernel: unknown\n");
#ifdef __VERSION__
    fprintf(f, "compiler: %s\n", __VERSION__);
#else
    fprintf(f, "compiler: unknown\n");
#endif
    fprintf(f, "cflags: %s\n", CF_BUILD_FLAGS);
    fprintf(f, "libcurl: %s\n", curl_version());
    fprintf(f, "openssl: %s\n", OpenSSL_version(OPENSSL_VERSION));
    fprintf(f, "libmicrohttpd: %s\n", MHD_get_version());
    fprintf(f, "gsl: %s\n", gsl_version);
    if (extra) fputs(extra, f);
    return ferror(f) ? -1 : 0;
}

int meta_write(const char *dir, int argc, char **argv, const char *extra, char *err,
               size_t errlen) {
    char path[4096];
    atomic_file af;

    if ((size_t)snprintf(path, sizeof path, "%s/meta.txt", dir) >= sizeof path) {
        snprintf(err, errlen, "%s: path too long", dir);
        return -1;
    }
    if (atomic_open(&af, path, err, errlen) != 0) return -1;
    if (meta_print(af.f, argc, argv, extra) != 0) {
        snprintf(err, errlen, "%s: write failed", path);
        atomic_abort(&af);
        return -1;
    }
    return atomic_commit(&af, err, errlen);
}
