/*
 * http.c -- a small HTTP/1.1 server: one task per connection, keep-alive,
 * timeouts, a connection limit, a clean stop on SIGINT or SIGTERM, and
 * optionally a loop on every core.
 *
 *     http [--idle-timeout S] [--header-timeout S] [--max-conns N]
 *          [--tls CERT KEY] [--loops N] PORT
 *
 * PORT 0 picks an ephemeral port.  It listens on 127.0.0.1, prints
 * "listening on PORT" and serves
 *
 *     GET /              a small HTML page
 *     GET /sleep?ms=N    answers after N milliseconds (0 to 60000); the
 *                        other connections are served meanwhile
 *     GET /hash?rounds=K the FNV-1a hash (32 bits) of the page, hashed K
 *                        times over (1 to 100000): work for the CPU, to
 *                        measure a server whose handlers compute
 *
 * and HEAD of both (the same head, no body); 404 for other paths, 405
 * (with "Allow: GET, HEAD") for other methods.  The request target may
 * be in origin form ("/sleep?ms=5") or absolute form
 * ("http://host/sleep?ms=5", whose authority stands for the Host
 * header).  An HTTP/1.1 request needs exactly one Host header, or
 * carries its authority in an absolute-form target; a request body
 * (Content-Length up to 64 KiB) is read and ignored, after an "HTTP/1.1
 * 100 Continue" when the request says "Expect: 100-continue".  Errors
 * that leave the request unreadable close the connection after their
 * response: 400 for a malformed or oversized request line or header, a
 * missing or repeated Host, a bad Content-Length or a Transfer-Encoding;
 * 413 for a longer body; 417 for another expectation; 408 when the head
 * is late (below).  Connections stay open between requests (HTTP/1.1's
 * default) unless the client sends "Connection: close" or speaks
 * HTTP/1.0 without "Connection: keep-alive".  Every response has a
 * Content-Length.
 *
 * Timeouts and limits, as Node's http server has them (0 turns a
 * timeout off):
 *   --idle-timeout S     (5) a kept-alive connection on which no new
 *                        request starts for S seconds is closed;
 *   --header-timeout S   (10) a request head (request line and headers)
 *                        must be complete within S seconds of the
 *                        connection's start, or of the first bytes of a
 *                        later request on it: else 408 Request Timeout
 *                        and the connection is closed;
 *   --max-conns N        (the descriptor limit less 16) the most
 *                        connections served at once (by each loop, with
 *                        --loops): the next ones wait in the listening
 *                        socket's backlog until one closes
 *                        (async_serve_with's connection limit).
 * And a connection on which nothing moves for STALL_SECONDS (75 s,
 * longer than the longest /sleep), such as a client that stops reading
 * its response, is dropped by async_serve_with's idle timeout.
 *
 * The connection's bytes go through a small layer: a `conn` with a
 * read, a write and an end-of-writing function and an input buffer, so
 * that another transport only has to provide those three.
 *
 * HTTPS: with --tls CERT KEY (a PEM certificate chain and its private
 * key; built where asyncrt_tls is, ASYNCC_HTTP_TLS) every connection is
 * TLS (async/tls.h): the handshake must end within the header timeout,
 * then requests go as above over the TLS stream, and the connection ends
 * with a close_notify.  `curl --cacert CA https://localhost:PORT/` or
 * `openssl s_client -connect 127.0.0.1:PORT` talk to it.
 *
 * Every core: with --loops N (0: one per CPU; 1, the default, is one
 * loop in the main thread) the server runs on N loops, one thread each
 * (async_run_loops, async/loops.h).  Each loop has its own listening
 * socket on the same port (async_tcp_listen_shared) and serves the
 * connections the kernel gives that socket, start to end: nothing of a
 * connection crosses between loops, and the handlers below are the
 * same.  The default --max-conns is then shared out between the loops.
 *
 * On SIGINT or SIGTERM (async_shutdown_on_signals) every task is
 * cancelled, on every loop: the server stops accepting, each handler's
 * await fails with ASYNC_ECANCELED and the server closes its
 * connection, async_run returns -1 with errno ECANCELED (each loop's
 * result is ASYNC_ECANCELED), and the program prints "served N
 * requests" (with --loops, followed by each loop's share, as in
 * "served 10 requests (6 + 4)") and exits 0.
 *
 * The asyncio equivalent is asyncio.start_server(handle, "127.0.0.1",
 * port) with asyncio.timeout around the reads and
 * loop.add_signal_handler(SIGTERM, ...) cancelling the tasks.
 */
