/*
 * server.c -- async_serve: accepting connections on a listening socket
 * and running a handler task for each, like asyncio's
 * Server.serve_forever, with the handler tasks owned by the serving
 * await (structured: it ends only after all of them).
 *
 * Bookkeeping.  Each running handler has a node, one malloc, on the
 * frame's doubly linked list: the connection's descriptor, the handler's
 * task handle, and an async__waiter on that task's waiters whose
 * on_done, conn_done, closes the descriptor, releases the handle and
 * frees the node when the handler ends: O(1) per finished handler, and the
 * serving task is woken only when it waits for the last handler or for
 * a descriptor to be given back.
 *
 * Accepting.  Each poll accepts until the socket has no connection
 * pending (accept says EAGAIN, which the backend's edge protocol needs
 * before a wait), at most ACCEPT_BATCH at a time so that a flood of
 * connections does not starve the handlers, and then waits for the
 * socket.  Running out of descriptors or memory pauses accepting for
 * PAUSE_SECONDS, or until a handler finishes and gives back a
 * descriptor: the socket is unwatched meanwhile, since every connection
 * that arrives would wake the server for nothing.  On an io_uring loop
 * the connections come from the listener's multishot accept instead
 * (async__uring_accept, poll_uring_io.c), already accepted, and the
 * wait for more is the ring's; pausing cancels the request, and the end
 * of the serve closes what it accepted and nobody took.
 *
 * The connections belong to the server, which closes them, so it tells
 * the backend (async__io_adopt, async__io_forget): their registration
 * with epoll then lasts from the first wait to the close, and a
 * handler's waits cost no system call.
 *
 * Limits.  Each connection has an idle timer (async__timer, calling
 * idle_check) when the server has an idle timeout: the I/O awaitables
 * write the time of their last progress on an owned connection into
 * the backend's slot (async__io_touch), and the timer, when it fires,
 * either finds the connection idle for the whole timeout and cancels
 * its handler, or moves itself to the end of the idle time as it now
 * stands; so a transfer costs a clock reading at most, never a timer
 * operation.  At the connection limit, accepting pauses like an
 * exhausted accept, without the timer: the socket is unwatched and the
 * next handler to finish resumes it.
 *
 * Stopping.  For async_serve, a cancellation, or an accept error that
 * is not transient, makes the server stop accepting, cancel every
 * handler and wait until all have finished (their frames hold watchers
 * on the descriptors, so a descriptor is closed only once its handler
 * has finished); only then does the await fail.
 *
 * Server objects.  The handlers and their count belong to an
 * async_server: the caller's for async_server_serve, one inside the
 * frame for async_serve (which outlives its handlers).  The accepting
 * await keeps its part (watcher, pause timer, spawner) in a core that
 * the server points to while it serves, so that async_server_close can
 * stop watching the socket at once and a finishing handler can wake the
 * accepting task.  async_server_serve ends without its handlers, which
 * report to the server object, where async_server_wait_closed waits for
 * the last of them.
 */
#include "wait_list.h"

#include "internal.h"
#include "io.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

enum { ACCEPT_BATCH = 64 };
#define PAUSE_SECONDS 0.1

/* _state values besides 0 (not started) and -1 (done). */
enum { SERVING = 1, DRAINING = 2 };

struct async__serve_conn {
    async__waiter node; /* on the handler's waiters: conn_done */
    async_server *server;
    async_task *task;  /* the handler; its handle is the server's */
    int fd;            /* the connection */
    uint64_t idle_ns;  /* its idle timeout, 0: none */
    async__timer idle; /* armed while idle_ns > 0: idle_check */
    async__serve_conn *prev, *next;
};

/* Stops waiting for connections: the listener's watcher, and io_uring's
 * multishot accept, whose connections accepted meanwhile stay queued
 * for when accepting resumes, or are closed with `end`. */
static void core_unwatch(async__serve_core *core, int end) {
    async__unwatch(&core->w);
    if (end)
        async__uring_accept_end(core->w.fd);
    else
        async__uring_accept_stop(core->w.fd);
}

static void server_reset(async_server *srv, int listen_fd) {
    srv->listen_fd = listen_fd;
    srv->closed = 0;
    srv->conns = NULL;
    srv->running = 0;
    srv->core = NULL;
    async__wait_list_init(&srv->closers);
    srv->accepted = 0;
    srv->dropped = 0;
    srv->failed = 0;
    srv->timed_out = 0;
    srv->structured = 0;
    srv->idle_ns = async__ns_from_seconds(ASYNC_SERVE_IDLE_TIMEOUT);
    srv->max_connections = ASYNC_SERVE_MAX_CONNECTIONS;
}

