/* http_server.c -- the loopback HTTP server for the download workload.
 *
 * libmicrohttpd runs one thread per connection (MHD_USE_THREAD_PER_CONNECTION
 * with poll, so descriptors above FD_SETSIZE work), with small stacks and a
 * raised connection limit. That lets the imitation of a slow link be plain
 * sleeps: the request handler waits the time to first byte, and the body
 * reader waits until each chunk is due at the connection's rate. Each wait
 * sleeps in pace_wait(), a poll on two descriptors: the server's stop
 * eventfd (written once by srv_stop(), never read, so it stays readable) and
 * the client's socket (hang-up). So a wait ends early when the server stops,
 * which MHD_stop_daemon() needs because it joins every connection thread,
 * and when the client leaves, so a stalled response does not pin its thread
 * after the client timed out. Nothing here prints: MHD's log is off.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <microhttpd.h>

#include "../lib/cfutures.h"
#include "../workloads/download.h"
#include "http_server.h"

/* Bodies above this are refused (?size=), to keep a typo from streaming
 * for hours. */
#define MAX_BODY ((uint64_t)1 << 34)

/* Connection threads do little (poll, fill a buffer): a small stack lets
 * hundreds of them exist cheaply. */
#define STACK_SIZE (256u << 10)

/* Bytes a stalled response sends before it stops: under 1 KiB, so that a
 * client's 1 KiB/s stall detector fires after its own time limit. */
#define STALL_BYTES 512

/* opt and stop_fd are set before the daemon starts and only read after;
 * port and base are set after it starts and never read by its threads. */
struct srv {
    struct MHD_Daemon *daemon;
    srv_options opt;
    int stop_fd; /* eventfd; readable once srv_stop() began */
    int port;
    char base[40];
};

typedef enum body_kind { BODY_FILE, BODY_STALL, BODY_RESET, BODY_SHORT } body_kind;

/* One response body being streamed; freed by MHD through body_free(). */
typedef struct body {
    const srv *s;
    int fd; /* the client's socket */
    body_kind kind;
    uint64_t cut;  /* bytes sent before the route's failure (or size) */
    int64_t start; /* ns: when streaming began, for the rate */
    char name[DL_NAME_MAX + 1];
} body;

/* Sleeps until `due` (ns, cf_now_ns()). Returns 0 when due, -1 if the
 * server is stopping or the client hung up (or poll failed). fd < 0: no
 * client socket to watch. */
static int pace_wait(const srv *s, int fd, int64_t due) {
    for (;;) {
        int64_t left = due - cf_now_ns();
        if (left <= 0) return 0;
        int64_t ms = (left + 999999) / 1000000;
        if (ms > 60000) ms = 60000; /* due may be "never": wake up now and then */
        struct pollfd p[2] = {{s->stop_fd, POLLIN, 0}, {fd, POLLRDHUP, 0}};
        int r = poll(p, fd >= 0 ? 2 : 1, (int)ms);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 || p[0].revents != 0) return -1;
        if (fd >= 0 && (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR))) return -1;
    }
}

/* Aborts the TCP connection with an RST. connect(AF_UNSPEC) disconnects a
 * Linux TCP socket at once; with SO_LINGER 0 the kernel resets instead of
 * closing. MHD's own close comes later and finds the socket disconnected.
 * Best effort: if either call fails, the reader's error still closes the
 * connection early, which the client also sees as a cut body. */
static void reset_socket(int fd) {
    struct linger l = {1, 0};
    struct sockaddr sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_family = AF_UNSPEC;
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) != 0) return;
    (void)connect(fd, &sa, sizeof sa);
}

static ssize_t body_read(void *cls, uint64_t pos, char *buf, size_t max) {
    body *b = cls;
    const srv *s = b->s;

    if (pos >= b->cut) {
        switch (b->kind) {
        case BODY_STALL:
            /* Returns only when the client left or the server stops. */
            pace_wait(s, b->fd, INT64_MAX);
            return MHD_CONTENT_READER_END_WITH_ERROR;
        case BODY_RESET:
            /* Give what was sent a moment to leave the send buffer, which
             * the RST would drop. */
            if (pace_wait(s, b->fd, cf_now_ns() + 50 * 1000000) == 0) reset_socket(b->fd);
            return MHD_CONTENT_READER_END_WITH_ERROR;
        case BODY_SHORT: return MHD_CONTENT_READER_END_WITH_ERROR;
        case BODY_FILE: break;
        }
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    uint64_t left = b->cut - pos;
    size_t n = left < max ? (size_t)left : max;
    if (s->opt.rate > 0) {
        /* Chunks of ~20 ms of data keep the pace smooth without waking a
         * thread per byte. */
        size_t chunk = (size_t)(s->opt.rate / 50);
        if (chunk < 1024) chunk = 1024;
        if (chunk > 65536) chunk = 65536;
        if (n > chunk) n = chunk;
        int64_t due = b->start + (int64_t)((double)(pos + n) * 1e9 / (double)s->opt.rate);
        if (pace_wait(s, b->fd, due) != 0) return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    dl_body_fill(b->name, pos, buf, n);
    return (ssize_t)n;
}

static void body_free(void *cls) {
    free(cls);
}

/* Queues a short text response with status `code`; extra header optional. */
static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned code, const char *text,
                                  const char *hdr, const char *val) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (r == NULL) return MHD_NO;
    enum MHD_Result ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
    if (ok == MHD_YES && hdr != NULL) ok = MHD_add_response_header(r, hdr, val);
    if (ok == MHD_YES) ok = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ok;
}

