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
 * that arrives would wake the server for nothing.
 *
 * The connections belong to the server, which closes them, so it tells
 * the backend (async__io_adopt, async__io_forget): their registration
 * with epoll then lasts from the first wait to the close, and a
 * handler's waits cost no system call.
 *
 * Stopping.  A cancellation, or an accept error that is not transient,
 * makes the server stop accepting, cancel every handler and wait until
 * all have finished (their frames hold watchers on the descriptors, so
 * a descriptor is closed only once its handler has finished); only then
 * does the await fail.
 */
#include "internal.h"
#include "io.h"

#include <assert.h>
#include <errno.h>
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
    struct async_serve__frame *server;
    async_task *task; /* the handler; its handle is the server's */
    int fd;           /* the connection */
    async__serve_conn *prev, *next;
};

void async_serve__init(struct async_serve__frame *f, int listen_fd,
                       async_conn_spawner spawn, void *arg) {
    f->_state = 0;
    f->listen_fd = listen_fd;
    f->spawn = spawn;
    f->arg = arg;
    f->self = NULL;
    f->w.fd = listen_fd;
    f->w.events = ASYNC__IO_IN | ASYNC__IO_EDGE;
    f->w.ready = 0;
    f->w.active = 0;
    f->w.task = NULL;
    f->w.on_ready = NULL;
    f->pause.deadline_ns = 0;
    f->pause.index = ASYNC__TIMER_NONE;
    f->conns = NULL;
    f->running = 0;
    f->accepted = 0;
    f->dropped = 0;
    f->failed = 0;
    f->error = 0;
    f->_ret = 0;
}

/* 0 when `fd` is a listening socket (made non-blocking, so that an
 * accept that finds the connection gone does not block the loop), else
 * the code async_serve fails with.  Sets *stream when its connections
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

static void conn_unlink(struct async_serve__frame *f, async__serve_conn *c) {
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        f->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    f->running--;
}

/* Handler `t` has finished (on_done of its connection's node): report a
 * failure, then free what its connection held.  async__task_finish has
 * unlinked the node already, and frees t on return. */
static void conn_done(async__waiter *node, async_task *t) {
    async__serve_conn *c = (async__serve_conn *)node; /* its first field */
    struct async_serve__frame *f = c->server;
    int code = async_task_error(t);

    assert(c->task == t);

    if (code < 0 && code != ASYNC_ECANCELED) {
        f->failed++;
        fprintf(stderr,
                "asyncrt: async_serve: handler '%s' on connection fd %d "
                "failed: %s (%d)\n",
                async__task_name(t), c->fd, async_strerror(code), code);
    }
    t->flags |= ASYNC__TASK_RELEASED;
    async__io_forget(c->fd);
    close(c->fd);
    conn_unlink(f, c);
    free(c);
    if (f->pause.index != ASYNC__TIMER_NONE) {
        /* A descriptor is back: accept again now. */
        async__timer_stop(&f->pause);
        async__wake(f->self);
    } else if (f->_state == DRAINING && f->running == 0) {
        async__wake(f->self);
    }
}

/* Hands the accepted `fd` to a new handler task.  The task first runs
 * when the serving task suspends, so the node is in place before it can
 * finish. */
static void conn_start(struct async_serve__frame *f, int fd) {
    async__serve_conn *c = malloc(sizeof(*c));
    async_task *t = NULL;

    f->accepted++;
    if (c == NULL || (t = f->spawn(fd, f->arg)) == NULL) {
        /* No memory for this connection: refuse it, serve the next. */
        free(c);
        close(fd);
        f->dropped++;
        return;
    }
    async__io_adopt(fd, f->w.events & ASYNC__IO_STREAM);
    c->task = t;
    c->fd = fd;
    c->node.on_done = conn_done;
    c->server = f;
    c->node.next = t->waiters;
    t->waiters = &c->node;
    c->prev = NULL;
    c->next = f->conns;
    if (f->conns != NULL)
        f->conns->prev = c;
    f->conns = c;
    f->running++;
}

