/* server_child.c -- the loopback HTTP server as a child process
 * (`cfbench serve`, bench/cmd/serve.c) for `cfbench run`'s download
 * workload, and the address it listens on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server_child.h"

int serve_start(const char *exe, const srv_options *o, served *s, char *err, size_t errlen) {
    char ttfb[32], rate[32], fsize[32], why[128];
    snprintf(ttfb, sizeof ttfb, "%d", o->ttfb_ms);
    snprintf(rate, sizeof rate, "%ld", o->rate);
    snprintf(fsize, sizeof fsize, "%ld", o->file_size);
    const char *addr = o->addr != NULL && o->addr[0] != '\0' ? o->addr : "127.0.0.1";
    char *const argv[] = {(char *)exe,  "serve", "--port", "0",   "--ttfb-ms",         ttfb,
                          "--rate",     rate,    "--size", fsize, "--die-with-parent", "--addr",
                          (char *)addr, NULL};

    memset(s, 0, sizeof *s);
    if (child_start(&s->c, argv, 0, why, sizeof why) != 0) {
        snprintf(err, errlen, "embedded server: %s", why);
        return -1;
    }
    if (child_read_line(&s->c, s->base_url, sizeof s->base_url, SERVE_START_MS, why, sizeof why) !=
        0) {
        snprintf(err, errlen, "embedded server (%.200s serve): %s", exe, why);
        goto fail;
    }
    if (strncmp(s->base_url, "http://", 7) != 0) {
        snprintf(err, errlen, "embedded server (%.200s serve) printed '%.60s', not a URL", exe,
                 s->base_url);
        goto fail;
    }
    /* The child prints nothing after its URL (and ignores SIGPIPE). */
    (void)close(s->c.out);
    s->c.out = -1;
    return 0;

fail:
    serve_stop(s);
    return -1;
}

void serve_stop(served *s) {
    child_stop(&s->c);
    s->base_url[0] = '\0';
}

/* 1 if interface `name` with address a is in `list`, Open MPI's
 * if_include syntax: names or a.b.c.d/n subnets, comma-separated. */
static int in_if_list(const char *list, const char *name, struct in_addr a) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        char *slash = strchr(tok, '/');
        struct in_addr net;
        if (slash == NULL) {
            if (strcmp(tok, name) == 0) return 1;
            continue;
        }
        *slash = '\0';
        long bits = strtol(slash + 1, NULL, 10);
        if (bits < 0 || bits > 32 || inet_pton(AF_INET, tok, &net) != 1) continue;
        uint32_t mask = bits == 0 ? 0 : htonl(~0u << (32 - bits));
        if ((a.s_addr & mask) == (net.s_addr & mask)) return 1;
    }
    return 0;
}

int serve_addr_for_workers(int mpi, char *addr, size_t len, char *err, size_t errlen) {
    const char *world = getenv("OMPI_COMM_WORLD_SIZE");
    const char *local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    snprintf(addr, len, "127.0.0.1");
    if (!mpi || world == NULL || local == NULL || atol(local) >= atol(world)) return 0;

    const char *list = getenv("OMPI_MCA_btl_tcp_if_include");
    if (list == NULL || list[0] == '\0') list = getenv("OMPI_MCA_oob_tcp_if_include");
    struct ifaddrs *all;
    if (getifaddrs(&all) != 0) {
        snprintf(err, errlen, "ranks on other hosts, and getifaddrs failed: %s", strerror(errno));
        return -1;
    }
    int found = 0;
    for (struct ifaddrs *i = all; i != NULL && !found; i = i->ifa_next) {
        if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET) continue;
        if (!(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK)) continue;
        struct in_addr a = ((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
        if (list != NULL && list[0] != '\0' && !in_if_list(list, i->ifa_name, a)) continue;
        found = inet_ntop(AF_INET, &a, addr, (socklen_t)len) != NULL;
    }
    freeifaddrs(all);
    if (found) return 1;
    snprintf(addr, len, "127.0.0.1");
    snprintf(err, errlen,
             "ranks on other hosts, but no interface up%s%.200s to serve downloads on "
             "(give --serve-addr)",
             list ? " in " : "", list ? list : "");
    return -1;
}