#include <async.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef ASYNCC_HTTP_TLS
#include <async/tls.h>
#endif

enum {
    IN_SIZE = 4096,           /* a connection's input buffer */
    LINE_SIZE = 2048,         /* the longest request or header line, + 1 */
    HEADERS_MAX = 8192,       /* bytes of headers per request */
    BODY_MAX = 65536,         /* a request body we read and ignore */
    SLEEP_MAX_MS = 60000,     /* the longest /sleep */
    HASH_ROUNDS_MAX = 100000, /* the most rounds of /hash */
    LOOPS_MAX = 1024          /* async_run_loops' limit */
};

#define STALL_SECONDS 75.0
#define NO_TIMEOUT 1e9 /* seconds: 31 years */

/* The command line's settings, shared by every connection. */
struct options {
    double idle_timeout;
    double header_timeout;
    size_t max_conns;
    void *tls; /* the server's async_tls_context, or NULL: plain HTTP */
};

/* Responses sent by each loop (100 Continue aside), each count on a
 * cache line of its own so that loops do not slow each other down. */
static struct { _Alignas(64) long n; } served[LOOPS_MAX];

static const char page[] =
    "<!DOCTYPE html>\n"
    "<html><head><title>asyncc</title></head>\n"
    "<body><h1>Hello from asyncc</h1>\n"
    "<p>An HTTP/1.1 server written with async/await in C.</p>\n"
    "</body></html>\n";

/* ------------------------------------------------------------------ */
/* The connection: a transport and an input buffer                     */
/* ------------------------------------------------------------------ */

typedef struct conn conn;

/* A transport's two operations: read up to n bytes (0 at the end of the
 * stream), and write all n bytes; both fail with a negative code. */
typedef async ssize_t conn_read_fn(conn *c, void *buf, size_t n);
typedef async ssize_t conn_write_fn(conn *c, const void *buf, size_t n);
/* Ends our side of the stream after an error response (the peer still
 * reads what was sent); fails with a negative code. */
typedef async int conn_end_fn(conn *c);

struct conn {
    int fd;          /* the socket, owned by async_serve_with */
    void *transport; /* the transport's own state (plain TCP: none) */
    conn_read_fn *read;
    conn_write_fn *write;
    conn_end_fn *end_writing;
    char in[IN_SIZE]; /* received, not yet parsed: in[start..end) */
    size_t start, end;
    int eof; /* the peer has finished sending */
};

/* Plain TCP: the socket itself. */
async ssize_t tcp_read(conn *c, void *buf, size_t n) {
    return await(async_read(c->fd, buf, n));
}

async ssize_t tcp_write(conn *c, const void *buf, size_t n) {
    return await(async_write(c->fd, buf, n));
}

async int tcp_end_writing(conn *c) {
    return shutdown(c->fd, SHUT_WR) == 0 ? 0 : -errno;
}

static void conn_init(conn *c, int fd, void *transport, conn_read_fn *read,
                      conn_write_fn *write, conn_end_fn *end_writing) {
    c->fd = fd;
    c->transport = transport;
    c->read = read;
    c->write = write;
    c->end_writing = end_writing;
    c->start = c->end = 0;
    c->eof = 0;
}

#ifdef ASYNCC_HTTP_TLS
/* TLS: an async_tls_stream over the socket.  A client that closes the
 * connection without a close_notify has finished all the same. */
async ssize_t tls_read(conn *c, void *buf, size_t n) {
    int err = 0;
    ssize_t got = async_try(await(async_tls_read(c->transport, buf, n)), &err);
    if (err == ASYNC_TLS_ETRUNCATED)
        return 0;
    if (err != 0)
        async_raise(err);
    return got;
}

async ssize_t tls_write(conn *c, const void *buf, size_t n) {
    return await(async_tls_write(c->transport, buf, n));
}

async int tls_end_writing(conn *c) {
    return await(async_tls_shutdown(c->transport, 1.0));
}
#endif

/* Reads more input after what is buffered: evaluates to the number of
 * bytes added, 0 at the end of the stream.  A cancelled fill loses
 * nothing: bytes join the buffer only when the read completes. */
