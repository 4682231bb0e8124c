/*
 * resolver.h -- what the name resolution and Happy Eyeballs tests share:
 * a scripted resolver for async__getaddrinfo_hook, descriptor counts,
 * and loopback listeners (one whose backlog is full, so that its SYNs
 * are dropped: an address that never answers, without leaving the
 * machine).  Include <cmocka.h> first.
 *
 * The scripted resolver.  This machine's /etc/hosts may map `localhost`
 * to 127.0.0.1 alone, and nothing here may reach a real name server, so
 * the tests that need a name with several addresses, a slow answer or
 * a failure name them for the scripted resolver:
 *
 *     "list:ADDR,ADDR,...[@MS]"  the numeric ADDRs in that order, after
 *                                MS milliseconds (0 without @MS);
 *     "fail:CODE[@MS]"           getaddrinfo's EAI code -CODE (so
 *                                "fail:2" is EAI_NONAME, whose value is
 *                                -2), after MS milliseconds;
 *     anything else              the real getaddrinfo.
 *
 * The script is the host string itself, which the request copies: a
 * resolution still running on a worker after its test (an abandoned
 * one) shares nothing with the next test.  Its list is built from real
 * getaddrinfo calls chained together, so freeaddrinfo frees it.
 */
#ifndef RUNTIME_TEST_RESOLVER_H
#define RUNTIME_TEST_RESOLVER_H

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns.h"
#include "fds.h"

static pthread_mutex_t scripted_mu = PTHREAD_MUTEX_INITIALIZER;
static int scripted_started, scripted_finished; /* under scripted_mu */

static void scripted_count(int *c) {
    pthread_mutex_lock(&scripted_mu);
    (*c)++;
    pthread_mutex_unlock(&scripted_mu);
}

static inline int scripted_read(const int *c) {
    int v;

    pthread_mutex_lock(&scripted_mu);
    v = *c;
    pthread_mutex_unlock(&scripted_mu);
    return v;
}

static inline void scripted_reset(void) {
    pthread_mutex_lock(&scripted_mu);
    scripted_started = scripted_finished = 0;
    pthread_mutex_unlock(&scripted_mu);
}

/* Waits (at most 5 s) until every scripted call that started has
 * finished: the next test starts with the workers idle. */
static inline void scripted_drain(void) {
    for (int i = 0; i < 500; i++) {
        if (scripted_read(&scripted_started) ==
            scripted_read(&scripted_finished))
            return;
        usleep(10000);
    }
}

static int scripted_list(const char *list, const char *service,
                         const struct addrinfo *hints, struct addrinfo **res) {
    struct addrinfo h, *head = NULL, **tail = &head;
    char addr[64];

    memset(&h, 0, sizeof(h));
    h.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    h.ai_socktype = hints != NULL ? hints->ai_socktype : SOCK_STREAM;
    while (*list != '\0' && *list != '@') {
        size_t n = strcspn(list, ",@");
        struct addrinfo *one;
        int rc;

        if (n >= sizeof(addr)) {
            freeaddrinfo(head);
            return EAI_FAIL;
        }
        memcpy(addr, list, n);
        addr[n] = '\0';
        list += n + (list[n] == ',');
        if ((rc = getaddrinfo(addr, service, &h, &one)) != 0) {
            if (head != NULL)
                freeaddrinfo(head);
            return rc;
        }
        *tail = one;
        while (*tail != NULL)
            tail = &(*tail)->ai_next;
    }
    *res = head;
    return head != NULL ? 0 : EAI_NONAME;
}

static int scripted_getaddrinfo(const char *host, const char *service,
                                const struct addrinfo *hints,
                                struct addrinfo **res) {
    const char *at;
    int rc;

    if (host == NULL ||
        (strncmp(host, "list:", 5) != 0 && strncmp(host, "fail:", 5) != 0))
        return getaddrinfo(host, service, hints, res);
    scripted_count(&scripted_started);
    if ((at = strchr(host, '@')) != NULL)
        usleep((useconds_t)atoi(at + 1) * 1000);
    if (host[0] == 'l')
        rc = scripted_list(host + 5, service, hints, res);
    else
        rc = -atoi(host + 5);
    scripted_count(&scripted_finished);
    return rc;
}

/* A blocking TCP listener on numeric `addr`:`port` (0: any port), or
 * -errno. */
static inline int listen_on(const char *addr, int port, int backlog) {
    struct addrinfo h, *ai;
    char service[8];
    int fd, one = 1, rc;

    memset(&h, 0, sizeof(h));
    h.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    h.ai_socktype = SOCK_STREAM;
    snprintf(service, sizeof(service), "%d", port);
    if (getaddrinfo(addr, service, &h, &ai) != 0)
        return -EADDRNOTAVAIL;
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(ai);
        return -errno;
    }
    if (ai->ai_family == AF_INET6)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    rc = bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0
             ? 0
             : -errno;
    freeaddrinfo(ai);
    if (rc != 0) {
        close(fd);
        return rc;
    }
    return fd;
}

/* A listener on 127.0.0.1 that never answers: its accept queue is full,
 * so the kernel drops further SYNs and a connect to it stays pending.
 * With backlog 0 one queued connection fills it; the fillers that it
 * took (up to `max`) are stored in fds[0..*n).  Returns the listener, or
 * -1 when the queue could not be filled. */
static inline int full_listener(int *fds, int max, int *n) {
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int lfd = listen_on("127.0.0.1", 0, 0);

    *n = 0;
    if (lfd < 0 || getsockname(lfd, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    while (*n < max) {
        struct pollfd p;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

        if (fd < 0)
            break;
        fds[(*n)++] = fd;
        if (connect(fd, (struct sockaddr *)&sa, len) == 0)
            continue;
        if (errno != EINPROGRESS)
            break;
        p.fd = fd;
        p.events = POLLOUT;
        if (poll(&p, 1, 200) == 0)
            return lfd; /* this one stays pending: the queue is full */
    }
    for (int i = 0; i < *n; i++)
        close(fds[i]);
    *n = 0;
    close(lfd);
    return -1;
}

/* The port a socket is bound to. */
static inline int port_of(int fd) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    return ss.ss_family == AF_INET6
               ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
               : ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* The numeric address of the peer of connected socket `fd`, into buf. */
static inline const char *peer_of(int fd, char *buf, size_t size) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    buf[0] = '\0';
    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
        getnameinfo((struct sockaddr *)&ss, len, buf, (socklen_t)size, NULL, 0,
                    NI_NUMERICHOST);
    return buf;
}

#endif /* RUNTIME_TEST_RESOLVER_H */