static void cancel_handlers(struct async_serve__frame *f) {
    for (async__serve_conn *c = f->conns; c != NULL; c = c->next)
        (void)async_cancel(c->task);
}

/* Stops accepting for PAUSE_SECONDS, without watching the socket. */
static void pause_accepting(struct async_serve__frame *f) {
    async__unwatch(&f->w);
    if (async__timer_start(&f->pause, async__deadline_after(PAUSE_SECONDS)) !=
        0)
        async__wake(async__running); /* no timer: retry on the next pass */
}

/* Waits for the handlers to finish, then fails with f->error. */
static int drain(struct async_serve__frame *f) {
    if (async__cancel_seen()) {
        /* Reach the handlers that caught an earlier cancellation. */
        (void)async__take_error();
        f->error = ASYNC_ECANCELED;
        cancel_handlers(f);
    }
    if (f->running > 0)
        return ASYNC__PENDING;
    f->_state = -1;
    return async__raise(f->error);
}

/* Stops serving: no more accepting; the handlers are cancelled and the
 * await fails with `code` once they have finished. */
static int stop(struct async_serve__frame *f, int code) {
    async__unwatch(&f->w);
    async__timer_stop(&f->pause);
    f->error = code;
    f->_state = DRAINING;
    cancel_handlers(f);
    return drain(f);
}

/* Accepts the pending connections, then waits for more. */
static int accept_some(struct async_serve__frame *f) {
    int fd, err, rc;

    for (int i = 0; i < ACCEPT_BATCH; i++) {
        fd = accept4(f->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            conn_start(f, fd);
            continue;
        }
        err = errno;
        if (accept_skip(err))
            continue;
        if (exhausted(err)) {
            pause_accepting(f);
            return ASYNC__PENDING;
        }
        if (err != EAGAIN && err != EWOULDBLOCK)
            return stop(f, -err);
        /* Nothing pending: wait for the socket. */
        if (f->w.active) {
            async__io_drained(f->listen_fd, ASYNC__IO_IN);
            f->w.ready = 0;
            return ASYNC__PENDING;
        }
        f->w.task = async__running;
        if ((rc = async__watch(&f->w)) != 0) {
            if (exhausted(-rc)) { /* no epoll instance or table */
                pause_accepting(f);
                return ASYNC__PENDING;
            }
            return stop(f, rc);
        }
        f->w.ready = 0;
        return ASYNC__PENDING;
    }
    /* More may be pending: accept them after the handlers have run (the
     * watcher, if registered, counts as ready for the next poll). */
    f->w.ready = 1;
    async__wake(async__running);
    return ASYNC__PENDING;
}

/* A poll while serving (woken by the socket, the pause timer or a
 * handler that gave back a descriptor) accepts unless the socket is
 * watched and has not been reported ready, or accepting is paused. */
int async_serve__resume(void *frame) {
    struct async_serve__frame *f = frame;
    int rc, stream = 0;

    switch (f->_state) {
    case 0:
        rc = f->spawn == NULL ? ASYNC_EINVAL
                              : check_listening(f->listen_fd, &stream);
        if (rc != 0) {
            f->_state = -1;
            return async__raise(rc);
        }
        if (stream)
            f->w.events |= ASYNC__IO_STREAM;
        assert(async__running != NULL && "async_serve outside a task");
        f->self = async__running;
        f->_state = SERVING;
        break;
    case SERVING:
        break;
    case DRAINING:
        return drain(f);
    default:
        return ASYNC__READY;
    }
    if (async__cancel_seen()) {
        (void)async__take_error(); /* raised once the handlers are done */
        return stop(f, ASYNC_ECANCELED);
    }
    if (f->pause.index != ASYNC__TIMER_NONE)
        return ASYNC__PENDING;
    if (f->w.active && !f->w.ready)
        return ASYNC__PENDING;
    return accept_some(f);
}
