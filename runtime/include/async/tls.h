/*
 * async/tls.h -- TLS streams over non-blocking descriptors, on OpenSSL
 * (the asyncrt_tls library: link asyncc::tls in CMake, or
 * `pkg-config --libs asyncrt-tls`).  Include it explicitly:
 *
 *     #include <async.h>
 *     #include <async/tls.h>
 *
 * Like asyncio's ssl= streams.  A context holds what is shared by many
 * connections (trusted CAs, or a server's certificate and key); a stream
 * is one TLS connection over a connected socket:
 *
 *     async_tls_context *ctx;
 *     async_tls_client_context(&ctx, NULL);          -- system CAs
 *     async_tls_stream *s = await(async_tls_connect("example.org", 443,
 *                                                   ctx, 10.0));
 *     await(async_tls_write(s, req, len));
 *     n = await(async_tls_read(s, buf, sizeof buf));
 *     await(async_tls_shutdown(s, 5.0));
 *     async_tls_stream_free(s);
 *     async_tls_context_free(ctx);
 *
 * Waiting.  Every await drives OpenSSL on the descriptor and, when
 * OpenSSL needs the socket to be readable or writable, suspends in
 * async_wait_readable / async_wait_writable until the loop's poller
 * reports it, so other tasks run meanwhile.  A stream is used by the
 * loop thread that created it.  One task at a time may read a stream
 * (async_tls_read, async_tls_read_line) and one may write it
 * (async_tls_write); a reader and a writer may run at once.  Another
 * that tries fails with -EBUSY.  The handshake and the shutdown use both
 * directions: nothing else may run on the stream meanwhile.
 *
 * Security defaults.  A client context verifies the server's
 * certificate chain against the trusted CAs AND that the certificate is
 * for the name the client asked for (a DNS name, or an IP address
 * checked against the certificate's IP entries); a failure of either
 * fails the handshake with ASYNC_TLS_EVERIFY.  TLS 1.2 is the oldest
 * version accepted; renegotiation is refused.  Turning verification off
 * takes an explicit option (insecure_no_verify) and leaves the
 * connection open to anyone in the middle: for tests only.
 *
 * Errors are negative codes: the -errno of the socket (-ECONNRESET,
 * -EPIPE: writes never raise SIGPIPE), ASYNC_EINVAL, ASYNC_ENOMEM,
 * ASYNC_ETIMEDOUT for a deadline, ASYNC_ECANCELED, -EBUSY (see above),
 * and the ASYNC_TLS_E* codes below.  async_tls_strerror(code) names any
 * of them; async_tls_error_string gives OpenSSL's own reason text for
 * the last TLS failure.
 *
 * Cancellation.  Every await is safe to cancel (async_cancel,
 * async_wait_for, async_timeout): it stops waiting for the descriptor
 * before it fails with ASYNC_ECANCELED.  What becomes of the stream is
 * said for each call: a cancelled read loses nothing, a cancelled
 * handshake, write or shutdown leaves the stream (or its writing side)
 * unusable.
 */
#ifndef ASYNC_API_TLS_H
#define ASYNC_API_TLS_H

#include <stddef.h>
#include <sys/types.h>

#include "../async.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The failures of TLS itself, outside the range of errno values. */
enum {
    /* The peer's certificate was refused: its chain does not lead to a
     * trusted CA, it has expired, or it is not for the requested host
     * name or address.  async_tls_verify_result tells which. */
    ASYNC_TLS_EVERIFY = -4101,
    /* Any other handshake failure: no common protocol version or
     * cipher, an alert from the peer (which may have refused our
     * certificate), a peer that does not speak TLS, the connection
     * closed during the handshake. */
    ASYNC_TLS_EHANDSHAKE = -4102,
    /* A TLS protocol error after the handshake (a corrupted or forged
     * record, an unexpected message): the stream is unusable. */
    ASYNC_TLS_EPROTOCOL = -4103,
    /* The connection ended without the peer's close_notify, so the data
     * may have been cut short by an attacker (a truncation).  Reading
     * goes on failing with it. */
    ASYNC_TLS_ETRUNCATED = -4104,
    /* The stream cannot do that now: no handshake has completed, it
     * failed or was cancelled, a fatal error happened, the writing side
     * is broken (a write or shutdown that failed or was cancelled part
     * way), or the stream was shut down. */
    ASYNC_TLS_ESTATE = -4105,
    /* A context could not be made: a certificate, key or CA file that is
     * not valid PEM, a key that does not match the certificate. */
    ASYNC_TLS_ECONFIG = -4106
};

/* Shared configuration of many connections (an OpenSSL SSL_CTX).
 * Opaque. */
typedef struct async_tls_context async_tls_context;

/* One TLS connection over a socket.  Opaque. */
typedef struct async_tls_stream async_tls_stream;

