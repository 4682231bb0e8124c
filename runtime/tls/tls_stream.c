/*
 * tls_stream.c -- the awaitables of async/tls.h, in the asyncc dialect
 * (transpiled at build time like any user code): each runs OpenSSL
 * steps (tls_stream_core.c) and, when one asks for the socket, awaits
 * async_wait_readable or async_wait_writable on it.
 *
 * Cancellation falls out of the awaits: the only suspension points are
 * those two waits (and a short sleep, below), where OpenSSL has taken
 * nothing from the caller.  What a cancellation leaves behind in the
 * stream is set by async_defer blocks: the busy flags are cleared on
 * every way out, and a handshake, write or shutdown that did not finish
 * marks the stream (or its writing side) unusable.
 */
#include "tls_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Waits for the direction OpenSSL asked for.  OpenSSL may ask a read to
 * write (a TLS 1.3 key update) or a write to read; if the other side's
 * task waits on that direction already (-EBUSY), it will see the socket
 * ready as soon as this one could, so this one polls every millisecond
 * instead of waiting on the descriptor. */
static async void tls_wait(async_tls_stream *s, int want) {
    int err = 0;

    if (want == TLS_STEP_WANT_READ)
        async_try(await(async_wait_readable(s->fd)), &err);
    else
        async_try(await(async_wait_writable(s->fd)), &err);
    if (err == -EBUSY)
        await(async_sleep(0.001));
    else if (err != 0)
        async_raise(err);
}

/* One TLS operation run to completion: the byte count (or, for a
 * shutdown, SSL_shutdown's result). */
static async size_t tls_run(async_tls_stream *s, int op, void *buf, size_t n) {
    for (;;) {
        size_t got = 0;
        int rc = async__tls_step(s, op, buf, n, &got);

        if (rc < 0)
            async_raise(rc);
        if (rc == TLS_STEP_DONE)
            return got;
        await(tls_wait(s, rc));
    }
}

static async void tls_handshake_run(async_tls_stream *s) {
    await(tls_run(s, TLS_OP_HANDSHAKE, NULL, 0));
}

/* A deadline as tls.h means it: 0 or less, or NaN, is none. */
static int has_deadline(double seconds) { return seconds > 0; }

async int async_tls_handshake(async_tls_stream *s, double timeout_seconds) {
    if (s == NULL)
        async_raise(ASYNC_EINVAL);
    if (s->state != TLS_NEW || s->reading || s->writing)
        async_raise(ASYNC_TLS_ESTATE);
    /* Until it has succeeded, the stream is unusable: a failure,
     * timeout or cancellation leaves it so. */
    s->state = TLS_BROKEN;
    s->reading = s->writing = 1;
    async_defer { s->reading = s->writing = 0; }
    if (has_deadline(timeout_seconds))
        await(async_wait_for(tls_handshake_run(s), timeout_seconds));
    else
        await(tls_handshake_run(s));
    s->state = TLS_OPEN;
    return 0;
}

/* Checks common to reading: 0, or the code to fail with. */
static int read_check(async_tls_stream *s) {
    if (s->state == TLS_NEW || s->state == TLS_BROKEN)
        return ASYNC_TLS_ESTATE;
    if (s->reading)
        return -EBUSY;
    return 0;
}

/* Reads what comes next from the connection into buf[0..n): at least
 * one byte, or 0 at the end of the stream (remembered). */
static async size_t tls_read_more(async_tls_stream *s, void *buf, size_t n) {
    size_t got;

    if (s->eof)
        return 0;
    if (s->read_error)
        async_raise(s->read_error);
    got = await(tls_run(s, TLS_OP_READ, buf, n));
    if (got == 0)
        s->eof = 1;
    return got;
}

async ssize_t async_tls_read(async_tls_stream *s, void *buf, size_t n) {
    int rc;
    size_t got;

    if (s == NULL || (buf == NULL && n > 0))
        async_raise(ASYNC_EINVAL);
    if ((rc = read_check(s)) != 0)
        async_raise(rc);
    if (n == 0)
        return 0;
    if (s->end > s->start) { /* left by async_tls_read_line */
        got = s->end - s->start < n ? s->end - s->start : n;
        memcpy(buf, s->buf + s->start, got);
        s->start += got;
        s->scanned = s->scanned > got ? s->scanned - got : 0;
        return (ssize_t)got;
    }
    s->reading = 1;
    async_defer { s->reading = 0; }
    got = await(tls_read_more(s, buf, n > INT32_MAX ? INT32_MAX : n));
    return (ssize_t)got;
}

/* Takes the first `len` buffered bytes as a line piece. */
static ssize_t take_piece(async_tls_stream *s, char *line, size_t len) {
    memcpy(line, s->buf + s->start, len);
    line[len] = '\0';
    s->start += len;
    s->scanned = 0;
    if (s->start == s->end)
        s->start = s->end = 0;
    return (ssize_t)len;
}

