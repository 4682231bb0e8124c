/*
 * tls_context.c -- client and server contexts (OpenSSL SSL_CTX) with
 * safe defaults: peer verification on for clients, TLS 1.2 at least,
 * no renegotiation.
 */
#include "tls_internal.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A file or directory OpenSSL is to read: the OS's reason first, so a
 * missing file is -ENOENT rather than a PEM error. */
static int readable(const char *path, const char *what) {
    if (access(path, R_OK) == 0)
        return 0;
    int err = errno;
    char text[300];
    snprintf(text, sizeof text, "%s %s: %s", what, path, strerror(err));
    async__tls_record(NULL, text);
    return -err;
}

static int new_ctx(async_tls_context **out, int server) {
    async_tls_context *c = calloc(1, sizeof *c);
    if (c == NULL)
        return ASYNC_ENOMEM;
    c->ssl_ctx =
        SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (c->ssl_ctx == NULL) {
        async__tls_record(NULL, "SSL_CTX_new");
        free(c);
        return ASYNC_ENOMEM;
    }
    c->server = server;
    SSL_CTX_set_min_proto_version(c->ssl_ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(c->ssl_ctx, SSL_OP_NO_RENEGOTIATION);
    /* Each SSL_write returns after a record, so the stream counts its
     * progress; a retried write may come from another address. */
    SSL_CTX_set_mode(c->ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                     SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    *out = c;
    return 0;
}

/* The certificate chain and key of a server, or a client's own. */
static int use_cert(async_tls_context *c, const char *cert, const char *key) {
    int rc;
    if ((rc = readable(cert, "certificate file")) != 0 ||
        (rc = readable(key, "key file")) != 0)
        return rc;
    if (SSL_CTX_use_certificate_chain_file(c->ssl_ctx, cert) != 1) {
        async__tls_record(NULL, "certificate file");
        return ASYNC_TLS_ECONFIG;
    }
    if (SSL_CTX_use_PrivateKey_file(c->ssl_ctx, key, SSL_FILETYPE_PEM) != 1) {
        async__tls_record(NULL, "key file");
        return ASYNC_TLS_ECONFIG;
    }
    if (SSL_CTX_check_private_key(c->ssl_ctx) != 1) {
        async__tls_record(NULL, "the key does not match the certificate");
        return ASYNC_TLS_ECONFIG;
    }
    return 0;
}

static int fail(async_tls_context **out, async_tls_context *c, int rc) {
    async_tls_context_free(c);
    *out = NULL;
    return rc;
}

int async_tls_client_context(async_tls_context **out,
                             const async_tls_client_options *opts) {
    static const async_tls_client_options defaults = {0};
    async_tls_context *c;
    int rc;

    if (out == NULL)
        return ASYNC_EINVAL;
    *out = NULL;
    if (opts == NULL)
        opts = &defaults;
    if ((opts->cert_file == NULL) != (opts->key_file == NULL)) {
        async__tls_record(NULL, "a client certificate needs both cert_file "
                                "and key_file");
        return ASYNC_EINVAL;
    }
    if ((rc = new_ctx(&c, 0)) != 0)
        return rc;
    c->verify = !opts->insecure_no_verify;
    SSL_CTX_set_verify(c->ssl_ctx,
                       c->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    if (opts->ca_file != NULL || opts->ca_dir != NULL) {
        if ((opts->ca_file && (rc = readable(opts->ca_file, "CA file")) != 0) ||
            (opts->ca_dir &&
             (rc = readable(opts->ca_dir, "CA directory")) != 0))
            return fail(out, c, rc);
        if (SSL_CTX_load_verify_locations(c->ssl_ctx, opts->ca_file,
                                          opts->ca_dir) != 1) {
            async__tls_record(NULL, "CA file or directory");
            return fail(out, c, ASYNC_TLS_ECONFIG);
        }
    } else if (SSL_CTX_set_default_verify_paths(c->ssl_ctx) != 1) {
        async__tls_record(NULL, "the system's CA store");
        return fail(out, c, ASYNC_TLS_ECONFIG);
    }
    if (opts->cert_file != NULL &&
        (rc = use_cert(c, opts->cert_file, opts->key_file)) != 0)
        return fail(out, c, rc);
    ERR_clear_error();
    *out = c;
    return 0;
}

int async_tls_server_context(async_tls_context **out,
                             const char *cert_chain_file,
                             const char *key_file) {
    async_tls_context *c;
    int rc;

    if (out == NULL)
        return ASYNC_EINVAL;
    *out = NULL;
    if (cert_chain_file == NULL || key_file == NULL)
        return ASYNC_EINVAL;
    if ((rc = new_ctx(&c, 1)) != 0)
        return rc;
    if ((rc = use_cert(c, cert_chain_file, key_file)) != 0)
        return fail(out, c, rc);
    ERR_clear_error();
    *out = c;
    return 0;
}

void async_tls_context_free(async_tls_context *ctx) {
    if (ctx == NULL)
        return;
    SSL_CTX_free(ctx->ssl_ctx);
    free(ctx);
}