/* Parses a whole decimal number in [0, max]; -1 if it is not one. */
static int parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out) {
    uint64_t v = 0;
    if (len == 0 || len > 20) return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > max) return -1;
    }
    *out = v;
    return 0;
}

/* If path is `prefix` alone or `prefix/REST`, returns REST ("" if alone),
 * else NULL. */
static const char *route(const char *path, const char *prefix) {
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) != 0) return NULL;
    if (path[n] == '\0') return path + n;
    if (path[n] == '/') return path + n + 1;
    return NULL;
}

/* Streams a generated body of `size` bytes for `name`, failing as `kind`
 * says after `cut` bytes. */
static enum MHD_Result reply_body(const srv *s, struct MHD_Connection *c, int fd, body_kind kind,
                                  const char *name, uint64_t size, uint64_t cut) {
    body *b = calloc(1, sizeof *b);
    if (b == NULL) return MHD_NO;
    b->s = s;
    b->fd = fd;
    b->kind = kind;
    b->cut = cut;
    b->start = cf_now_ns();
    snprintf(b->name, sizeof b->name, "%s", name);
    struct MHD_Response *r =
        MHD_create_response_from_callback(size, 32 * 1024, body_read, b, body_free);
    if (r == NULL) {
        free(b);
        return MHD_NO;
    }
    enum MHD_Result ok =
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
    if (ok == MHD_YES) ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r); /* MHD keeps its own reference (and b) */
    return ok;
}

/* Appends s to out percent-encoded (all but unreserved bytes and '/'). */
static size_t url_encode(char *out, size_t cap, size_t len, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL;
        if (len + 4 >= cap) break;
        if (plain) {
            out[len++] = (char)*p;
        } else {
            out[len++] = '%';
            out[len++] = hex[*p >> 4];
            out[len++] = hex[*p & 15];
        }
    }
    out[len] = '\0';
    return len;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls) {
    static int seen; /* marks a request whose headers arrived */
    const srv *s = cls;
    (void)version;
    (void)upload;

    /* MHD calls first with the headers only; answer on the next call, as
     * its documentation advises. */
    if (*con_cls == NULL) {
        *con_cls = &seen;
        return MHD_YES;
    }
    if (*upload_size != 0) {
        *upload_size = 0; /* request bodies are read and ignored */
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or HEAD\n", MHD_HTTP_HEADER_ALLOW,
                          "GET, HEAD");

    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    int fd = ci != NULL ? ci->connect_fd : -1;
    if (s->opt.ttfb_ms > 0 &&
        pace_wait(s, fd, cf_now_ns() + (int64_t)s->opt.ttfb_ms * 1000000) != 0)
        return MHD_NO;

    uint64_t size = (uint64_t)s->opt.file_size;
    const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "size");
    if (q != NULL && parse_u64(q, strlen(q), MAX_BODY, &size) != 0)
        return reply_text(c, MHD_HTTP_BAD_REQUEST, "bad size\n", NULL, NULL);

    const char *rest;
    if ((rest = route(url, "/files")) != NULL && *rest != '\0' && strchr(rest, '/') == NULL &&
        strlen(rest) <= DL_NAME_MAX)
        return reply_body(s, c, fd, BODY_FILE, rest, size, size);
    if ((rest = route(url, "/stall")) != NULL)
        return reply_body(s, c, fd, BODY_STALL, "stall", size,
                          size / 2 < STALL_BYTES ? size / 2 : STALL_BYTES);
    if ((rest = route(url, "/reset")) != NULL)
        return reply_body(s, c, fd, BODY_RESET, "reset", size, size / 2);
    if ((rest = route(url, "/short")) != NULL)
        return reply_body(s, c, fd, BODY_SHORT, "short", size, size / 2);
    if ((rest = route(url, "/status")) != NULL) {
        uint64_t code;
        size_t len = strcspn(rest, "/");
        if (parse_u64(rest, len, 599, &code) != 0 || code < 200)
            return reply_text(c, MHD_HTTP_NOT_FOUND, "no such status\n", NULL, NULL);
        char text[32];
        snprintf(text, sizeof text, "status %u\n", (unsigned)code);
        return reply_text(c, (unsigned)code, text, NULL, NULL);
    }
    if ((rest = route(url, "/redirect")) != NULL) {
        uint64_t hops;
        size_t len = strcspn(rest, "/");
        const char *name = rest[len] == '/' ? rest + len + 1 : "redirect.bin";
        if (parse_u64(rest, len, 100, &hops) != 0 || hops == 0 || *name == '\0' ||
            strchr(name, '/') != NULL)
            return reply_text(c, MHD_HTTP_NOT_FOUND, "bad redirect\n", NULL, NULL);
        /* A relative Location (RFC 7231 allows it): the handler need not
         * read s->base, which srv_start() writes after the threads start. */
        char loc[600];
        size_t n;
        if (hops > 1)
            n = (size_t)snprintf(loc, sizeof loc, "/redirect/%u/", (unsigned)(hops - 1));
        else
            n = (size_t)snprintf(loc, sizeof loc, "/files/");
        n = url_encode(loc, sizeof loc, n, name);
        if (q != NULL) snprintf(loc + n, sizeof loc - n, "?size=%s", q);
        return reply_text(c, MHD_HTTP_FOUND, "redirect\n", MHD_HTTP_HEADER_LOCATION, loc);
    }
    if ((rest = route(url, "/location")) != NULL) {
        /* Verbatim, any scheme: for tests of what a client refuses to follow. */
        const char *to = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "to");
        if (to == NULL || *to == '\0')
            return reply_text(c, MHD_HTTP_NOT_FOUND, "no location\n", NULL, NULL);
        return reply_text(c, MHD_HTTP_FOUND, "redirect\n", MHD_HTTP_HEADER_LOCATION, to);
    }
    return reply_text(c, MHD_HTTP_NOT_FOUND, "not found\n", NULL, NULL);
}