async ssize_t async_tls_read_line(async_tls_stream *s, char *line,
                                  size_t size) {
    int rc;
    size_t piece;

    if (s == NULL || line == NULL || size < 2)
        async_raise(ASYNC_EINVAL);
    if ((rc = read_check(s)) != 0)
        async_raise(rc);
    if (s->buf == NULL && (s->buf = malloc(ASYNC_TLS_LINE_CAPACITY)) == NULL)
        async_raise(ASYNC_ENOMEM);
    piece =
        size - 1 < ASYNC_TLS_LINE_CAPACITY ? size - 1 : ASYNC_TLS_LINE_CAPACITY;
    s->reading = 1;
    async_defer { s->reading = 0; }
    for (;;) {
        size_t avail = s->end - s->start, got;
        char *nl =
            memchr(s->buf + s->start + s->scanned, '\n', avail - s->scanned);

        if (nl != NULL) {
            size_t len = (size_t)(nl - (s->buf + s->start)) + 1;
            return take_piece(s, line, len < piece ? len : piece);
        }
        s->scanned = avail;
        if (avail >= piece)
            return take_piece(s, line, piece);
        if (s->eof)
            return avail > 0 ? take_piece(s, line, avail) : 0;
        if (s->end == ASYNC_TLS_LINE_CAPACITY) { /* room at the end */
            memmove(s->buf, s->buf + s->start, avail);
            s->start = 0;
            s->end = avail;
        }
        /* Bytes read are in the buffer before any suspension that could
         * end this await, so nothing is lost to a cancellation. */
        got = await(tls_read_more(s, s->buf + s->end,
                                  ASYNC_TLS_LINE_CAPACITY - s->end));
        s->end += got;
    }
}

/* Checks common to writing: 0, or the code to fail with. */
static int write_check(async_tls_stream *s) {
    if (s->state != TLS_OPEN || s->write_broken)
        return ASYNC_TLS_ESTATE;
    if (s->writing)
        return -EBUSY;
    return 0;
}

async ssize_t async_tls_write(async_tls_stream *s, const void *buf, size_t n) {
    int rc;
    size_t done = 0;

    if (s == NULL || (buf == NULL && n > 0))
        async_raise(ASYNC_EINVAL);
    if ((rc = write_check(s)) != 0)
        async_raise(rc);
    if (n == 0)
        return 0;
    s->writing = 1;
    s->write_broken = 1; /* until every byte has gone */
    async_defer { s->writing = 0; }
    while (done < n) {
        size_t left = n - done;
        done += await(tls_run(s, TLS_OP_WRITE, (char *)buf + done,
                              left > INT32_MAX ? INT32_MAX : left));
    }
    s->write_broken = 0;
    return (ssize_t)n;
}

/* Sends close_notify, then reads until the peer's comes (or the
 * connection ends), dropping application data. */
static async void tls_shutdown_run(async_tls_stream *s) {
    char scratch[4096];

    if (await(tls_run(s, TLS_OP_SHUTDOWN, NULL, 0)) == 1)
        return; /* the peer's came first */
    while (!s->eof) {
        int err = 0;

        async_try(await(tls_read_more(s, scratch, sizeof scratch)), &err);
        if (err == ASYNC_TLS_ETRUNCATED)
            return; /* closed after our close_notify: nothing more comes */
        if (err != 0)
            async_raise(err);
    }
}

async int async_tls_shutdown(async_tls_stream *s, double timeout_seconds) {
    int rc;

    if (s == NULL)
        async_raise(ASYNC_EINVAL);
    if ((rc = write_check(s)) != 0 || (rc = read_check(s)) != 0)
        async_raise(rc == -EBUSY ? -EBUSY : ASYNC_TLS_ESTATE);
    /* After a truncation OpenSSL's session is dead: nothing can go. */
    if (s->read_error)
        async_raise(s->read_error);
    s->reading = s->writing = 1;
    s->write_broken = 1;
    async_defer {
        s->reading = s->writing = 0;
        s->state = TLS_SHUT_DOWN;
    }
    if (has_deadline(timeout_seconds))
        await(async_wait_for(tls_shutdown_run(s), timeout_seconds));
    else
        await(tls_shutdown_run(s));
    return 0;
}

async async_tls_stream *async_tls_connect(const char *host, int port,
                                          async_tls_context *ctx,
                                          double timeout_seconds) {
    double start = async_time(), left = 0;
    async_tls_stream *s = NULL;
    int fd, rc;

    if (host == NULL || ctx == NULL || ctx->server)
        async_raise(ASYNC_EINVAL);
    fd = await(async_tcp_connect(host, port, timeout_seconds));
    if ((rc = async_tls_stream_new(&s, ctx, fd, host)) != 0) {
        close(fd);
        async_raise(rc);
    }
    s->owns_fd = 1;
    async_defer {
        if (async_failing() != 0) {
            /* Keep the reason past the stream (async_tls_error_string). */
            if (s->err[0] != '\0')
                async__tls_record(NULL, s->err);
            async_tls_stream_free(s);
        }
    }
    if (has_deadline(timeout_seconds)) {
        left = timeout_seconds - (async_time() - start);
        if (!(left > 0))
            async_raise(ASYNC_ETIMEDOUT);
    }
    await(async_tls_handshake(s, left));
    return s;
}
