/* http_server.h -- the loopback HTTP server that the download workload fetches
 * from: a slow wide-area link imitated on 127.0.0.1 (libmicrohttpd), or on
 * another local address when workers on other hosts must reach it.
 *
 * Every response waits the time to first byte (ttfb) before its headers,
 * and a body then streams at `rate` bytes per second per connection, so
 * that a file takes about ttfb + size / rate whatever else is running.
 * Each connection has its own thread; the waits sleep in that thread, so
 * connections never wait for each other (500 at once are fine).
 *
 * Routes (GET or HEAD; a query "?size=N" sets N body bytes where a size
 * applies, else the server's file_size):
 *   /files/NAME           NAME's generated body (dl_body_fill in
 *                         workloads/download.h); NAME may lack an extension
 *   /status/NNN[/NAME]    status NNN (200..599) with a short text body
 *   /stall[/NAME]         headers, a little body, then nothing until the
 *                         client gives up or the server stops
 *   /reset[/NAME]         announces the size, sends about half, then resets
 *                         the connection (TCP RST)
 *   /short[/NAME]         announces the size, sends half, closes cleanly
 *   /redirect/N[/NAME]    N redirects (1 <= N <= 100), then /files/NAME
 *                         (NAME defaults to "redirect.bin"); the query
 *                         is kept
 *   /location[/NAME]?to=URL  one redirect to URL as given (percent-decoded
 *                         once), whatever its scheme
 *   anything else         404
 * The optional /NAME on the failing routes gives them a file name with an
 * extension, so a downloader reaches the request instead of refusing the
 * name.
 */
#ifndef BENCH_HTTP_SERVER_H
#define BENCH_HTTP_SERVER_H

#include <stddef.h>

/* Settings; zero means the default given. */
typedef struct srv_options {
    int port;         /* port on addr; 0: the kernel picks one */
    int ttfb_ms;      /* delay before every response's headers; 0: none */
    long rate;        /* body bytes per second per connection; 0: unlimited */
    long file_size;   /* body size of /files/NAME without ?size=; 0: 1 MiB */
    const char *addr; /* IPv4 address to listen on, named in the base URL;
                         NULL or "": 127.0.0.1. Borrowed for srv_start(). */
} srv_options;

typedef struct srv srv;

/* Starts a server with opts (NULL: all defaults) and stores it in *out.
 * It listens on opts->addr only (127.0.0.1 by default) and serves from its
 * own threads until srv_stop(). Returns 0, or -1 with a one-line reason in err (bad option,
 * port in use, no memory or threads). The caller owns the server. */
int srv_start(const srv_options *opts, srv **out, char *err, size_t errlen);

/* The base URL, "http://ADDR:PORT" (no trailing slash), owned by the
 * server and valid until srv_stop(). */
const char *srv_base_url(const srv *s);

/* The port the server listens on (useful when opts->port was 0). */
int srv_port(const srv *s);

/* Stops accepting, ends every connection (waits paced or stalled included)
 * and waits for the server's threads, then frees the server. Safe on NULL.
 * Must not be called from a server thread. */
void srv_stop(srv *s);

#endif