int srv_start(const srv_options *opts, srv **out, char *err, size_t errlen) {
    srv_options o = {0, 0, 0, 0, NULL};
    if (opts != NULL) o = *opts;
    if (o.port < 0 || o.port > 65535 || o.ttfb_ms < 0 || o.rate < 0 || o.file_size < 0 ||
        (uint64_t)o.file_size > MAX_BODY) {
        snprintf(err, errlen, "server: option out of range");
        return -1;
    }
    if (o.file_size == 0) o.file_size = 1 << 20;
    if (o.addr == NULL || o.addr[0] == '\0') o.addr = "127.0.0.1";
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)o.port);
    if (inet_pton(AF_INET, o.addr, &sin.sin_addr) != 1) {
        snprintf(err, errlen, "server: '%.60s' is not an IPv4 address", o.addr);
        return -1;
    }

    srv *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "server: out of memory");
        return -1;
    }
    s->opt = o;
    s->opt.addr = NULL; /* borrowed for this call only; s->base names it */
    s->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (s->stop_fd < 0) {
        snprintf(err, errlen, "server: eventfd: %s", strerror(errno));
        free(s);
        return -1;
    }

    errno = 0;
    s->daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                                     MHD_USE_POLL | MHD_USE_ITC,
                                 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &sin,
                                 MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_LISTEN_BACKLOG_SIZE,
                                 1024u, MHD_OPTION_THREAD_STACK_SIZE, (size_t)STACK_SIZE,
                                 MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
    if (s->daemon == NULL) {
        int e = errno;
        snprintf(err, errlen, "server: cannot serve on %s:%d%s%s", o.addr, o.port, e ? ": " : "",
                 e ? strerror(e) : "");
        close(s->stop_fd);
        free(s);
        return -1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di != NULL && di->port != 0 ? di->port : o.port;
    if (s->port == 0) {
        snprintf(err, errlen, "server: cannot tell which port it got");
        srv_stop(s);
        return -1;
    }
    /* Written back by inet_ntop, so the URL never holds what the caller
     * typed beyond a dotted quad. */
    char host[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &sin.sin_addr, host, sizeof host) == NULL) {
        snprintf(err, errlen, "server: inet_ntop: %s", strerror(errno));
        srv_stop(s);
        return -1;
    }
    snprintf(s->base, sizeof s->base, "http://%s:%d", host, s->port);
    *out = s;
    return 0;
}

const char *srv_base_url(const srv *s) {
    return s->base;
}

int srv_port(const srv *s) {
    return s->port;
}

void srv_stop(srv *s) {
    if (s == NULL) return;
    uint64_t one = 1;
    /* An eventfd write of 1 fails only on counter overflow, impossible
     * here; if it ever did, waits still end at their deadlines, except a
     * stall, which ends when its client leaves. */
    (void)!write(s->stop_fd, &one, sizeof one);
    MHD_stop_daemon(s->daemon);
    (void)close(s->stop_fd);
    free(s);
}
