/*
 * async/net.h -- name resolution that does not block the loop (included
 * by async.h; do not include directly).
 *
 * getaddrinfo(3) may take seconds (DNS, timeouts, retries), so
 * async_getaddrinfo runs it on asyncrt's worker threads, as
 * asyncio's loop.getaddrinfo and libuv's uv_getaddrinfo do, while the
 * loop runs other tasks.  async_tcp_connect (async/io.h) resolves names
 * through it.
 *
 * Errors.  The resolver's EAI_* codes become the ASYNC_EAI_* codes below
 * (negative, far from every -errno), except EAI_MEMORY, which is
 * ASYNC_ENOMEM, and EAI_SYSTEM, which is the -errno it carried.
 * async_strerror has a message for each.  async_run of a call that fails
 * with one of them sets errno to its negation (3001...).
 *
 * This header needs no feature macros: struct addrinfo is only named.
 * A caller that looks inside one includes <netdb.h> (with
 * _POSIX_C_SOURCE >= 200112L or _GNU_SOURCE under -std=c11).
 */
#ifndef ASYNC_API_NET_H
#define ASYNC_API_NET_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct addrinfo;

/* Resolver failures (async_getaddrinfo, async_tcp_connect). */
enum {
    /* The name or service is not known (EAI_NONAME). */
    ASYNC_EAI_NONAME = -3001,
    /* The name is known but has no address of the family asked for
     * (EAI_NODATA, EAI_ADDRFAMILY). */
    ASYNC_EAI_NODATA = -3002,
    /* A temporary failure: the name server did not answer, try again
     * later (EAI_AGAIN). */
    ASYNC_EAI_AGAIN = -3003,
    /* A permanent failure of the name server, or a code of the resolver
     * that asyncrt does not know (EAI_FAIL...). */
    ASYNC_EAI_FAIL = -3004,
    /* hints->ai_family is not supported (EAI_FAMILY). */
    ASYNC_EAI_FAMILY = -3005,
    /* hints->ai_socktype is not supported (EAI_SOCKTYPE). */
    ASYNC_EAI_SOCKTYPE = -3006,
    /* The service is not available for the socket type (EAI_SERVICE). */
    ASYNC_EAI_SERVICE = -3007,
    /* hints->ai_flags is invalid (EAI_BADFLAGS). */
    ASYNC_EAI_BADFLAGS = -3008
};

/* The asyncrt code for getaddrinfo's return value `eai` (0 for 0), with
 * `err` the errno that goes with EAI_SYSTEM (when it is 0 there:
 * ASYNC_EAI_FAIL). */
int async_eai_code(int eai, int err);

#ifdef __ASYNCC__

/* getaddrinfo(host, service, hints, res) on one of asyncrt's worker
 * threads (asyncio's loop.getaddrinfo); the loop runs other tasks
 * meanwhile.  Evaluates to 0 and stores the list in *res, which the
 * caller frees with freeaddrinfo(3).  host and service are copied at the
 * start, and hints is read then too: none of them has to outlive the
 * start of the await.  NULL hints is getaddrinfo's default (AF_UNSPEC,
 * every socket type, AI_V4MAPPED | AI_ADDRCONFIG).
 *
 * Errors: ASYNC_EINVAL at once for a NULL res or when host and service
 * are both NULL; ASYNC_ENOMEM; the ASYNC_EAI_* codes above, -errno
 * (EAI_SYSTEM); the errors of async_to_thread's pool (-EAGAIN when no
 * worker thread can be started).  *res is untouched on every failure.
 *
 * Cancellation is prompt.  Cancelled before a worker has taken it, the
 * call never runs.  Cancelled while getaddrinfo runs, the await fails
 * with ASYNC_ECANCELED at once, without waiting for the resolver: the
 * request, which lives apart from the frame, is left to finish on its
 * worker, and its result is freed there.  async_run does not wait for
 * such an abandoned request; the process's exit does (the worker threads
 * are joined then), so a resolver that never answers delays exit, as
 * the C library's own timeouts allow.
 *
 * Memory: one allocation per call (the request and copies of the two
 * strings), freed when the await ends, or by the worker for an
 * abandoned request. */
async int async_getaddrinfo(const char *host, const char *service,
                            const struct addrinfo *hints,
                            struct addrinfo **res);

#endif /* __ASYNCC__ */

/* ------------------------------------------------------------------ */
/* Generated-code interface                                            */
/* ------------------------------------------------------------------ */

/* A request for a worker: allocated by the await, private to asyncrt. */
typedef struct async__dns_req async__dns_req;

struct async_getaddrinfo__frame {
    int _state;
    const char *host;
    const char *service;
    const struct addrinfo *hints;
    struct addrinfo **res;
    async__dns_req *req; /* while submitted */
    int _ret;
};
void async_getaddrinfo__init(struct async_getaddrinfo__frame *f,
                             const char *host, const char *service,
                             const struct addrinfo *hints,
                             struct addrinfo **res);
int async_getaddrinfo__resume(void *frame);

#ifdef __cplusplus
}
#endif

#endif /* ASYNC_API_NET_H */
