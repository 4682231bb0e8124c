/*
 * fd_wait.c -- waiting for a descriptor: the one mechanism behind every
 * I/O awaitable, and the public async_wait_readable/async_wait_writable
 * built on it.
 *
 * A frame that must wait embeds an async__watcher.  async__fd_wait
 * registers it with the loop's poller on the first call (the task
 * suspends), async__fd_check tells on later polls whether it fired.
 * Both honour a pending cancellation by unregistering the watcher before
 * the await fails, so no frame leaves a watcher behind.
 *
 * The transfers of io_fd.c use edge watchers (io.h): they retry their
 * system call and report EAGAIN.  async_wait_readable/writable cannot
 * know what the caller will do with the descriptor (a library reads it,
 * or not), so they use a plain one-shot watcher: registering it re-arms
 * the descriptor, so readiness that is already there is reported (level
 * semantics, as poll(2) and asyncio's add_reader have), and the poller
 * unregisters it when it fires, so the descriptor is free for the next
 * wait, by this task or another, at once.
 */
#include "internal.h"
#include "io.h"

#include <assert.h>
#include <errno.h>

void async__fd_watcher_init(async__watcher *w, int fd, int events) {
    w->fd = fd;
    w->events = (uint8_t)events;
    w->ready = 0;
    w->active = 0;
    w->task = NULL;
    w->on_ready = NULL;
}

int async__fd_wait(async__watcher *w) {
    int rc;

    if (async__cancel_seen()) {
        async__unwatch(w);
        return ASYNC__FAILED;
    }
    if (!w->active) {
        assert(async__running != NULL && "an I/O await outside a task");
        w->task = async__running;
        if ((rc = async__watch(w)) != 0)
            return async__raise(rc);
    } else if (w->events & ASYNC__IO_EDGE) {
        async__io_drained(w->fd, w->events & ASYNC__IO_DIRS);
    }
    w->ready = 0;
    return ASYNC__PENDING;
}

int async__fd_check(async__watcher *w) {
    if (w->ready == ASYNC__READY_CLOSED) {
        /* A cancellation that came too wins, as on any suspension. */
        w->ready = 0;
        return async__cancel_seen() ? ASYNC__FAILED : async__raise(-EBADF);
    }
    if (!w->active)
        return ASYNC__READY;
    if (async__cancel_seen()) {
        async__unwatch(w);
        return ASYNC__FAILED;
    }
    return w->ready ? ASYNC__READY : ASYNC__PENDING;
}

/* ------------------------------------------------------------------ */
/* async_wait_readable, async_wait_writable                            */
/* ------------------------------------------------------------------ */

/* States: 0 = not started; 1 = waiting, watcher registered (the poller
 * unregisters it when it fires); -1 = done. */
static int wait_dir_resume(int *state, async__watcher *w, int *ret) {
    int rc;

    switch (*state) {
    case 0:
        *state = 1;
        if (async__cancel_seen()) {
            rc = ASYNC__FAILED;
            break;
        }
        assert(async__running != NULL && "an I/O await outside a task");
        w->task = async__running;
        rc = async__watch(w);
        if (rc == 0)
            rc = ASYNC__PENDING;
        else if (rc == -EPERM)
            /* epoll refuses what cannot block (regular files,
             * directories, /dev/null): ready, as poll(2) says. */
            rc = ASYNC__READY;
        else
            rc = async__raise(rc);
        break;
    case 1:
        rc = async__fd_check(w);
        break;
    default:
        return ASYNC__READY;
    }
    if (rc == ASYNC__PENDING)
        return rc;
    *state = -1;
    if (rc == ASYNC__READY)
        *ret = 0;
    return rc;
}

void async_wait_readable__init(struct async_wait_readable__frame *f, int fd) {
    f->_state = 0;
    async__fd_watcher_init(&f->w, fd, ASYNC__IO_IN | ASYNC__IO_ONESHOT);
    f->_ret = 0;
}

int async_wait_readable__resume(void *frame) {
    struct async_wait_readable__frame *f = frame;

    return wait_dir_resume(&f->_state, &f->w, &f->_ret);
}

void async_wait_writable__init(struct async_wait_writable__frame *f, int fd) {
    f->_state = 0;
    async__fd_watcher_init(&f->w, fd, ASYNC__IO_OUT | ASYNC__IO_ONESHOT);
    f->_ret = 0;
}

int async_wait_writable__resume(void *frame) {
    struct async_wait_writable__frame *f = frame;

    return wait_dir_resume(&f->_state, &f->w, &f->_ret);
}

/* ------------------------------------------------------------------ */
/* async_wait_fd: either direction                                     */
/* ------------------------------------------------------------------ */

void async_wait_fd__init(struct async_wait_fd__frame *f, int fd, int events) {
    f->_state = 0;
    f->events = events;
    async__fd_watcher_init(&f->in, fd, ASYNC__IO_IN | ASYNC__IO_ONESHOT);
    async__fd_watcher_init(&f->out, fd, ASYNC__IO_OUT | ASYNC__IO_ONESHOT);
    f->_ret = 0;
}

static int wait_fd_end(struct async_wait_fd__frame *f, int rc) {
    async__unwatch(&f->in);
    async__unwatch(&f->out);
    f->_state = -1;
    return rc;
}

/* Registers the watchers asked for.  ASYNC__READY when the descriptor
 * cannot block (epoll refuses it): every direction asked is ready. */
static int wait_fd_start(struct async_wait_fd__frame *f) {
    async__watcher *w[2] = {&f->in, &f->out};

    for (int i = 0; i < 2; i++) {
        int rc;

        if (!(f->events & (i == 0 ? ASYNC_READABLE : ASYNC_WRITABLE)))
            continue;
        w[i]->task = async__running;
        if ((rc = async__watch(w[i])) == 0)
            continue;
        if (rc == -EPERM) {
            f->_ret = f->events;
            return wait_fd_end(f, ASYNC__READY);
        }
        return wait_fd_end(f, async__raise(rc));
    }
    return ASYNC__PENDING;
}

int async_wait_fd__resume(void *frame) {
    struct async_wait_fd__frame *f = frame;
    int ready;

    if (f->_state < 0)
        return ASYNC__READY;
    if (async__cancel_seen())
        return wait_fd_end(f, ASYNC__FAILED);
    if (f->_state == 0) {
        f->_state = 1;
        if (f->events == 0 ||
            (f->events & ~(ASYNC_READABLE | ASYNC_WRITABLE)) != 0)
            return wait_fd_end(f, async__raise(ASYNC_EINVAL));
        assert(async__running != NULL && "an I/O await outside a task");
        return wait_fd_start(f);
    }
    if (f->in.ready == ASYNC__READY_CLOSED ||
        f->out.ready == ASYNC__READY_CLOSED)
        return wait_fd_end(f, async__raise(-EBADF));
    /* A one-shot watcher that fired is unregistered and marked ready. */
    ready = (f->in.ready ? ASYNC_READABLE : 0) |
            (f->out.ready ? ASYNC_WRITABLE : 0);
    if (ready == 0)
        return ASYNC__PENDING;
    f->_ret = ready;
    return wait_fd_end(f, ASYNC__READY);
}

int async_fd_closing(int fd) {
    if (fd < 0)
        return ASYNC_EINVAL;
    return async__io_closing(fd);
}
