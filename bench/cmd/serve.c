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
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "../cli.h"
#include "../commands.h"
#include "../http_server.h"

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