async ssize_t conn_fill(conn *c) {
    ssize_t n;

    if (c->start > 0) { /* room at the end: move what is left forward */
        memmove(c->in, c->in + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    n = await(c->read(c, c->in + c->end, sizeof c->in - c->end));
    if (n == 0)
        c->eof = 1;
    c->end += (size_t)n;
    return n;
}

/* What conn_read_line evaluates to besides a length. */
enum { LINE_END = -1, LINE_TOO_LONG = -2 };

/* Reads one line into line[0..size), without its "\n" or "\r\n";
 * evaluates to its length, LINE_END when the stream ends first, or
 * LINE_TOO_LONG.  Nothing is taken from the buffer until the line is
 * complete. */
async ssize_t conn_read_line(conn *c, char *line, size_t size) {
    for (;;) {
        char *p = c->in + c->start;
        size_t avail = c->end - c->start;
        char *nl = memchr(p, '\n', avail);

        if (nl != NULL) {
            size_t len = (size_t)(nl - p);

            if (len >= size)
                return LINE_TOO_LONG;
            c->start += len + 1;
            if (len > 0 && p[len - 1] == '\r')
                len--;
            memcpy(line, p, len);
            line[len] = '\0';
            return (ssize_t)len;
        }
        if (avail >= size)
            return LINE_TOO_LONG;
        if (c->eof || await(conn_fill(c)) == 0)
            return LINE_END;
    }
}

/* Reads and drops n bytes; evaluates to 0, or LINE_END when the stream
 * ends first. */
async int conn_skip(conn *c, size_t n) {
    while (n > 0) {
        size_t k = c->end - c->start;

        if (k == 0) {
            if (c->eof || await(conn_fill(c)) == 0)
                return LINE_END;
            continue;
        }
        if (k > n)
            k = n;
        c->start += k;
        n -= k;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

struct request {
    char method[16];
    char path[256];      /* the origin-form target: "/..." */
    int http11;          /* HTTP/1.1, else HTTP/1.0 */
    int keep;            /* keep the connection after the response */
    int head;            /* HEAD: the response has no body */
    long length;         /* Content-Length, 0 without */
    int expect_continue; /* "Expect: 100-continue" */
    const char *error;   /* why the head was refused */
};

/* Whether comma-separated header value `v` holds `token`. */
static int has_token(const char *v, const char *token) {
    size_t k = strlen(token);

    while (*v != '\0') {
        while (*v == ' ' || *v == '\t' || *v == ',')
            v++;
        if (strncasecmp(v, token, k) == 0 &&
            (v[k] == '\0' || v[k] == ',' || v[k] == ' ' || v[k] == '\t'))
            return 1;
        while (*v != '\0' && *v != ',')
            v++;
    }
    return 0;
}

/* The path of request target `t` into req->path: an origin-form target
 * as it is; an absolute-form one ("http://host[:port]/path?query",
 * RFC 9112 3.2.2) without its scheme and authority, "/" when it has no
 * path.  Returns 1 for an absolute form, 0 for an origin form, -1 when
 * `t` is neither. */
static int parse_target(struct request *req, const char *t) {
    const char *auth, *path;

    if (t[0] == '/') {
        snprintf(req->path, sizeof req->path, "%s", t);
        return 0;
    }
    if (strncasecmp(t, "http://", 7) == 0)
        auth = t + 7;
    else if (strncasecmp(t, "https://", 8) == 0)
        auth = t + 8;
    else
        return -1;
    path = auth + strcspn(auth, "/?#");
    if (path == auth || *path == '#')
        return -1; /* no host */
    snprintf(req->path, sizeof req->path, "%s%s", *path == '/' ? "" : "/",
             path);
    return 1;
}

/* The request line, "METHOD SP TARGET SP HTTP/1.x": 0, or -1 when it is
 * malformed.  Sets *absolute for an absolute-form target. */
static int parse_request_line(struct request *req, const char *line,
                              int *absolute) {
    char target[256], version[16];
    int n = 0;

    if (sscanf(line, "%15[A-Z] %255[^ ] %15[^ ]%n", req->method, target,
               version, &n) != 3 ||
        line[n] != '\0' ||
        strlen(line) !=
            strlen(req->method) + strlen(target) + strlen(version) + 2)
        return -1;
    if (strcmp(version, "HTTP/1.1") == 0)
        req->http11 = 1;
    else if (strcmp(version, "HTTP/1.0") == 0)
        req->http11 = 0;
    else
        return -1;
    return (*absolute = parse_target(req, target)) < 0 ? -1 : 0;
}

/* Reads a request head (request line and headers) into `req`.
 * Evaluates to 0, LINE_END when the stream ended before a request
 * began, or an error status (400, 413, 417) with req->error set, after
 * which the connection is unusable.  `line` is LINE_SIZE bytes. */
async int read_head(conn *c, struct request *req, char *line) {
    size_t header_bytes = 0;
    int absolute = 0, hosts = 0, lengths = 0;
    ssize_t n;

    memset(req, 0, sizeof *req);
    do /* RFC 9112 2.2: empty lines before a request are ignored */
        n = await(conn_read_line(c, line, LINE_SIZE));
    while (n == 0);
    if (n == LINE_END)
        return LINE_END;
    req->error = "bad request line\n";
    if (n == LINE_TOO_LONG || parse_request_line(req, line, &absolute) != 0)
        return 400;
    req->keep = req->http11;
    req->head = strcmp(req->method, "HEAD") == 0;

    for (;;) {
        char *colon, *value, *end;

        n = await(conn_read_line(c, line, LINE_SIZE));
        if (n == LINE_END)
            return LINE_END;
        header_bytes += n < 0 ? LINE_SIZE : (size_t)n + 2;
        req->error = "headers too long\n";
        if (n == LINE_TOO_LONG || header_bytes > HEADERS_MAX)
            return 400;
        if (n == 0)
            break;
        colon = strchr(line, ':');
        req->error = "malformed header\n";
        if (colon == NULL || colon == line ||
            strcspn(line, " \t") < (size_t)(colon - line))
            return 400;
        *colon = '\0';
        value = colon + 1 + strspn(colon + 1, " \t");
        end = value + strlen(value); /* trailing white space */
        while (end > value && isspace((unsigned char)end[-1]))
            *--end = '\0';
        if (strcasecmp(line, "Host") == 0) {
            hosts++;
        } else if (strcasecmp(line, "Connection") == 0) {
            if (has_token(value, "close"))
                req->keep = 0;
            else if (has_token(value, "keep-alive"))
                req->keep = 1;
        } else if (strcasecmp(line, "Content-Length") == 0) {
            errno = 0;
            req->error = "bad Content-Length\n";
            if (!isdigit((unsigned char)value[0]) || lengths++ > 0)
                return 400;
            req->length = strtol(value, &end, 10);
            if (*end != '\0' || errno != 0)
                return 400;
            req->error = "request body too large\n";
            if (req->length > BODY_MAX)
                return 413;
        } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
            req->error = "chunked bodies are not supported\n";
            return 400;
        } else if (strcasecmp(line, "Expect") == 0 && req->http11) {
            /* An HTTP/1.0 client cannot expect 100 (RFC 9110 10.1.1). */
            req->error = "only 100-continue can be expected\n";
            if (strcasecmp(value, "100-continue") != 0)
                return 417;
            req->expect_continue = 1;
        }
    }
    /* RFC 9112 3.2: one Host, needed in HTTP/1.1 unless the target
     * names the host. */
    req->error = "a request needs one Host header\n";
    if (hosts > 1 || (req->http11 && hosts == 0 && !absolute))
        return 400;
    req->error = NULL;
    return 0;
}

/* Sends one response, head and body in one write when they fit (two
 * small writes would meet Nagle's algorithm and the peer's delayed ACK).
 * A response to HEAD has the head only.  Evaluates to 0. */
async int respond(conn *c, const struct request *req, int status,
                  const char *reason, const char *type, const char *body) {
    char out[1024];
    size_t len = strlen(body);
    int n =
        snprintf(out, sizeof out,
                 "HTTP/1.1 %d %s\r\n"
                 "Server: asyncc-http\r\n"
                 "%s"
                 "Content-Type: %s\r\n"
                 "Content-Length: %zu\r\n"
                 "Connection: %s\r\n"
                 "\r\n",
                 status, reason, status == 405 ? "Allow: GET, HEAD\r\n" : "",
                 type, len, req->keep ? "keep-alive" : "close");

    if (req->head)
        len = 0;
    if ((size_t)n + len <= sizeof out) {
        memcpy(out + n, body, len);
        await(c->write(c, out, (size_t)n + len));
    } else {
        await(c->write(c, out, (size_t)n));
        await(c->write(c, body, len));
    }
    served[async_loop_index()].n++;
    return 0;
}

/* The N of query "NAME=N" (name given with its "="), or -1 when the
 * query is malformed or N is above `max`. */
static long query_number(const char *query, const char *name, long max) {
    size_t k = strlen(name);
    char *end;
    long v;

    if (strncmp(query, name, k) != 0 || !isdigit((unsigned char)query[k]))
        return -1;
    errno = 0;
    v = strtol(query + k, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return -1;
    return v;
}

/* FNV-1a, 32 bits, of `len` bytes at `p`, `rounds` times over: each
 * round goes on from the hash the previous one left.  Every byte waits
 * for the multiplication before it, so the work grows with the rounds
 * and no compiler can skip it. */
static uint32_t fnv1a_rounds(const char *p, size_t len, long rounds) {
    uint32_t h = 2166136261u;

    for (long r = 0; r < rounds; r++)
        for (size_t i = 0; i < len; i++)
            h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

/* Reads the body of `req` (ignored) and answers it. */
async void answer(conn *c, struct request *req) {
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

    if (req->length > 0) {
        /* The client waits for this before it sends the body. */
        if (req->expect_continue)
            await(c->write(c, cont, sizeof cont - 1));
        if (await(conn_skip(c, (size_t)req->length)) != 0) {
            req->keep = 0; /* the client went away */
            return;
        }
    }
    if (strcmp(req->method, "GET") != 0 && !req->head) {
        await(respond(c, req, 405, "Method Not Allowed", "text/plain",
                      "only GET and HEAD are supported\n"));
    } else if (strcmp(req->path, "/") == 0) {
        await(respond(c, req, 200, "OK", "text/html; charset=utf-8", page));
    } else if (strncmp(req->path, "/sleep?", 7) == 0) {
        long ms = query_number(req->path + 7, "ms=", SLEEP_MAX_MS);
        char body[64];

        if (ms < 0) {
            await(respond(c, req, 400, "Bad Request", "text/plain",
                          "usage: /sleep?ms=N with 0 <= N <= 60000\n"));
        } else {
            await(async_sleep((double)ms / 1000.0));
            snprintf(body, sizeof body, "slept %ld ms\n", ms);
            await(respond(c, req, 200, "OK", "text/plain", body));
        }
    } else if (strncmp(req->path, "/hash?", 6) == 0) {
        long rounds = query_number(req->path + 6, "rounds=", HASH_ROUNDS_MAX);
        char body[64];

        if (rounds < 1) {
            await(respond(c, req, 400, "Bad Request", "text/plain",
                          "usage: /hash?rounds=K with 1 <= K <= 100000\n"));
        } else {
            snprintf(body, sizeof body, "fnv1a %08x\n",
                     (unsigned)fnv1a_rounds(page, sizeof page - 1, rounds));
            await(respond(c, req, 200, "OK", "text/plain", body));
        }
    } else {
        await(respond(c, req, 404, "Not Found", "text/plain", "not found\n"));
    }
}

static const char *reason_of(int status) {
    switch (status) {
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 417:
        return "Expectation Failed";
    default:
        return "Bad Request";
    }
}

/* After an error response: stop sending, and read what the client still
 * sends (for up to a second) so that closing does not reset the
 * connection before the client has read the response. */
async void linger(conn *c) {
    char junk[512];
    int err = 0, late = 0;

    async_try(await(c->end_writing(c)), &err);
    if (err != 0)
        return;
    async_timeout(1.0, &late) {
        while (async_try(await(c->read(c, junk, sizeof junk)), &err) > 0)
            ;
    }
}

/* Requests on one connection until it ends, the client asks to close,
 * a timeout passes or a request is refused.  The timeouts are what
 * frees a connection whose client is gone without the kernel having
 * seen it go (no FIN or RST ever arrived, so no read can end): without
 * them such a connection keeps its descriptor until the stop, and
 * enough of them (or idle clients) lock every new client out. */
async void converse(conn *c, const struct options *o) {
    char line[LINE_SIZE];
    struct request req = {0};
    int status = 0, err = 0, first = 1;

    for (;;) {
        /* Between requests: wait up to the idle timeout for the next. */
        if (!first && c->start == c->end && !c->eof) {
            async_timeout(o->idle_timeout, &err) { await(conn_fill(c)); }
            if (err == ASYNC_ETIMEDOUT)
                return;
        }
        first = 0;
        async_timeout(o->header_timeout, &err) {
            status = await(read_head(c, &req, line));
        }
        if (err == ASYNC_ETIMEDOUT) {
            status = 408;
            req.error = "request head timed out\n";
        }
        if (status == LINE_END)
            return;
        if (status != 0) {
            req.keep = 0;
            req.head = 0;
            await(respond(c, &req, status, reason_of(status), "text/plain",
                          req.error));
            await(linger(c));
            return;
        }
        await(answer(c, &req));
        if (!req.keep)
            return;
    }
}

#ifdef ASYNCC_HTTP_TLS
/* An HTTPS connection: the handshake within the header timeout, the
 * conversation over the stream, then a close_notify (not after a
 * cancellation, which may have cut a write short).  A failed handshake
 * (a client that does not trust us, or speaks plain HTTP) ends it
 * quietly. */
async void handle_tls(int fd, const struct options *o) {
    async_tls_stream *s = NULL;
    conn c;
    int err = 0;

    if (async_tls_stream_new(&s, o->tls, fd, NULL) != 0)
        return;
    async_defer { async_tls_stream_free(s); }
    async_try(await(async_tls_handshake(s, o->header_timeout)), &err);
    if (err == ASYNC_ECANCELED)
        async_raise(err);
    if (err != 0)
        return;
    conn_init(&c, fd, s, tls_read, tls_write, tls_end_writing);
    async_try(await(converse(&c, o)), &err);
    if (err == ASYNC_ECANCELED)
        async_raise(err);
    if (err == 0)
        async_try(await(async_tls_shutdown(s, 1.0)), &err);
}
#endif

/* async_serve_with's handler, one task per connection; the server
 * closes `fd` when it returns.  A client that resets the connection
 * fails a read or write: that ends the conversation, quietly.  A
 * cancellation (the shutdown, or async_serve's stall timeout) goes on
 * to the server. */
async void handle(int fd, void *arg) {
    const struct options *o = arg;
    conn c;
    int err = 0;

#ifdef ASYNCC_HTTP_TLS
    if (o->tls != NULL) {
        await(handle_tls(fd, o));
        return;
    }
#endif
    conn_init(&c, fd, NULL, tcp_read, tcp_write, tcp_end_writing);
    async_try(await(converse(&c, o)), &err);
    if (err == ASYNC_ECANCELED)
        async_raise(err);
}

async int serve(int listen_fd, struct options *o) {
    async_serve_limits lim = {STALL_SECONDS, o->max_conns};

    return await(async_serve_with(listen_fd, handle, o, &lim));
}

/* With --loops: what every loop shares (read only), and each loop's
 * listening socket. */
struct server {
    struct options *o;
    int listen_fds[LOOPS_MAX];
};

/* async_run_loops' function: loop `loop` serves its own socket. */
async int serve_loop(int loop, void *arg) {
    struct server *s = arg;

    return await(serve(s->listen_fds[loop], s->o));
}

/* Opens n listening sockets on one port (an ephemeral one for port 0,
 * taken by the first socket); returns 0 or a negative code, with the
 * sockets opened so far left in s->listen_fds. */
static int listen_shared(struct server *s, int n, int port) {
    for (int i = 0; i < n; i++) {
        int fd = async_tcp_listen_shared("127.0.0.1", port, 128);

        if (fd < 0)
            return fd;
        s->listen_fds[i] = fd;
        if (i == 0)
            port = async_local_port(fd);
    }
    return 0;
}

/* Serves on n loops until SIGINT or SIGTERM; returns 0 when every loop
 * was stopped by them, else the first other result. */
static int run_loops(struct server *s, int n) {
    static int results[LOOPS_MAX];
    int rc = async_run_loops(n, serve_loop, s, results);

    for (int i = 0; i < n && rc == 0; i++)
        if (results[i] != ASYNC_ECANCELED)
            rc = results[i];
    return rc;
}

/* The default --max-conns: what RLIMIT_NOFILE allows, less 16 for the
 * listening socket, epoll and the signal descriptor. */
static size_t default_max_conns(void) {
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    return rl.rlim_cur > 32 ? (size_t)rl.rlim_cur - 16 : 16;
}

/* A timeout option's value: seconds, 0 for none. */
static int parse_seconds(const char *s, double *out) {
    char *end;
    double v = strtod(s, &end);

    if (*s == '\0' || *end != '\0' || !(v >= 0) || v > NO_TIMEOUT)
        return -1;
    *out = v > 0 ? v : NO_TIMEOUT;
    return 0;
}

static int usage(const char *argv0) {
    fprintf(stderr,
            "usage: %s [--idle-timeout S] [--header-timeout S] "
            "[--max-conns N] [--tls CERT KEY] [--loops N] PORT\n  (PORT 0: "
            "an ephemeral port; a timeout of 0: none; --loops 0: one per "
            "CPU)\n",
            argv0);
    return 2;
}

/* "served N requests", and with several loops each one's share. */
static void print_served(int loops) {
    long total = 0;

    for (int i = 0; i < loops; i++)
        total += served[i].n;
    printf("served %ld requests", total);
    for (int i = 0; loops > 1 && i < loops; i++)
        printf("%s%ld", i == 0 ? " (" : " + ", served[i].n);
    printf("%s\n", loops > 1 ? ")" : "");
}

int main(int argc, char **argv) {
    static struct options o = {5, 10, 0, NULL};
    static struct server srv = {&o, {0}};
    long port = -1, max_conns = 0, loops = 1;
    char *end;
    int i, rc;

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--tls") == 0) {
            if (i + 3 >= argc)
                return usage(argv[0]);
#ifdef ASYNCC_HTTP_TLS
            async_tls_context *ctx;
            rc = async_tls_server_context(&ctx, argv[i + 1], argv[i + 2]);
            if (rc != 0) {
                const char *why = async_tls_error_string(NULL);
                fprintf(stderr, "tls: %s%s%s\n", async_tls_strerror(rc),
                        why ? ": " : "", why ? why : "");
                return 1;
            }
            o.tls = ctx;
            i++;
#else
            fprintf(stderr, "tls: this build has no TLS (asyncrt_tls)\n");
            return 1;
#endif
        } else if (strcmp(argv[i], "--idle-timeout") == 0) {
            if (parse_seconds(argv[i + 1], &o.idle_timeout) != 0)
                return usage(argv[0]);
        } else if (strcmp(argv[i], "--header-timeout") == 0) {
            if (parse_seconds(argv[i + 1], &o.header_timeout) != 0)
                return usage(argv[0]);
        } else if (strcmp(argv[i], "--max-conns") == 0) {
            max_conns = strtol(argv[i + 1], &end, 10);
            if (*end != '\0' || max_conns < 1)
                return usage(argv[0]);
        } else if (strcmp(argv[i], "--loops") == 0) {
            loops = strtol(argv[i + 1], &end, 10);
            if (*argv[i + 1] == '\0' || *end != '\0' || loops < 0 ||
                loops > LOOPS_MAX)
                return usage(argv[0]);
        } else {
            return usage(argv[0]);
        }
    }
    if (i != argc - 1)
        return usage(argv[0]);
    port = strtol(argv[i], &end, 10);
    if (*argv[i] == '\0' || *end != '\0' || port < 0 || port > 65535)
        return usage(argv[0]);
    if (loops == 0)
        loops = async_loop_cpus();
    o.max_conns =
        max_conns > 0 ? (size_t)max_conns : default_max_conns() / (size_t)loops;
    if (loops == 1) {
        rc = srv.listen_fds[0] = async_tcp_listen("127.0.0.1", (int)port, 128);
    } else {
        rc = listen_shared(&srv, (int)loops, (int)port);
    }
    if (rc < 0) {
        fprintf(stderr, "listen: %s\n", async_strerror(rc));
        return 1;
    }
    rc = async_shutdown_on_signals();
    if (rc != 0) {
        fprintf(stderr, "signals: %s\n", async_strerror(rc));
        return 1;
    }
    printf("listening on %d\n", async_local_port(srv.listen_fds[0]));
    fflush(stdout);
    if (loops == 1) {
        rc = async_run(serve(srv.listen_fds[0], &o));
        /* Stopped by SIGINT or SIGTERM: the normal way out. */
        if (rc == -1 && errno == ECANCELED)
            rc = 0;
    } else {
        rc = run_loops(&srv, (int)loops);
        if (rc != 0)
            fprintf(stderr, "loops: %s\n", async_strerror(rc));
    }
    for (i = 0; i < loops; i++)
        close(srv.listen_fds[i]);
#ifdef ASYNCC_HTTP_TLS
    async_tls_context_free(o.tls);
#endif
    print_served((int)loops);
    return rc == 0 ? 0 : 1;
}