/* How a client context verifies servers.  All zero (or a NULL pointer
 * to async_tls_client_context) is the safe default: verify against the
 * system's trusted CAs (OpenSSL's default paths: Debian's
 * ca-certificates in /etc/ssl/certs). */
typedef struct async_tls_client_options {
    /* A PEM file of trusted CA certificates, and/or a directory of them
     * in OpenSSL's hashed layout (c_rehash); when either is set, only
     * those are trusted, not the system's. */
    const char *ca_file;
    const char *ca_dir;
    /* A client certificate (a PEM chain, leaf first) and its key, for
     * servers that ask for one; both or neither. */
    const char *cert_file;
    const char *key_file;
    /* Nonzero: accept any certificate for any name, verifying nothing.
     * Anyone on the path can then read and change the traffic. */
    int insecure_no_verify;
} async_tls_client_options;

/* Makes a client context in *out.  `opts` may be NULL (the defaults).
 * Returns 0, or: ASYNC_EINVAL (NULL out, cert_file without key_file or
 * the reverse), -errno for a file or directory that cannot be read
 * (-ENOENT...), ASYNC_TLS_ECONFIG for one that OpenSSL refuses (no
 * certificate in it, a key that does not match), ASYNC_ENOMEM.  *out is
 * NULL on failure; async_tls_error_string(NULL) has the reason. */
int async_tls_client_context(async_tls_context **out,
                             const async_tls_client_options *opts);

/* Makes a server context in *out from `cert_chain_file` (PEM: the
 * server's certificate first, then the intermediate CAs that lead to
 * its root) and `key_file` (its private key, PEM, not encrypted).
 * Clients are not asked for certificates.  Returns 0 or the errors of
 * async_tls_client_context (ASYNC_EINVAL for NULL arguments). */
int async_tls_server_context(async_tls_context **out,
                             const char *cert_chain_file, const char *key_file);

/* Frees a context.  Streams made from it keep what they need and may
 * outlive it.  NULL is ignored. */
void async_tls_context_free(async_tls_context *ctx);

/* Makes a stream in *out for connected socket `fd` (made non-blocking
 * here), as a client or a server as `ctx` is.  A client names the
 * server in `server_name`: a DNS name, sent in the handshake (SNI) and
 * checked against the certificate, or a numeric IPv4 or IPv6 address,
 * checked against its IP entries (and not sent); NULL is accepted only
 * with insecure_no_verify.  A server passes NULL.  The stream does not
 * own `fd`: close it after async_tls_stream_free.  Nothing is sent until
 * async_tls_handshake.  Returns 0, or ASYNC_EINVAL (NULL out or ctx, a
 * negative fd, a client without a server name, a server with one),
 * -errno for a descriptor that cannot be made non-blocking,
 * ASYNC_ENOMEM. */
int async_tls_stream_new(async_tls_stream **out, async_tls_context *ctx, int fd,
                         const char *server_name);

/* Frees the stream without sending anything (see async_tls_shutdown for
 * a clean end).  Closes the descriptor only when the stream owns it
 * (made by async_tls_connect).  Not while an await on it is in
 * progress.  NULL is ignored. */
void async_tls_stream_free(async_tls_stream *s);

/* The stream's descriptor, or ASYNC_EINVAL for NULL. */
int async_tls_stream_fd(const async_tls_stream *s);

/* The result of verifying the peer's certificate: 0 (X509_V_OK) when it
 * was accepted or not checked, else OpenSSL's X509_V_ERR_* code (for
 * instance 20, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: an unknown
 * CA; 62, X509_V_ERR_HOSTNAME_MISMATCH; 64,
 * X509_V_ERR_IP_ADDRESS_MISMATCH).  -1 for NULL. */
long async_tls_verify_result(const async_tls_stream *s);

/* OpenSSL's reason text for the last TLS failure of stream `s` (for a
 * verification failure, the verify result's text first, as "certificate
 * verify failed: unable to get local issuer certificate"); "" when it
 * has had none.  With s NULL: the last failure of any stream or context
 * on this thread, which survives the stream (async_tls_connect frees a
 * stream whose handshake failed).  The text stays valid until the next
 * failure on the same stream (resp. thread) or the stream is freed. */
const char *async_tls_error_string(const async_tls_stream *s);

/* async_strerror with the ASYNC_TLS_E* codes: a short message, never
 * NULL. */
const char *async_tls_strerror(int code);

/* The negotiated protocol ("TLSv1.3", "TLSv1.2") after a handshake,
 * else NULL. */
const char *async_tls_version(const async_tls_stream *s);

#ifdef __ASYNCC__