/* The limits in the server's units, or ASYNC_EINVAL. */
static int limits_convert(const async_serve_limits *lim, uint64_t *idle_ns,
                          size_t *max) {
    double t = lim->idle_timeout;

    if (t != t || t < 0)
        return ASYNC_EINVAL; /* NaN or negative */
    *idle_ns = t == HUGE_VAL ? 0 : async__ns_from_seconds(t);
    *max = lim->max_connections;
    return 0;
}

/* Accepting paused at the connection limit resumes now. */
static void resume_accepting(async__serve_core *core) {
    if (core != NULL && core->full) {
        core->full = 0;
        async__wake(core->self);
    }
}

int async_server_set_limits(async_server *srv,
                            const async_serve_limits *limits) {
    static const async_serve_limits defaults = ASYNC_SERVE_LIMITS_DEFAULT;
    uint64_t idle_ns;
    size_t max;
    int rc;

    if (srv == NULL)
        return ASYNC_EINVAL;
    if ((rc = limits_convert(limits != NULL ? limits : &defaults, &idle_ns,
                             &max)) != 0)
        return rc;
    srv->idle_ns = idle_ns;
    srv->max_connections = max;
    /* A higher limit (or none) may let a paused server accept again; if
     * it is still full, it pauses again at once. */
    resume_accepting(srv->core);
    return 0;
}

uint64_t async_server_timed_out(const async_server *srv) {
    return srv != NULL ? srv->timed_out : 0;
}

int async_server_init(async_server *srv, int listen_fd) {
    if (srv == NULL || listen_fd < 0)
        return ASYNC_EINVAL;
    server_reset(srv, listen_fd);
    return 0;
}

size_t async_server_running(const async_server *srv) {
    return srv != NULL ? srv->running : 0;
}

int async_server_is_closed(const async_server *srv) {
    return srv != NULL ? srv->closed : ASYNC_EINVAL;
}

static void wake_closers(async_server *srv) {
    while (async__wait_settle_first(&srv->closers, ASYNC__SYNC_GRANTED) != NULL)
        ;
}

int async_server_close(async_server *srv) {
    async__serve_core *core;

    if (srv == NULL)
        return ASYNC_EINVAL;
    if (srv->closed)
        return 0;
    srv->closed = 1;
    if ((core = srv->core) != NULL) {
        /* Now, so that the caller may close the socket right after. */
        core_unwatch(core, 1);
        async__timer_stop(&core->pause);
        async__wake(core->self);
    }
    if (srv->running == 0)
        wake_closers(srv);
    return 0;
}

static void core_init(async__serve_core *core, async_server *srv,
                      async_conn_spawner spawn, void *arg) {
    core->srv = srv;
    core->spawn = spawn;
    core->arg = arg;
    core->self = NULL;
    core->w.fd = srv != NULL ? srv->listen_fd : -1;
    core->w.events = ASYNC__IO_IN | ASYNC__IO_EDGE;
    core->w.ready = 0;
    core->w.active = 0;
    core->w.task = NULL;
    core->w.on_ready = NULL;
    core->pause.deadline_ns = 0;
    core->pause.index = ASYNC__TIMER_NONE;
    core->error = 0;
    core->draining = 0;
    core->full = 0;
}

void async_serve__init(struct async_serve__frame *f, int listen_fd,
                       async_conn_spawner spawn, void *arg) {
    f->_state = 0;
    /* Not checked here: a bad descriptor fails the first poll. */
    server_reset(&f->own, listen_fd);
    f->own.structured = 1;
    core_init(&f->core, &f->own, spawn, arg);
    f->_ret = 0;
}

void async_serve_with__init(struct async_serve_with__frame *f, int listen_fd,
                            async_conn_spawner spawn, void *arg,
                            const async_serve_limits *limits) {
    static const async_serve_limits defaults = ASYNC_SERVE_LIMITS_DEFAULT;

    f->_state = 0;
    server_reset(&f->own, listen_fd);
    f->own.structured = 1;
    core_init(&f->core, &f->own, spawn, arg);
    /* Copied now: the caller's struct may be gone by the first poll. */
    f->limits_error = limits_convert(limits != NULL ? limits : &defaults,
                                     &f->own.idle_ns, &f->own.max_connections);
    f->_ret = 0;
}

