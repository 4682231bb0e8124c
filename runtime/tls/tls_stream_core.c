/*
 * tls_stream_core.c -- a stream's OpenSSL side: making and freeing it,
 * the socket BIO, one step of a TLS operation and what its failure
 * means, and the error texts.
 *
 * The stream gives OpenSSL a BIO of its own over the socket rather than
 * OpenSSL's socket BIO, which writes with write(2): a peer that has gone
 * would raise SIGPIPE.  This one sends with MSG_NOSIGNAL, and keeps the
 * errno of a failed system call so that a failure is reported as the
 * socket's -errno.
 */
#include "tls_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The last failure's text on this thread (async_tls_error_string(NULL)). */
static _Thread_local char last_error[256];

void async__tls_record(async_tls_stream *s, const char *text) {
    char buf[256];
    size_t len = 0;
    unsigned long e;

    buf[0] = '\0';
    if (text != NULL)
        len = (size_t)snprintf(buf, sizeof buf, "%s", text);
    while ((e = ERR_get_error()) != 0) {
        char one[160];

        ERR_error_string_n(e, one, sizeof one);
        if (len < sizeof buf - 1)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
                                    len ? "; " : "", one);
    }
    if (len >= sizeof buf)
        len = sizeof buf - 1;
    memcpy(last_error, buf, len + 1);
    if (s != NULL)
        memcpy(s->err, buf, len + 1);
}

/* ------------------------------------------------------------------ */
/* The socket BIO                                                      */
/* ------------------------------------------------------------------ */

static int bio_write(BIO *b, const char *in, int n) {
    async_tls_stream *s = BIO_get_data(b);
    ssize_t r;

    BIO_clear_retry_flags(b);
    do
        r = send(s->fd, in, (size_t)n, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            BIO_set_retry_write(b);
        else
            s->sys_errno = errno;
        return -1;
    }
    return (int)r;
}

static int bio_read(BIO *b, char *out, int n) {
    async_tls_stream *s = BIO_get_data(b);
    ssize_t r;

    BIO_clear_retry_flags(b);
    do
        r = recv(s->fd, out, (size_t)n, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            BIO_set_retry_read(b);
        else
            s->sys_errno = errno;
        return -1;
    }
    return (int)r;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
    (void)b, (void)num, (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0; /* nothing is buffered here */
}

static int bio_create(BIO *b) {
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *bio_method;

/* Made once per process and kept until exit (OpenSSL frees nothing of a
 * BIO_METHOD in use). */
static void bio_method_init(void) {
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                 "asyncrt socket");
    if (m == NULL)
        return;
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    bio_method = m;
}

/* ------------------------------------------------------------------ */
/* Streams                                                             */
/* ------------------------------------------------------------------ */

/* A numeric IPv4 or IPv6 address: checked as such, never sent as SNI
 * (RFC 6066 allows only names there). */
static int is_ip(const char *name) {
    unsigned char a[16];
    return inet_pton(AF_INET, name, a) == 1 ||
           inet_pton(AF_INET6, name, a) == 1;
}

static int set_peer_name(async_tls_stream *s, async_tls_context *ctx,
                         const char *name) {
    if (is_ip(name)) {
        if (ctx->verify &&
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), name) != 1)
            return ASYNC_ENOMEM;
        return 0;
    }
    if (SSL_set_tlsext_host_name(s->ssl, name) != 1)
        return ASYNC_EINVAL; /* longer than 255 bytes */
    if (ctx->verify && SSL_set1_host(s->ssl, name) != 1)
        return ASYNC_EINVAL;
    return 0;
}

