/*
 * http.c -- a small HTTP/1.1 server: one task per connection, keep-alive,
 * and a clean stop on SIGINT or SIGTERM.
 *
 *     http PORT        (0: an ephemeral port)
 *
 * It listens on 127.0.0.1, prints "listening on PORT" and serves
 *
 *     GET /              a small HTML page
 *     GET /sleep?ms=N    answers after N milliseconds (0 to 60000); the
 *                        other connections are served meanwhile
 *
 * with 404 for other paths, 405 for other methods and 400 Bad Request
 * for a malformed or oversized request (then it closes the connection).
 * Connections stay open between requests (HTTP/1.1's default) unless the
 * client sends "Connection: close" or speaks HTTP/1.0 without
 * "Connection: keep-alive".  Every response has a Content-Length.
 *
 * On SIGINT or SIGTERM (async_shutdown_on_signals) every task is
 * cancelled: the accept loop and each connection's await fail with
 * ASYNC_ECANCELED, the connections are closed by their async_try
 * cleanup, async_run returns -1 with errno ECANCELED, and the program
 * prints "served N requests" and exits 0.
 *
 * The asyncio equivalent is asyncio.start_server(handle, "127.0.0.1",
 * port) with loop.add_signal_handler(SIGTERM, ...) cancelling the tasks.
 */
#include <async.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    LINE_SIZE = 2048,    /* the longest request or header line, + 1 */
    HEADERS_MAX = 8192,  /* bytes of headers per request */
    BODY_MAX = 65536,    /* a request body we read and ignore */
    SLEEP_MAX_MS = 60000 /* the longest /sleep */
};

/* What serve_one tells the connection's loop. */
enum { CONN_CLOSE = 0, CONN_KEEP = 1, CONN_BAD = 2 };

static long served; /* responses sent */

static const char page[] =
    "<!DOCTYPE html>\n"
    "<html><head><title>asyncc</title></head>\n"
    "<body><h1>Hello from asyncc</h1>\n"
    "<p>An HTTP/1.1 server written with async/await in C.</p>\n"
    "</body></html>\n";

/* Sends one response, head and body in one write when they fit (two
 * small writes would meet Nagle's algorithm and the peer's delayed ACK);
 * evaluates to 0. */
async int respond(int fd, int status, const char *reason, const char *type,
                  const char *body, int keep) {
    char out[1024];
    size_t len = strlen(body);
    int n = snprintf(out, sizeof out,
                     "HTTP/1.1 %d %s\r\n"
                     "Server: asyncc-http\r\n"
                     "Content-Type: %s\r\n"
                     "Content-Length: %zu\r\n"
                     "Connection: %s\r\n"
                     "\r\n",
                     status, reason, type, len, keep ? "keep-alive" : "close");

    if ((size_t)n + len <= sizeof out) {
        memcpy(out + n, body, len);
        await(async_write(fd, out, (size_t)n + len));
    } else {
        await(async_write(fd, out, (size_t)n));
        await(async_write(fd, body, len));
    }
    served++;
    return 0;
}

/* Strips a trailing "\n" or "\r\n" in place; returns 0 when `line` had
 * no newline (too long, or cut by end of file). */
static int chomp(char *line, ssize_t *n) {
    if (*n == 0 || line[*n - 1] != '\n')
        return 0;
    line[--*n] = '\0';
    if (*n > 0 && line[*n - 1] == '\r')
        line[--*n] = '\0';
    return 1;
}

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

/* The N of "/sleep?ms=N", or -1 when malformed or out of range. */
static long sleep_ms(const char *query) {
    char *end;
    long ms;

    if (strncmp(query, "ms=", 3) != 0 || !isdigit((unsigned char)query[3]))
        return -1;
    errno = 0;
    ms = strtol(query + 3, &end, 10);
    if (errno != 0 || *end != '\0' || ms > SLEEP_MAX_MS)
        return -1;
    return ms;
}

/* Reads one request from `r` and answers it.  Evaluates to CONN_KEEP,
 * CONN_CLOSE (end of stream, or the client asked), or CONN_BAD (a 400
 * was sent: linger and close).  `line` is LINE_SIZE bytes of scratch. */
