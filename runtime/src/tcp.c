/*
 * tcp.c -- TCP helpers: a listening socket (alone on its port, or one
 * of several that share it), its local port, and async_tcp_connect with
 * Happy Eyeballs (RFC 8305).
 *
 * async_tcp_listen resolves its host with getaddrinfo() in the loop
 * thread (it is no awaitable; a server's address is numeric or local).
 * async_tcp_connect resolves names with async_getaddrinfo on a worker;
 * a numeric address is parsed at once (AI_NUMERICHOST never blocks).
 * The addresses are copied into the frame, interleaved by family, and
 * each attempt's socket and watcher live there too: one task drives
 * every attempt, woken by whichever socket, timer or resolver is done,
 * and looks at each of them on every poll.  So a frame destroyed
 * mid-connect holds no allocation (a resolver's request excepted, which
 * the pool frees).
 */
#include "dns.h"
#include "internal.h"
#include "io.h"

#include <errno.h>
#include <math.h>
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

/* async_tcp_listen and async_tcp_listen_shared: `shared` adds
 * SO_REUSEPORT, which must be set before bind() on every socket that
 * shares the port. */
static int listen_on(const char *host, int port, int backlog, int shared) {
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
        if (shared &&
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
            rc = -errno;
            close(fd);
            fd = -1;
            continue;
        }
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

int async_tcp_listen(const char *host, int port, int backlog) {
    return listen_on(host, port, backlog, 0);
}

int async_tcp_listen_shared(const char *host, int port, int backlog) {
    return listen_on(host, port, backlog, 1);
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

_Static_assert(sizeof(((async__tcp_addr *)0)->bytes) >=
                   sizeof(struct sockaddr_in6),
               "async__tcp_addr holds an IPv6 address");

static void tcp_init(async__tcp_connect *c, const char *host, int port,
                     double timeout_seconds, const async_tcp_options *opts) {
    c->host = host;
    c->port = port;
    c->timeout = timeout_seconds;
    c->delay = opts != NULL ? opts->happy_eyeballs_delay : 0;
    c->family = opts != NULL ? opts->family : AF_UNSPEC;
    c->n_addrs = c->next = c->running = 0;
    c->err = 0;
    c->timed = c->stagger_armed = 0;
    c->deadline.index = ASYNC__TIMER_NONE;
    c->stagger.index = ASYNC__TIMER_NONE;
    c->res = NULL;
    c->resolve._state = -1; /* not resolving: nothing to abandon */
    c->resolve.req = NULL;
    for (int i = 0; i < ASYNC_TCP_MAX_ADDRS; i++)
        c->att[i].fd = -1;
}

void async_tcp_connect__init(struct async_tcp_connect__frame *f,
                             const char *host, int port,
                             double timeout_seconds) {
    f->_state = 0;
    tcp_init(&f->c, host, port, timeout_seconds, NULL);
    f->_ret = -1;
}

void async_tcp_connect_with__init(struct async_tcp_connect_with__frame *f,
                                  const char *host, int port,
                                  double timeout_seconds,
                                  const async_tcp_options *opts) {
    f->_state = 0;
    tcp_init(&f->c, host, port, timeout_seconds, opts);
    f->_ret = -1;
}

/* Copies the addresses of `res` into c->att, interleaved by family:
 * IPv6, IPv4, IPv6... as long as both have some left, then the rest. */
static int tcp_take_addrs(async__tcp_connect *c, const struct addrinfo *res) {
    const struct addrinfo *six = res, *four = res;
    int turn_six = 1;

    for (;;) {
        const struct addrinfo **from;

        while (six != NULL && (six->ai_family != AF_INET6 ||
                               six->ai_addrlen > sizeof(c->att[0].addr)))
            six = six->ai_next;
        while (four != NULL && (four->ai_family != AF_INET ||
                                four->ai_addrlen > sizeof(c->att[0].addr)))
            four = four->ai_next;
        if (c->n_addrs == ASYNC_TCP_MAX_ADDRS || (six == NULL && four == NULL))
            break;
        from = (turn_six && six != NULL) || four == NULL ? &six : &four;
        memcpy(&c->att[c->n_addrs].addr, (*from)->ai_addr, (*from)->ai_addrlen);
        c->att[c->n_addrs++].len = (*from)->ai_addrlen;
        *from = (*from)->ai_next;
        turn_six = !turn_six;
    }
    return c->n_addrs > 0 ? 0 : ASYNC_EAI_NODATA;
}

/* Failures that say the address cannot be reached from this host at
 * all, rather than what its host answered. */
static int tcp_local_failure(int code) {
    return code == -ENETUNREACH || code == -EHOSTUNREACH || code == -ENETDOWN ||
           code == -EADDRNOTAVAIL || code == -EAFNOSUPPORT;
}

/* Records an attempt's failure: the first, unless a local one and this
 * one is not. */
static void tcp_note(async__tcp_connect *c, int code) {
    if (c->err == 0 || (tcp_local_failure(c->err) && !tcp_local_failure(code)))
        c->err = code;
}

/* Ends attempt `a`: stops watching its socket and closes it. */
static void tcp_drop(async__tcp_connect *c, async__tcp_attempt *a) {
    if (a->fd < 0)
        return;
    async__unwatch(&a->w);
    close(a->fd);
    a->fd = -1;
    c->running--;
}

/* The descriptor of attempt `a`, which connected: no longer the
 * attempt's. */
static int tcp_take(async__tcp_connect *c, async__tcp_attempt *a) {
    int fd = a->fd;

    async__unwatch(&a->w);
    a->fd = -1;
    c->running--;
    return fd;
}

/* Ends every attempt still running (a winner was taken out of them
 * already), the resolution and the timers. */
static void tcp_stop(async__tcp_connect *c) {
    async__getaddrinfo_abandon(&c->resolve);
    if (c->res != NULL) {
        freeaddrinfo(c->res);
        c->res = NULL;
    }
    async__timer_stop(&c->deadline);
    async__timer_stop(&c->stagger);
    c->stagger_armed = 0;
    for (int i = 0; i < c->n_addrs; i++)
        tcp_drop(c, &c->att[i]);
}

/* Starts the attempt at c->next, and the ones after it at once while
 * they fail at once, until one is in progress or none is left.  Returns
 * an attempt that connected at once, or NULL. */
static async__tcp_attempt *tcp_start_next(async__tcp_connect *c) {
    while (c->next < c->n_addrs) {
        async__tcp_attempt *a = &c->att[c->next++];
        int fd, rc;

        fd = socket(a->addr.sa.sa_family,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            tcp_note(c, -errno);
            continue;
        }
        a->fd = fd;
        a->w.active = 0;
        c->running++;
        if (connect(fd, &a->addr.sa, a->len) == 0)
            return a;
        if (errno != EINPROGRESS && errno != EINTR) {
            tcp_note(c, -errno);
            tcp_drop(c, a);
            continue;
        }
        /* A new file: the watch registers it without first checking
         * for one that had the number before. */
        async__io_fresh(fd);
        a->w.fd = fd;
        a->w.events = ASYNC__IO_OUT | ASYNC__IO_EDGE;
        a->w.ready = 0;
        a->w.task = async__running;
        a->w.on_ready = NULL;
        if ((rc = async__watch(&a->w)) != 0) {
            tcp_note(c, rc);
            tcp_drop(c, a);
            continue;
        }
        async__timer_stop(&c->stagger);
        c->stagger_armed = 0;
        /* Out of memory for the timer, the next address waits for this
         * attempt to fail: slower, never wrong. */
        if (c->next < c->n_addrs && c->delay > 0 && !isinf(c->delay) &&
            async__timer_start(&c->stagger, async__deadline_after(c->delay)) ==
                0)
            c->stagger_armed = 1;
        return NULL;
    }
    return NULL;
}

/* The outcome of attempt `a`, whose socket reported writable: 0 when
 * connected, else its failure; 1 when the handshake goes on (a wake
 * that was not for it). */
static int tcp_outcome(async__tcp_attempt *a) {
    int err = 0;
    socklen_t elen = sizeof(err);

    if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
        return -errno;
    if (err == EINPROGRESS || err == EALREADY) {
        a->w.ready = 0;
        async__io_drained(a->fd, ASYNC__IO_OUT);
        return 1;
    }
    return -err;
}

/* Validates the arguments and fills c->att with a numeric host, or
 * starts resolving a name.  Returns 0 (addresses ready), 1 (resolving)
 * or a failure. */
static int tcp_begin(async__tcp_connect *c) {
    struct addrinfo hints, *res;
    char service[8];
    int rc;

    if (c->host == NULL || c->port < 0 || c->port > 65535 || isnan(c->delay) ||
        (c->family != AF_UNSPEC && c->family != AF_INET &&
         c->family != AF_INET6))
        return ASYNC_EINVAL;
    if (c->delay == 0)
        c->delay = ASYNC_HAPPY_EYEBALLS_DELAY;
    if (c->timeout > 0) {
        if (async__timer_start(&c->deadline,
                               async__deadline_after(c->timeout)) != 0)
            return ASYNC_ENOMEM;
        c->timed = 1;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = c->family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    snprintf(service, sizeof(service), "%d", c->port);
    rc = getaddrinfo(c->host, service, &hints, &res);
    if (rc == 0) {
        rc = tcp_take_addrs(c, res);
        freeaddrinfo(res);
        return rc;
    }
    if (rc != EAI_NONAME)
        return async_eai_code(rc, errno);
    /* A name: the request copies service and hints when it starts. */
    hints.ai_flags = AI_NUMERICSERV;
    async_getaddrinfo__init(&c->resolve, c->host, service, &hints, &c->res);
    rc = async_getaddrinfo__resume(&c->resolve);
    if (rc == ASYNC__PENDING)
        return 1;
    if (rc == ASYNC__FAILED)
        return async__take_error();
    rc = tcp_take_addrs(c, c->res);
    freeaddrinfo(c->res);
    c->res = NULL;
    return rc;
}

/* One poll of the attempts.  Returns ASYNC__READY with the winner's
 * descriptor in *fd, ASYNC__PENDING, or a failure (negative). */
static int tcp_poll(async__tcp_connect *c, int *fd) {
    async__tcp_attempt *won = NULL;
    int failed = 0;

    for (int i = 0; i < c->next && won == NULL; i++) {
        async__tcp_attempt *a = &c->att[i];
        int rc;

        if (a->fd < 0 || !a->w.ready)
            continue;
        if ((rc = tcp_outcome(a)) == 0) {
            won = a;
        } else if (rc < 0) {
            tcp_note(c, rc);
            tcp_drop(c, a);
            failed++;
        }
    }
    /* A failure starts the next attempt at once, as does the end of the
     * delay. */
    while (won == NULL && failed-- > 0)
        won = tcp_start_next(c);
    if (won == NULL && c->stagger_armed &&
        c->stagger.index == ASYNC__TIMER_NONE) {
        c->stagger_armed = 0;
        won = tcp_start_next(c);
    }
    if (won != NULL) {
        *fd = tcp_take(c, won);
        return ASYNC__READY;
    }
    if (c->running == 0)
        return c->err != 0 ? c->err : -EADDRNOTAVAIL;
    if (c->timed && c->deadline.index == ASYNC__TIMER_NONE)
        return ASYNC_ETIMEDOUT;
    return ASYNC__PENDING;
}

/* States: 0 = not started; 1 = resolving the name; 2 = connecting;
 * -1 = done.  Every way out goes through tcp_stop, which closes every
 * socket but the winner's. */
static int tcp_resume(int *state, async__tcp_connect *c, int *ret) {
    async__tcp_attempt *won;
    int rc, fd = -1;

    switch (*state) {
    case 0:
        rc = tcp_begin(c);
        if (rc == 1) {
            *state = 1;
            return ASYNC__PENDING;
        }
        if (rc != 0)
            goto fail;
        break;
    case 1:
        if (c->timed && c->deadline.index == ASYNC__TIMER_NONE) {
            rc = ASYNC_ETIMEDOUT;
            goto fail;
        }
        rc = async_getaddrinfo__resume(&c->resolve);
        if (rc == ASYNC__PENDING)
            return rc;
        if (rc == ASYNC__FAILED) {
            rc = async__take_error();
            goto fail;
        }
        rc = tcp_take_addrs(c, c->res);
        freeaddrinfo(c->res);
        c->res = NULL;
        if (rc != 0)
            goto fail;
        break;
    case 2:
        if (async__cancel_seen()) {
            rc = ASYNC_ECANCELED;
            goto fail;
        }
        goto poll;
    default:
        return ASYNC__READY;
    }
    *state = 2;
    if ((won = tcp_start_next(c)) != NULL) {
        fd = tcp_take(c, won); /* connected at once */
        goto done;
    }
poll:
    rc = tcp_poll(c, &fd);
    if (rc == ASYNC__PENDING)
        return rc;
    if (rc != ASYNC__READY)
        goto fail;
done:
    tcp_stop(c);
    *state = -1;
    *ret = fd;
    return ASYNC__READY;
fail:
    tcp_stop(c);
    *state = -1;
    return async__raise(rc);
}

int async_tcp_connect__resume(void *frame) {
    struct async_tcp_connect__frame *f = frame;

    return tcp_resume(&f->_state, &f->c, &f->_ret);
}

int async_tcp_connect_with__resume(void *frame) {
    struct async_tcp_connect_with__frame *f = frame;

    return tcp_resume(&f->_state, &f->c, &f->_ret);
}
