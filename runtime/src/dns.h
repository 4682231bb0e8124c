/*
 * dns.h -- what the runtime and its tests see of async_getaddrinfo
 * (dns.c) beyond the public header.
 */
#ifndef ASYNC_DNS_H
#define ASYNC_DNS_H

#include <async.h>

struct addrinfo;

typedef int (*async__getaddrinfo_fn)(const char *host, const char *service,
                                     const struct addrinfo *hints,
                                     struct addrinfo **res);

/* What the workers call to resolve: getaddrinfo(3), unless a test has
 * put its own here (a slow or scripted resolver).  Read by a worker when
 * it starts a request; set it while no request is in progress.  Its
 * lists are freed with freeaddrinfo(3), like getaddrinfo's: a resolver
 * of a test builds them from real getaddrinfo calls (glibc frees a list
 * node by node, so lists of several calls may be chained). */
extern async__getaddrinfo_fn async__getaddrinfo_hook;

/* Ends the await of `f` without its result, as a cancellation does: the
 * request is withdrawn or left to its worker (async__pool_detach), and
 * f is finished (state -1).  For an await embedded in another
 * awaitable's frame (async_tcp_connect) that stops waiting for another
 * reason (its deadline).  A frame not started or finished: nothing. */
void async__getaddrinfo_abandon(struct async_getaddrinfo__frame *f);

#endif /* ASYNC_DNS_H */