void async_server_serve__init(struct async_server_serve__frame *f,
                              async_server *srv, async_conn_spawner spawn,
                              void *arg) {
    f->_state = 0;
    core_init(&f->core, srv, spawn, arg);
    f->_ret = 0;
}

/* 0 when `fd` is a listening socket (made non-blocking, so that an
 * accept that finds the connection gone does not block the loop), else
 * the code the serve fails with.  Sets *stream when its connections
 * are byte streams (SOCK_STREAM, not SOCK_SEQPACKET), whose short reads
 * show that nothing more is buffered. */
static int check_listening(int fd, int *stream) {
    int on = 0, type = 0;
    socklen_t len = sizeof(on);

    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) != 0)
        return -errno; /* -EBADF, -ENOTSOCK */
    if (!on)
        return ASYNC_EINVAL; /* what accept(2) says */
    len = sizeof(type);
    *stream = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
              type == SOCK_STREAM;
    return async_fd_nonblocking(fd);
}

/* accept(2) errors about the connection being accepted, not the
 * listening socket: it died in the backlog (Linux also reports the
 * network errors of a new connection there, see accept(2)), so the next
 * one may well be fine.  EOPNOTSUPP would also mean "not a stream
 * socket", but check_listening has ruled that out. */
static int accept_skip(int err) {
    switch (err) {
    case EINTR:
    case ECONNABORTED:
    case EPROTO:
    case EPERM: /* firewall rules forbid the connection */
    case ENETDOWN:
    case ENETUNREACH:
    case EHOSTDOWN:
    case EHOSTUNREACH:
    case ENONET:
    case ENOPROTOOPT:
    case EOPNOTSUPP:
        return 1;
    default:
        return 0;
    }
}

