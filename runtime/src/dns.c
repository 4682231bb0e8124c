/*
 * dns.c -- async_getaddrinfo(): getaddrinfo(3) on the worker pool, and
 * the resolver's error codes.
 *
 * The request cannot live in the awaiting frame, as async_to_thread's
 * call does: a cancelled await must end at once, while getaddrinfo may
 * keep its worker for seconds, and the frame is gone by then.  So each
 * await allocates a request holding the pool's work item, copies of the
 * host and service strings and of the hints, and the result.  The await
 * that gets its result frees it; one that ends without it detaches it
 * (pool.h), and whoever sees the request finish then frees it and its
 * list.
 */
#include "dns.h"
#include "internal.h"
#include "pool.h"

#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

async__getaddrinfo_fn async__getaddrinfo_hook = getaddrinfo;

struct async__dns_req {
    async__work work; /* first: release gets the request back from it */
    async__getaddrinfo_fn resolve;
    struct addrinfo hints;
    int has_hints;
    const char *host; /* in text[], or NULL */
    const char *service;
    struct addrinfo *res;
    int rc;  /* getaddrinfo's result */
    int err; /* errno after it, for EAI_SYSTEM */
    char text[];
};

int async_eai_code(int eai, int err) {
    switch (eai) {
    case 0:
        return 0;
    case EAI_NONAME:
        return ASYNC_EAI_NONAME;
#ifdef EAI_NODATA
    case EAI_NODATA:
        return ASYNC_EAI_NODATA;
#endif
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY:
        return ASYNC_EAI_NODATA;
#endif
    case EAI_AGAIN:
        return ASYNC_EAI_AGAIN;
    case EAI_FAMILY:
        return ASYNC_EAI_FAMILY;
    case EAI_SOCKTYPE:
        return ASYNC_EAI_SOCKTYPE;
    case EAI_SERVICE:
        return ASYNC_EAI_SERVICE;
    case EAI_BADFLAGS:
        return ASYNC_EAI_BADFLAGS;
    case EAI_MEMORY:
        return ASYNC_ENOMEM;
    case EAI_SYSTEM:
        return err > 0 ? -err : ASYNC_EAI_FAIL;
    default:
        return ASYNC_EAI_FAIL;
    }
}

/* On a worker. */
static void *dns_call(void *arg) {
    async__dns_req *r = arg;

    errno = 0;
    r->rc = r->resolve(r->host, r->service, r->has_hints ? &r->hints : NULL,
                       &r->res);
    r->err = errno;
    if (r->rc != 0)
        r->res = NULL;
    return NULL;
}

static void dns_release(async__work *w) {
    async__dns_req *r = (async__dns_req *)w;

    if (r->res != NULL)
        freeaddrinfo(r->res);
    free(r);
}

/* The request for `f`'s arguments, or NULL when out of memory. */
static async__dns_req *dns_req_new(const struct async_getaddrinfo__frame *f) {
    size_t hl = f->host != NULL ? strlen(f->host) + 1 : 0;
    size_t sl = f->service != NULL ? strlen(f->service) + 1 : 0;
    async__dns_req *r = calloc(1, sizeof(*r) + hl + sl);

    if (r == NULL)
        return NULL;
    if (f->host != NULL)
        r->host = memcpy(r->text, f->host, hl);
    if (f->service != NULL)
        r->service = memcpy(r->text + hl, f->service, sl);
    if (f->hints != NULL) {
        /* Only these four may be set in hints (POSIX): the rest of the
         * copy stays zero, so no pointer of the caller's is kept. */
        r->has_hints = 1;
        r->hints.ai_flags = f->hints->ai_flags;
        r->hints.ai_family = f->hints->ai_family;
        r->hints.ai_socktype = f->hints->ai_socktype;
        r->hints.ai_protocol = f->hints->ai_protocol;
    }
    r->resolve = async__getaddrinfo_hook;
    r->work.fn = dns_call;
    r->work.arg = r;
    r->work.release = dns_release;
    return r;
}

void async_getaddrinfo__init(struct async_getaddrinfo__frame *f,
                             const char *host, const char *service,
                             const struct addrinfo *hints,
                             struct addrinfo **res) {
    f->_state = 0;
    f->host = host;
    f->service = service;
    f->hints = hints;
    f->res = res;
    f->req = NULL;
    f->_ret = -1;
}

void async__getaddrinfo_abandon(struct async_getaddrinfo__frame *f) {
    if (f->_state == 1 && f->req != NULL)
        async__pool_detach(&f->req->work);
    f->req = NULL;
    f->_state = -1;
}

/* States: 0 = not started; 1 = submitted, waiting for the loop to
 * collect it; -1 = done. */
int async_getaddrinfo__resume(void *frame) {
    struct async_getaddrinfo__frame *f = frame;
    async__dns_req *r;
    int rc;

    switch (f->_state) {
    case 0:
        assert(async__running != NULL && "async_getaddrinfo outside a task");
        f->_state = -1;
        if (f->res == NULL || (f->host == NULL && f->service == NULL))
            return async__raise(ASYNC_EINVAL);
        if (async__cancel_seen())
            return ASYNC__FAILED;
        if ((r = dns_req_new(f)) == NULL)
            return async__raise(ASYNC_ENOMEM);
        if ((rc = async__pool_submit(&r->work)) != 0) {
            free(r);
            return async__raise(rc);
        }
        f->req = r;
        f->_state = 1;
        return ASYNC__PENDING;
    case 1:
        r = f->req;
        if (!r->work.collected) {
            if (!async__cancel_seen())
                return ASYNC__PENDING;
            async__getaddrinfo_abandon(f);
            return ASYNC__FAILED;
        }
        f->req = NULL;
        f->_state = -1;
        if (r->rc != 0) {
            rc = async_eai_code(r->rc, r->err);
            dns_release(&r->work);
            return async__raise(rc);
        }
        *f->res = r->res;
        r->res = NULL;
        dns_release(&r->work);
        f->_ret = 0;
        return ASYNC__READY;
    default:
        return ASYNC__READY;
    }
}