int async_tls_stream_new(async_tls_stream **out, async_tls_context *ctx, int fd,
                         const char *server_name) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    async_tls_stream *s;
    BIO *bio;
    int rc;

    if (out == NULL)
        return ASYNC_EINVAL;
    *out = NULL;
    if (ctx == NULL || fd < 0 || (ctx->server && server_name != NULL) ||
        (!ctx->server && ctx->verify && server_name == NULL))
        return ASYNC_EINVAL;
    if ((rc = async_fd_nonblocking(fd)) != 0)
        return rc;
    pthread_once(&once, bio_method_init);
    if (bio_method == NULL)
        return ASYNC_ENOMEM;
    if ((s = calloc(1, sizeof *s)) == NULL)
        return ASYNC_ENOMEM;
    s->fd = fd;
    s->server = ctx->server;
    s->state = TLS_NEW;
    if ((s->ssl = SSL_new(ctx->ssl_ctx)) == NULL ||
        (bio = BIO_new(bio_method)) == NULL) {
        async__tls_record(NULL, "SSL_new");
        SSL_free(s->ssl);
        free(s);
        return ASYNC_ENOMEM;
    }
    BIO_set_data(bio, s);
    SSL_set_bio(s->ssl, bio, bio);
    if (s->server)
        SSL_set_accept_state(s->ssl);
    else
        SSL_set_connect_state(s->ssl);
    if (server_name != NULL && (rc = set_peer_name(s, ctx, server_name)) != 0) {
        async_tls_stream_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void async_tls_stream_free(async_tls_stream *s) {
    if (s == NULL)
        return;
    SSL_free(s->ssl); /* and the BIO */
    if (s->owns_fd)
        close(s->fd);
    free(s->buf);
    free(s);
}

int async_tls_stream_fd(const async_tls_stream *s) {
    return s != NULL ? s->fd : ASYNC_EINVAL;
}

long async_tls_verify_result(const async_tls_stream *s) {
    return s != NULL ? SSL_get_verify_result(s->ssl) : -1;
}

const char *async_tls_error_string(const async_tls_stream *s) {
    return s != NULL ? s->err : last_error;
}

const char *async_tls_version(const async_tls_stream *s) {
    if (s == NULL || s->state == TLS_NEW || s->state == TLS_BROKEN)
        return NULL;
    return SSL_get_version(s->ssl);
}

const char *async_tls_strerror(int code) {
    switch (code) {
    case ASYNC_TLS_EVERIFY:
        return "TLS: the peer's certificate was refused";
    case ASYNC_TLS_EHANDSHAKE:
        return "TLS: the handshake failed";
    case ASYNC_TLS_EPROTOCOL:
        return "TLS: protocol error";
    case ASYNC_TLS_ETRUNCATED:
        return "TLS: the connection ended without close_notify";
    case ASYNC_TLS_ESTATE:
        return "TLS: the stream cannot do that in its state";
    case ASYNC_TLS_ECONFIG:
        return "TLS: invalid certificate, key or CA";
    }
    return async_strerror(code);
}

/* ------------------------------------------------------------------ */
/* One step                                                            */
/* ------------------------------------------------------------------ */

/* What a fatal SSL_ERROR_SSL of `op` means. */
static int ssl_failure(async_tls_stream *s, int op) {
    unsigned long e = ERR_peek_error();
    int eof = ERR_GET_LIB(e) == ERR_LIB_SSL &&
              ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
    long v;

    if (op == TLS_OP_HANDSHAKE) {
        s->state = TLS_BROKEN;
        if (!s->server && (v = SSL_get_verify_result(s->ssl)) != X509_V_OK) {
            char text[200];
            snprintf(text, sizeof text, "certificate verify failed: %s",
                     X509_verify_cert_error_string(v));
            async__tls_record(s, text);
            return ASYNC_TLS_EVERIFY;
        }
        async__tls_record(s, eof ? "the peer closed the connection during "
                                   "the handshake"
                                 : "handshake");
        return ASYNC_TLS_EHANDSHAKE;
    }
    if (eof) {
        async__tls_record(s, "the connection ended without close_notify");
        s->read_error = ASYNC_TLS_ETRUNCATED;
        return ASYNC_TLS_ETRUNCATED;
    }
    s->state = TLS_BROKEN;
    async__tls_record(s, "protocol error");
    return ASYNC_TLS_EPROTOCOL;
}

int async__tls_step(async_tls_stream *s, int op, void *buf, size_t n,
                    size_t *got) {
    size_t count = 0;
    int ret;

    *got = 0;
    ERR_clear_error();
    s->sys_errno = 0;
    switch (op) {
    case TLS_OP_HANDSHAKE:
        ret = SSL_do_handshake(s->ssl);
        if (ret == 1)
            return TLS_STEP_DONE;
        break;
    case TLS_OP_READ:
        ret = SSL_read_ex(s->ssl, buf, n, &count);
        break;
    case TLS_OP_WRITE:
        ret = SSL_write_ex(s->ssl, buf, n, &count);
        break;
    default:
        ret = SSL_shutdown(s->ssl);
        if (ret >= 0) {
            *got = (size_t)ret;
            return TLS_STEP_DONE;
        }
        break;
    }
    if ((op == TLS_OP_READ || op == TLS_OP_WRITE) && ret == 1) {
        *got = count;
        return TLS_STEP_DONE;
    }
    switch (SSL_get_error(s->ssl, ret)) {
    case SSL_ERROR_WANT_READ:
        return TLS_STEP_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return TLS_STEP_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN: /* the peer's close_notify */
        return TLS_STEP_DONE;
    case SSL_ERROR_SYSCALL:
        if (s->sys_errno != 0) {
            int err = s->sys_errno;
            char text[120];

            snprintf(text, sizeof text, "socket: %s", strerror(err));
            async__tls_record(s, text);
            s->state = TLS_BROKEN; /* OpenSSL's session is done for */
            return -err;
        }
        /* An end of file that OpenSSL did not classify. */
        if (op == TLS_OP_HANDSHAKE) {
            s->state = TLS_BROKEN;
            async__tls_record(s, "the peer closed the connection during the "
                                 "handshake");
            return ASYNC_TLS_EHANDSHAKE;
        }
        async__tls_record(s, "the connection ended without close_notify");
        s->read_error = ASYNC_TLS_ETRUNCATED;
        return ASYNC_TLS_ETRUNCATED;
    default:
        return ssl_failure(s, op);
    }
}