/* Errors that pass once descriptors or memory are given back. */
static int exhausted(int err) {
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

static void conn_unlink(async_server *srv, async__serve_conn *c) {
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    srv->running--;
}

/* Handler `t` has finished (on_done of its connection's node): report a
 * failure, then free what its connection held.  async__task_finish has
 * unlinked the node already, and frees t on return. */
static void conn_done(async__waiter *node, async_task *t) {
    async__serve_conn *c = (async__serve_conn *)node; /* its first field */
    async_server *srv = c->server;
    async__serve_core *core = srv->core;
    int code = async_task_error(t);

    assert(c->task == t);

    if (code < 0 && code != ASYNC_ECANCELED) {
        srv->failed++;
        fprintf(stderr,
                "asyncrt: %s: handler '%s' on connection fd %d "
                "failed: %s (%d)\n",
                srv->structured ? "async_serve" : "async_server_serve",
                async__task_name(t), c->fd, async_strerror(code), code);
    }
    t->flags |= ASYNC__TASK_RELEASED;
    async__timer_stop(&c->idle);
    async__io_forget(c->fd);
    close(c->fd);
    conn_unlink(srv, c);
    free(c);
    if (core != NULL && core->pause.index != ASYNC__TIMER_NONE) {
        /* A descriptor is back: accept again now. */
        async__timer_stop(&core->pause);
        async__wake(core->self);
    } else if (core != NULL && core->full) {
        resume_accepting(core); /* below the limit again */
    } else if (core != NULL && core->draining && srv->running == 0) {
        async__wake(core->self);
    }
    if (srv->closed && srv->running == 0)
        wake_closers(srv);
}

/* The idle timer of connection `c` fired: when no transfer on it has
 * made progress for its idle timeout, its handler is cancelled (again
 * each further timeout, should it catch that and stay idle); otherwise
 * the timer waits for the end of the idle time as it stands now.  The
 * transfers only write a timestamp (async__io_touch), so busy
 * connections cost no timer work but one check per timeout. */
static void idle_check(async__timer *timer) {
    async__serve_conn *c =
        (async__serve_conn *)((char *)timer -
                              offsetof(async__serve_conn, idle));
    uint64_t now = async__loop_now();
    uint64_t last = async__io_active(c->fd);
    uint64_t due = last != 0 ? last + c->idle_ns : now + c->idle_ns;

    if (due <= now) {
        c->server->timed_out++;
        (void)async_cancel(c->task);
        due = now + c->idle_ns;
    }
    /* No memory for the heap: the connection keeps running unwatched. */
    (void)async__timer_start_call(&c->idle, due, idle_check);
}

/* Hands the accepted `fd` to a new handler task.  The task first runs
 * when the serving task suspends, so the node is in place before it can
 * finish. */
static void conn_start(async__serve_core *core, int fd) {
    async_server *srv = core->srv;
    async__serve_conn *c = malloc(sizeof(*c));
    async_task *t = NULL;

    srv->accepted++;
    if (c != NULL) {
        c->idle_ns = srv->idle_ns;
        c->idle.deadline_ns = 0;
        c->idle.index = ASYNC__TIMER_NONE;
    }
    if (c == NULL ||
        (c->idle_ns > 0 &&
         async__timer_start_call(&c->idle, async__deadline_in(c->idle_ns),
                                 idle_check) != 0) ||
        (t = core->spawn(fd, core->arg)) == NULL) {
        /* No memory for this connection: refuse it, serve the next. */
        if (c != NULL)
            async__timer_stop(&c->idle);
        free(c);
        close(fd);
        srv->dropped++;
        return;
    }
    async__io_adopt(fd, core->w.events & ASYNC__IO_STREAM);
    c->task = t;
    c->fd = fd;
    c->node.on_done = conn_done;
    c->server = srv;
    async__waiter_link(t, &c->node, 0);
    c->prev = NULL;
    c->next = srv->conns;
    if (srv->conns != NULL)
        srv->conns->prev = c;
    srv->conns = c;
    srv->running++;
}

static void cancel_handlers(async_server *srv) {
    for (async__serve_conn *c = srv->conns; c != NULL; c = c->next)
        (void)async_cancel(c->task);
}

/* Stops accepting for PAUSE_SECONDS, without watching the socket. */
static void pause_accepting(async__serve_core *core) {
    core_unwatch(core, 0);
    if (async__timer_start(&core->pause,
                           async__deadline_after(PAUSE_SECONDS)) != 0)
        async__wake(async__running); /* no timer: retry on the next pass */
}

/* The serve has ended: the server is no longer served. */
static int serve_end(int *state, async__serve_core *core, int code) {
    core_unwatch(core, 1);
    core->full = 0;
    async__timer_stop(&core->pause);
    if (core->srv->core == core)
        core->srv->core = NULL;
    *state = -1;
    return code < 0 ? async__raise(code) : ASYNC__READY;
}

/* async_serve: waits for the handlers to finish, then fails with
 * core->error. */
static int drain(int *state, async__serve_core *core) {
    if (async__cancel_seen()) {
        /* Reach the handlers that caught an earlier cancellation. */
        (void)async__take_error();
        core->error = ASYNC_ECANCELED;
        cancel_handlers(core->srv);
    }
    if (core->srv->running > 0)
        return ASYNC__PENDING;
    return serve_end(state, core, core->error);
}

/* Stops serving with `code`.  async_serve: no more accepting; the
 * handlers are cancelled and the await fails once they have finished.
 * async_server_serve: the server is closed, the handlers run on, and
 * the await fails at once. */
static int stop(int *state, async__serve_core *core, int code) {
    core_unwatch(core, 1);
    core->full = 0;
    async__timer_stop(&core->pause);
    if (!core->srv->structured) {
        (void)async_server_close(core->srv);
        return serve_end(state, core, code);
    }
    core->error = code;
    core->draining = 1;
    *state = DRAINING;
    cancel_handlers(core->srv);
    return drain(state, core);
}

/* At the connection limit: stops accepting, without watching the
 * socket, until a handler finishes (conn_done) or the limit is raised. */
static void pause_full(async__serve_core *core) {
    core_unwatch(core, 0);
    core->full = 1;
}

/* The next connection, or -1 with errno: from io_uring's multishot
 * accept where the loop runs io_uring (*ring set: the wait for more is
 * the ring's, async__io_watch_local), else from accept4. */
static int accept_next(async__serve_core *core, int *ring) {
    int fd = async__uring_accept(core->w.fd);

    *ring = fd != -ENOTSUP;
    if (!*ring)
        return accept4(core->w.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        errno = -fd;
        return -1;
    }
    return fd;
}

/* Accepts the pending connections, then waits for more. */
static int accept_some(int *state, async__serve_core *core) {
    async_server *srv = core->srv;
    int fd, err, rc, ring;

    for (int i = 0; i < ACCEPT_BATCH; i++) {
        if (srv->max_connections > 0 && srv->running >= srv->max_connections) {
            pause_full(core);
            return ASYNC__PENDING;
        }
        fd = accept_next(core, &ring);
        if (fd >= 0) {
            conn_start(core, fd);
            continue;
        }
        err = errno;
        if (accept_skip(err))
            continue;
        if (exhausted(err)) {
            pause_accepting(core);
            return ASYNC__PENDING;
        }
        if (err != EAGAIN && err != EWOULDBLOCK)
            return stop(state, core, -err);
        /* Nothing pending: wait for the socket. */
        if (core->w.active) {
            if (!ring)
                async__io_drained(core->w.fd, ASYNC__IO_IN);
            core->w.ready = 0;
            return ASYNC__PENDING;
        }
        core->w.task = async__running;
        rc = ring ? async__io_watch_local(&core->w) : async__watch(&core->w);
        if (rc != 0) {
            if (exhausted(-rc)) { /* no epoll instance or table */
                pause_accepting(core);
                return ASYNC__PENDING;
            }
            return stop(state, core, rc);
        }
        core->w.ready = 0;
        return ASYNC__PENDING;
    }
    /* More may be pending: accept them after the handlers have run (the
     * watcher, if registered, counts as ready for the next poll). */
    core->w.ready = 1;
    async__wake(async__running);
    return ASYNC__PENDING;
}

/* Both serves.  A poll while serving (woken by the socket, the pause
 * timer, a handler that gave back a descriptor, or a close) accepts
 * unless the server was closed, the socket is watched and has not been
 * reported ready, or accepting is paused. */
static int serve_resume(int *state, async__serve_core *core, int limits_error) {
    async_server *srv = core->srv;
    int rc, stream = 0;

    switch (*state) {
    case 0:
        if (srv == NULL || core->spawn == NULL || limits_error != 0 ||
            (!srv->structured && srv->closed))
            rc = ASYNC_EINVAL;
        else if (srv->core != NULL)
            rc = -EBUSY;
        else
            rc = check_listening(core->w.fd, &stream);
        if (rc != 0) {
            *state = -1;
            return async__raise(rc);
        }
        if (stream)
            core->w.events |= ASYNC__IO_STREAM;
        assert(async__running != NULL && "async_serve outside a task");
        core->self = async__running;
        srv->core = core;
        *state = SERVING;
        break;
    case SERVING:
        break;
    case DRAINING:
        return drain(state, core);
    default:
        return ASYNC__READY;
    }
    if (async__cancel_seen()) {
        (void)async__take_error(); /* raised once the handlers are done */
        return stop(state, core, ASYNC_ECANCELED);
    }
    if (srv->closed)
        return serve_end(state, core, 0);
    if (core->pause.index != ASYNC__TIMER_NONE || core->full)
        return ASYNC__PENDING;
    if (core->w.active && !core->w.ready)
        return ASYNC__PENDING;
    return accept_some(state, core);
}

int async_serve__resume(void *frame) {
    struct async_serve__frame *f = frame;

    return serve_resume(&f->_state, &f->core, 0);
}

int async_serve_with__resume(void *frame) {
    struct async_serve_with__frame *f = frame;

    return serve_resume(&f->_state, &f->core, f->limits_error);
}

int async_server_serve__resume(void *frame) {
    struct async_server_serve__frame *f = frame;

    return serve_resume(&f->_state, &f->core, 0);
}

/* ------------------------------------------------------------------ */
/* wait_closed                                                         */
/* ------------------------------------------------------------------ */

void async_server_wait_closed__init(struct async_server_wait_closed__frame *f,
                                    async_server *srv) {
    f->_state = 0;
    f->srv = srv;
    async__waiter_init(&f->waiter);
    f->_ret = 0;
}

int async_server_wait_closed__resume(void *frame) {
    struct async_server_wait_closed__frame *f = frame;
    async_server *srv = f->srv;
    int r;

    switch (f->_state) {
    case 0:
        if (srv == NULL)
            return async__wait_fail(&f->_state, ASYNC_EINVAL);
        if (!srv->closed || srv->running > 0)
            return async__wait_start(&srv->closers, &f->waiter, &f->_state);
        break;
    case 1:
        r = async__wait_poll(&f->waiter, &f->_state, NULL, f);
        if (r != ASYNC__READY)
            return r;
        break;
    default:
        return ASYNC__READY;
    }
    f->_ret = 0;
    return async__wait_done(&f->_state);
}