async int serve_one(int fd, async_reader *r, char *line) {
    char method[16], target[256], version[16];
    int keep, have_length = 0;
    long length = 0;
    size_t header_bytes = 0;
    ssize_t n = await(async_read_line(r, line, LINE_SIZE));

    if (n == 0)
        return CONN_CLOSE;
    /* The request line: METHOD SP TARGET SP HTTP/1.x */
    if (!chomp(line, &n) ||
        sscanf(line, "%15[A-Z] %255[^ ] %15[^ ]", method, target, version) !=
            3 ||
        target[0] != '/' ||
        (strcmp(version, "HTTP/1.1") != 0 &&
         strcmp(version, "HTTP/1.0") != 0) ||
        strlen(method) + strlen(target) + strlen(version) + 2 != (size_t)n) {
        await(respond(fd, 400, "Bad Request", "text/plain",
                      "bad request line\n", 0));
        return CONN_BAD;
    }
    keep = strcmp(version, "HTTP/1.1") == 0;

    /* Headers, up to the empty line. */
    for (;;) {
        char *colon, *value;

        n = await(async_read_line(r, line, LINE_SIZE));
        header_bytes += (size_t)n;
        if (n == 0)
            return CONN_CLOSE;
        if (!chomp(line, &n) || header_bytes > HEADERS_MAX) {
            await(respond(fd, 400, "Bad Request", "text/plain",
                          "headers too long\n", 0));
            return CONN_BAD;
        }
        if (n == 0)
            break;
        colon = strchr(line, ':');
        if (colon == NULL || colon == line ||
            strcspn(line, " \t") < (size_t)(colon - line)) {
            await(respond(fd, 400, "Bad Request", "text/plain",
                          "malformed header\n", 0));
            return CONN_BAD;
        }
        *colon = '\0';
        value = colon + 1;
        value += strspn(value, " \t");
        if (strcasecmp(line, "Connection") == 0) {
            if (has_token(value, "close"))
                keep = 0;
            else if (has_token(value, "keep-alive"))
                keep = 1;
        } else if (strcasecmp(line, "Content-Length") == 0) {
            char *end = value;

            errno = 0;
            length = -1;
            if (isdigit((unsigned char)value[0]))
                length = strtol(value, &end, 10);
            if (errno != 0 || length < 0 || length > BODY_MAX || *end != '\0' ||
                have_length) {
                await(respond(fd, 400, "Bad Request", "text/plain",
                              "bad Content-Length\n", 0));
                return CONN_BAD;
            }
            have_length = 1;
        } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
            await(respond(fd, 400, "Bad Request", "text/plain",
                          "chunked bodies are not supported\n", 0));
            return CONN_BAD;
        }
    }

    /* A body (unusual for GET): read and ignored. */
    while (length > 0) {
        size_t chunk = length < LINE_SIZE ? (size_t)length : LINE_SIZE;

        if (await(async_read_exactly(r, line, chunk)) < (ssize_t)chunk)
            return CONN_CLOSE;
        length -= (long)chunk;
    }

    if (strcmp(method, "GET") != 0) {
        await(respond(fd, 405, "Method Not Allowed", "text/plain",
                      "only GET is supported\n", keep));
    } else if (strcmp(target, "/") == 0) {
        await(respond(fd, 200, "OK", "text/html; charset=utf-8", page, keep));
    } else if (strncmp(target, "/sleep?", 7) == 0) {
        long ms = sleep_ms(target + 7);
        char body[64];

        if (ms < 0) {
            await(respond(fd, 400, "Bad Request", "text/plain",
                          "usage: /sleep?ms=N with 0 <= N <= 60000\n", keep));
        } else {
            await(async_sleep((double)ms / 1000.0));
            snprintf(body, sizeof body, "slept %ld ms\n", ms);
            await(respond(fd, 200, "OK", "text/plain", body, keep));
        }
    } else {
        await(respond(fd, 404, "Not Found", "text/plain", "not found\n", keep));
    }
    return keep ? CONN_KEEP : CONN_CLOSE;
}

/* After a 400: stop sending, and read what the client still sends (for
 * up to a second) so that closing does not reset the connection before
 * the client has read the response. */
async void linger(int fd) {
    char junk[512];
    int err = 0;

    shutdown(fd, SHUT_WR);
    for (int i = 0; i < 128; i++) {
        ssize_t n = async_try(
            await(async_wait_for(async_read(fd, junk, sizeof junk), 1.0)),
            &err);

        if (err != 0 || n <= 0)
            break;
    }
}

/* One connection: requests until the client closes, asks to close, or
 * the server stops (the await in progress fails with ASYNC_ECANCELED and
 * async_try lets the connection be closed before passing it on). */
async void handle(int fd) {
    char buf[4096];
    char line[LINE_SIZE];
    async_reader r;
    int err = 0;
    int state = CONN_KEEP;

    async_reader_init(&r, fd, buf, sizeof buf);
    while (state == CONN_KEEP && err == 0)
        state = async_try(await(serve_one(fd, &r, line)), &err);
    if (err == 0 && state == CONN_BAD)
        async_try(await(linger(fd)), &err);
    close(fd);
    if (err == ASYNC_ECANCELED)
        async_raise(err);
}

/* Accepts connections until cancelled, one handler task each. */
async int serve(int listen_fd) {
    int err = 0;

    for (;;) {
        int fd = async_try(await(async_accept(listen_fd)), &err);

        if (err == ASYNC_ECANCELED)
            break;
        if (err != 0) {
            /* Out of descriptors, say: wait a little, go on. */
            fprintf(stderr, "accept: %s\n", async_strerror(err));
            err = 0;
            await(async_sleep(0.1));
            continue;
        }
        async_task *t = async_spawn(handle(fd));

        if (t == NULL)
            close(fd);
        async_task_release(t);
    }
    close(listen_fd);
    async_raise(err);
    return 0;
}

int main(int argc, char **argv) {
    char *end;
    long port = argc == 2 ? strtol(argv[1], &end, 10) : -1;
    int listen_fd, rc;

    if (argc != 2 || *end != '\0' || port < 0 || port > 65535) {
        fprintf(stderr, "usage: %s PORT  (0: an ephemeral port)\n", argv[0]);
        return 2;
    }
    listen_fd = async_tcp_listen("127.0.0.1", (int)port, 128);
    if (listen_fd < 0) {
        fprintf(stderr, "listen: %s\n", async_strerror(listen_fd));
        return 1;
    }
    rc = async_shutdown_on_signals();
    if (rc != 0) {
        fprintf(stderr, "signals: %s\n", async_strerror(rc));
        return 1;
    }
    printf("listening on %d\n", async_local_port(listen_fd));
    fflush(stdout);
    rc = async_run(serve(listen_fd));
    /* Stopped by SIGINT or SIGTERM: the normal way out. */
    if (rc == -1 && errno == ECANCELED)
        rc = 0;
    printf("served %ld requests\n", served);
    return rc == 0 ? 0 : 1;
}
