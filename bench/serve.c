/* serve.c -- `cfbench serve`: the loopback server as a program, for the
 * harness's download runs (serve_start) and for trying the routes by hand.
 * It never joins an MPI job (main.c skips MPI for it), even as the child
 * of an mpiexec rank, whose environment it inherits.
 *
 * It prints the base URL as its first stdout line (the parent reads it to
 * learn the port), then serves until SIGINT or SIGTERM. The signals are
 * blocked before the server's threads start, so they inherit the mask and
 * the main thread alone takes them, in sigwait().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "serve.h"

static void usage(FILE *to) {
    fprintf(to, "usage: cfbench serve [--addr IPV4] [--port N] [--ttfb-ms N] [--rate BYTES] "
                "[--size BYTES]\n\n"
                "Serves generated files on 127.0.0.1 like a slow wide-area link.\n"
                "Prints the base URL (http://127.0.0.1:PORT) as its first line,\n"
                "then serves until SIGINT or SIGTERM and exits 0.\n\n"
                "  --addr IPV4    local address to listen on, named in the URL\n"
                "                 (default 127.0.0.1)\n"
                "  --port N       port to listen on; 0 lets the kernel pick "
                "(default 0)\n"
                "  --ttfb-ms N    delay before each response's headers "
                "(default 100)\n"
                "  --rate BYTES   body bytes per second per connection, K or M\n"
                "                 suffix (powers of 1024); 0: unlimited "
                "(default 1M)\n"
                "  --size BYTES   size of /files/NAME bodies without ?size= "
                "(default 256K)\n"
                "  --die-with-parent\n"
                "                 stop when the process that started it dies\n"
                "                 (cfbench run starts it so)\n\n"
                "routes: /files/NAME[?size=N]  /status/NNN  /stall  /reset  "
                "/short\n"
                "        /redirect/N[/NAME]  /location[/NAME]?to=URL\n"
                "        (failing routes take an optional /NAME)\n");
}

int cmd_serve(int argc, char **argv) {
    srv_options o = {0, 100, 1 << 20, 256 << 10, NULL};
    long port = o.port, ttfb_ms = o.ttfb_ms;
    unsigned long long rate = (unsigned long long)o.rate, size = (unsigned long long)o.file_size;
    int die_with_parent = 0, status;
    char err[256];
    const cli_option opts[] = {
        CLI_OPT_IPV4("--addr", &o.addr),
        CLI_OPT_LONG("--port", &port, 0, 65535),
        CLI_OPT_LONG("--ttfb-ms", &ttfb_ms, 0, 600000),
        CLI_OPT_SIZE("--rate", &rate, 0, 1L << 30),
        CLI_OPT_SIZE("--size", &size, 1, 1L << 34),
        CLI_OPT_FLAG("--die-with-parent", &die_with_parent),
        CLI_OPT_END,
    };
    const cli_command cmd = {.name = "serve", .usage = usage, .options = opts};
    if (cli_parse(&cmd, argc, argv, &status)) return status;
    o.port = (int)port;
    o.ttfb_ms = (int)ttfb_ms;
    o.rate = (long)rate;
    o.file_size = (long)size;
    /* Even a parent killed with SIGKILL leaves no server behind. */
    if (die_with_parent && prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) return 1;

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
        fprintf(stderr, "cfbench serve: cannot block signals\n");
        return 1;
    }
    /* The parent closes our stdout after reading the URL; a late write
     * must fail with EPIPE, not kill the server. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, NULL) != 0) {
        fprintf(stderr, "cfbench serve: cannot ignore SIGPIPE\n");
        return 1;
    }

    srv *s;
    if (srv_start(&o, &s, err, sizeof err) != 0) {
        fprintf(stderr, "cfbench serve: %s\n", err);
        return 1;
    }
    if (printf("%s\n", srv_base_url(s)) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "cfbench serve: cannot write the URL\n");
        srv_stop(s);
        return 1;
    }
    int sig;
    while (sigwait(&set, &sig) != 0) {
    }
    srv_stop(s);
    return 0;
}

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
