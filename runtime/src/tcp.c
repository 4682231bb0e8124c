/*
 * tcp.c -- TCP helpers: a listening socket, its local port, and
 * async_tcp_connect (resolve, then async_connect to each address in turn
 * within one overall deadline).
 *
 * Names are resolved with getaddrinfo() in the loop thread, which blocks
 * for names that need DNS; numeric addresses (the common case in tests
 * and local services) never do.  The addresses are copied into the
 * frame, so a frame destroyed mid-connect holds no allocation.
 */
#include "internal.h"
#include "io.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* getaddrinfo() for `host` and `port`: TCP, numeric port. */
static int resolve(const char *host, int port, int passive,
                   struct addrinfo **res) {
    struct addrinfo hints;
    char service[16];
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    snprintf(service, sizeof(service), "%d", port);
    rc = getaddrinfo(host, service, &hints, res);
    if (rc == 0)
        return 0;
    if (rc == EAI_SYSTEM)
        return errno != 0 ? -errno : -EADDRNOTAVAIL;
    return rc == EAI_MEMORY ? ASYNC_ENOMEM : -EADDRNOTAVAIL;
}

int async_tcp_listen(const char *host, int port, int backlog) {
    struct addrinfo *res, *ai;
    int rc, fd = -1, one = 1;

    if (port < 0 || port > 65535)
        return ASYNC_EINVAL;
    if ((rc = resolve(host != NULL ? host : "0.0.0.0", port, 1, &res)) != 0)
        return rc;
    rc = -EADDRNOTAVAIL;
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family,
                    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            rc = -errno;
            continue;
        }
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
            listen(fd, backlog) == 0)
            break;
        rc = -errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd >= 0 ? fd : rc;
}

int async_local_port(int fd) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -errno;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ASYNC_EINVAL;
}

void async_tcp_connect__init(struct async_tcp_connect__frame *f,
                             const char *host, int port,
                             double timeout_seconds) {
    f->_state = 0;
    f->host = host;
    f->port = port;
    f->timeout = timeout_seconds;
    f->deadline_ns = 0;
    f->n_addrs = f->i = 0;
    f->fd = -1;
    f->err = 0;
    f->_ret = -1;
}

/* Copies up to ASYNC__TCP_MAX_ADDRS resolved addresses into the frame. */
static int tcp_resolve(struct async_tcp_connect__frame *f) {
    struct addrinfo *res, *ai;
    int rc;

    if (f->host == NULL || f->port < 0 || f->port > 65535)
        return ASYNC_EINVAL;
    if ((rc = resolve(f->host, f->port, 0, &res)) != 0)
        return rc;
    for (ai = res; ai != NULL && f->n_addrs < ASYNC__TCP_MAX_ADDRS;
         ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof(f->addrs[0]))
            continue;
        memcpy(&f->addrs[f->n_addrs], ai->ai_addr, ai->ai_addrlen);
        f->lens[f->n_addrs++] = ai->ai_addrlen;
    }
    freeaddrinfo(res);
    return f->n_addrs > 0 ? 0 : -EADDRNOTAVAIL;
}

/* Seconds left before the overall deadline; -1 (no limit) when none,
 * 0 when it has passed. */
static double time_left(const struct async_tcp_connect__frame *f) {
    uint64_t now = async__clock_ns();

    if (f->deadline_ns == 0)
        return -1;
    if (now >= f->deadline_ns)
        return 0;
    return (double)(f->deadline_ns - now) / 1e9;
}

/* States: 0 = not started; 1 = connecting to addrs[i] through the
 * embedded async_connect frame; -1 = done.  A failed address closes its
 * socket and the next is tried; the last failure is the result.  A
 * cancellation or timeout ends at once. */
int async_tcp_connect__resume(void *frame) {
    struct async_tcp_connect__frame *f = frame;
    const struct sockaddr *sa;
    double left;
    int rc;

    switch (f->_state) {
    case 0:
        if ((rc = tcp_resolve(f)) != 0) {
            f->_state = -1;
            return async__raise(rc);
        }
        if (f->timeout > 0)
            f->deadline_ns = async__deadline_after(f->timeout);
        f->err = -EADDRNOTAVAIL;
        break;
    case 1:
        goto resume;
    default:
        return ASYNC__READY;
    }
    for (f->i = 0; f->i < f->n_addrs; f->i++) {
        left = time_left(f);
        if (left == 0) {
            f->err = ASYNC_ETIMEDOUT;
            break;
        }
        sa = (const struct sockaddr *)&f->addrs[f->i];
        f->fd = socket(sa->sa_family,
                       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (f->fd < 0) {
            f->err = -errno;
            continue;
        }
        /* A new file: the connect's wait registers it without first
         * checking for one that had the number before. */
        async__io_fresh(f->fd);
        async_connect__init(&f->conn, f->fd, sa, f->lens[f->i], left);
        f->_state = 1;
    resume:
        rc = async_connect__resume(&f->conn);
        if (rc == ASYNC__PENDING)
            return rc;
        if (rc == ASYNC__READY) {
            f->_ret = f->fd;
            f->_state = -1;
            return ASYNC__READY;
        }
        close(f->fd);
        f->fd = -1;
        f->err = async__take_error();
        if (f->err == ASYNC_ECANCELED || f->err == ASYNC_ETIMEDOUT)
            break;
    }
    f->_state = -1;
    return async__raise(f->err);
}
