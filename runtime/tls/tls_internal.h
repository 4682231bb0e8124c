/*
 * tls_internal.h -- what the two halves of asyncrt_tls share: the
 * context and stream structs, the socket BIO, and the error bookkeeping.
 * tls_context.c is plain C around OpenSSL; tls_stream.c holds the
 * awaitables, written in the asyncc dialect.
 */
#ifndef ASYNC_TLS_INTERNAL_H
#define ASYNC_TLS_INTERNAL_H

#include <async.h>
#include <async/tls.h>
#include <openssl/ssl.h>

struct async_tls_context {
    SSL_CTX *ssl_ctx;
    int server;
    int verify; /* a client that verifies the peer */
};

/* Where a stream is in its life. */
enum {
    TLS_NEW,      /* made, no handshake yet */
    TLS_OPEN,     /* handshake done */
    TLS_BROKEN,   /* failed or cancelled handshake, fatal error */
    TLS_SHUT_DOWN /* async_tls_shutdown completed or failed */
};

struct async_tls_stream {
    SSL *ssl;
    int fd;
    int owns_fd;
    int server;
    int state;
    int write_broken; /* a write or shutdown stopped part way */
    int reading;      /* a task is reading */
    int writing;      /* a task is writing */
    int eof;          /* close_notify seen: reads give 0 */
    int sys_errno;    /* the last errno of the socket BIO, 0 for none */
    int read_error;   /* a read's failure that repeats (truncation) */
    /* The line buffer: buffered data is buf[start..end), and
     * buf[start..start + scanned) holds no '\n'. */
    char *buf;
    size_t start, end, scanned;
    char err[256]; /* OpenSSL's reason text of the last failure */
};

/* What one step of OpenSSL asks for. */
enum { TLS_STEP_DONE = 0, TLS_STEP_WANT_READ = 1, TLS_STEP_WANT_WRITE = 2 };

/* The operations of tls_step. */
enum { TLS_OP_HANDSHAKE, TLS_OP_READ, TLS_OP_WRITE, TLS_OP_SHUTDOWN };

/* One call of SSL_do_handshake, SSL_read, SSL_write or SSL_shutdown:
 * TLS_STEP_DONE with the byte count in *got (0: end of stream for a
 * read; for a shutdown 1 when both close_notify are done, 0 when ours is
 * sent), TLS_STEP_WANT_*, or a negative status with the reason recorded
 * in the stream (and the thread's last error). */
int async__tls_step(async_tls_stream *s, int op, void *buf, size_t n,
                    size_t *got);

/* Records `text` (may be NULL) with OpenSSL's queued errors as the
 * stream's (may be NULL) and the thread's last failure text; clears the
 * error queue. */
void async__tls_record(async_tls_stream *s, const char *text);

#endif /* ASYNC_TLS_INTERNAL_H */