/* Runs the TLS handshake: as the client, sends the server name and
 * verifies the server's certificate; as the server, answers with the
 * context's certificate.  Evaluates to 0 once the connection is secure.
 * `timeout_seconds` is the deadline of the whole handshake (0 or less,
 * or NaN: no limit): a peer that never answers fails it with
 * ASYNC_ETIMEDOUT.  Errors: ASYNC_TLS_EVERIFY, ASYNC_TLS_EHANDSHAKE,
 * the socket's -errno, ASYNC_EINVAL (NULL), ASYNC_TLS_ESTATE (a
 * handshake was already run on the stream).  A handshake that failed,
 * timed out or was cancelled leaves the stream unusable (every further
 * call fails with ASYNC_TLS_ESTATE): free it and close the socket. */
async int async_tls_handshake(async_tls_stream *s, double timeout_seconds);

/* Reads up to `n` bytes of application data into `buf` (bytes that
 * async_tls_read_line left buffered first); evaluates to the number
 * read, at least 1 when n > 0, or 0 once the peer has shut the stream
 * down cleanly (its close_notify), and again on every later call.
 * Errors: ASYNC_TLS_ETRUNCATED (the connection ended without
 * close_notify), ASYNC_TLS_EPROTOCOL, the socket's -errno,
 * ASYNC_TLS_ESTATE (no completed handshake), -EBUSY, ASYNC_EINVAL (NULL
 * s, NULL buf with n > 0).  Cancellation-safe: a cancelled read
 * delivers nothing and loses nothing; the next read gets every byte. */
async ssize_t async_tls_read(async_tls_stream *s, void *buf, size_t n);

/* Writes all of buf[0..n) as application data; evaluates to n.  Errors:
 * the socket's -errno (-EPIPE, -ECONNRESET), ASYNC_TLS_EPROTOCOL,
 * ASYNC_TLS_ESTATE (no completed handshake, the stream was shut down,
 * or its writing side is broken), -EBUSY, ASYNC_EINVAL.  A write that
 * fails or is cancelled part way may have sent part of the data and
 * part of a TLS record: the writing side is then broken, and later
 * writes and async_tls_shutdown fail with ASYNC_TLS_ESTATE (reading goes
 * on working). */
async ssize_t async_tls_write(async_tls_stream *s, const void *buf, size_t n);

/* Reads one line into line[0..size), with the contract of
 * async_read_line (async/io.h) over the stream's own buffer, whose
 * capacity is ASYNC_TLS_LINE_CAPACITY: up to and including '\n',
 * NUL-terminated; evaluates to its length, 0 at the end of the stream
 * (close_notify).  Long lines come in pieces of P = min(size - 1,
 * ASYNC_TLS_LINE_CAPACITY) bytes, each but the last exactly P bytes
 * without '\n'; the bytes after the last '\n' at the end come as a last
 * piece without '\n'.  size >= 2, else ASYNC_EINVAL (also NULL s or
 * line).  Other errors as async_tls_read.  Cancellation-safe like
 * async_read_line: a failed or cancelled await takes nothing and leaves
 * `line` untouched; the bytes stay buffered for the next read. */
async ssize_t async_tls_read_line(async_tls_stream *s, char *line, size_t size);

/* Ends the TLS session cleanly: sends close_notify, then waits for the
 * peer's, discarding application data that arrives before it (read
 * first what you want).  Evaluates to 0 once the peer's close_notify has
 * come (at once if a read already saw it), or when the peer closed the
 * connection after ours was sent.  `timeout_seconds` bounds the whole
 * (0 or less, or NaN: no limit): ASYNC_ETIMEDOUT, after which the
 * close_notify may or may not have been sent.  The socket stays open
 * (shutdown(2) or close it after); later writes fail with
 * ASYNC_TLS_ESTATE.  Errors as async_tls_write, and
 * ASYNC_TLS_ETRUNCATED when the connection ended before our
 * close_notify could go.  Cancellation: the stream's writing side is
 * then broken (reads still work). */
async int async_tls_shutdown(async_tls_stream *s, double timeout_seconds);

/* asyncio.open_connection(host, port, ssl=ctx): async_tcp_connect to
 * `host` and `port`, then the handshake as client with `host` as the
 * server name, both within `timeout_seconds` overall (0 or less, or
 * NaN: no limit).  Evaluates to a stream that owns its descriptor
 * (async_tls_stream_free closes it).  Errors: those of
 * async_tcp_connect and async_tls_handshake, ASYNC_EINVAL (NULL host or
 * ctx, a server context); nothing is left open on failure or
 * cancellation, and async_tls_error_string(NULL) gives the reason of a
 * TLS failure. */
async async_tls_stream *async_tls_connect(const char *host, int port,
                                          async_tls_context *ctx,
                                          double timeout_seconds);

#endif /* __ASYNCC__ */

/* The capacity of a stream's line buffer (one TLS record's worth). */
#define ASYNC_TLS_LINE_CAPACITY 16384

#ifdef __cplusplus
}
#endif

#endif /* ASYNC_API_TLS_H */
