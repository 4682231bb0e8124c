/*
 * io_fd.c -- awaitables on non-blocking descriptors: read, write, recv,
 * send, accept, connect, and the buffered reader (lines, exact counts).
 *
 * Each awaitable first tries its system call.  When the descriptor is
 * not ready (EAGAIN) it registers the watcher in its frame and suspends
 * (fd_wait.c, the waiting that async_wait_readable/writable use too);
 * when the loop reports readiness it tries again.  The watcher stays
 * registered until the awaitable completes, fails or is cancelled, and
 * is unwatched on each of those paths, so no frame leaves a watcher
 * behind.  A poll while the watcher has not fired (a spurious wake)
 * keeps waiting; a pending cancellation is honoured on every poll that
 * would suspend.
 *
 * The watchers follow the backend's edge protocol (io.h): every EAGAIN
 * is reported, by registering the watcher or by async__io_drained, and
 * so is a short read, which drains a byte stream.  In return a transfer
 * that the backend knows would only say EAGAIN (async__io_idle) waits
 * without trying: an echo server's read after its short read, say.
 *
 * On an io_uring loop, the connections that async_serve owns are read
 * and written by the kernel's own requests instead (poll_uring_io.c):
 * a read copies what the ring received (op_rx), and a write or send is
 * a request submitted with the loop's next wait, whose completion the
 * await waits for even when cancelled (op_tx).  Whatever they cannot
 * do comes back here as OP_SYSCALL, and the system call path runs.
 */
#include "internal.h"
#include "io.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* OP_WRITE becomes OP_WRITE_FILE once send() said ENOTSOCK. */
enum { OP_READ, OP_WRITE, OP_RECV, OP_SEND, OP_WRITE_FILE };

int async_fd_nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0)
        return -errno;
    if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
        return -errno;
    return 0;
}

static void op_init(async__io_op *op, int kind, int fd, const void *buf,
                    size_t n, int flags, int all) {
    op->fd = fd;
    op->flags = flags;
    op->kind = (uint8_t)kind;
    op->all = (uint8_t)all;
    op->buf = (char *)buf;
    op->n = n;
    op->done = 0;
    op->progress = NULL;
    op->res = 0;
    op->uring = 0;
    op->cancel = 0;
    async__fd_watcher_init(
        &op->w, fd,
        (kind == OP_READ || kind == OP_RECV ? ASYNC__IO_IN : ASYNC__IO_OUT) |
            ASYNC__IO_EDGE);
}

/* write(2) that fails with EPIPE instead of raising SIGPIPE: the signal
 * is blocked around the call and a SIGPIPE it caused is consumed (the
 * way OpenSSL and libcurl do it), unless one was pending already. */
static ssize_t write_nosigpipe(int fd, const void *p, size_t n) {
    static const struct timespec zero = {0, 0};
    sigset_t pipe_set, old, pending;
    int was_pending, err;
    ssize_t r;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    r = write(fd, p, n);
    err = errno;
    if (r < 0 && err == EPIPE && !was_pending)
        (void)sigtimedwait(&pipe_set, NULL, &zero);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = err;
    return r;
}

static ssize_t op_syscall(async__io_op *op) {
    char *p = op->buf + op->done;
    size_t left = op->n - op->done;
    ssize_t r;

    switch (op->kind) {
    case OP_READ:
        return read(op->fd, p, left);
    case OP_RECV:
        return recv(op->fd, p, left, op->flags);
    case OP_SEND:
        return send(op->fd, p, left, op->flags | MSG_NOSIGNAL);
    case OP_WRITE_FILE:
        return write_nosigpipe(op->fd, p, left);
    default:
        /* send() first, so a closed peer gives EPIPE, not SIGPIPE. */
        r = send(op->fd, p, left, MSG_NOSIGNAL);
        if (r < 0 && errno == ENOTSOCK) {
            op->kind = OP_WRITE_FILE;
            r = write_nosigpipe(op->fd, p, left);
        }
        return r;
    }
}

/* A read whose shortness shows that the descriptor had no more: not a
 * peek, which leaves the bytes where they were. */
static int op_drains(const async__io_op *op) {
    return op->kind == OP_READ ||
           (op->kind == OP_RECV && !(op->flags & (MSG_PEEK | MSG_OOB)));
}

/* op_rx and op_tx: the transfer is not one that io_uring does itself
 * (poll_uring_io.c); use the system call. */
enum { OP_SYSCALL = 100 };

/* The running task has a cancellation pending (not consumed). */
static int cancel_pending(void) {
    return async__running != NULL &&
           (async__running->flags & ASYNC__TASK_CANCEL) != 0;
}

static int op_is_read(const async__io_op *op) {
    return op->kind == OP_READ || (op->kind == OP_RECV && op->flags == 0);
}

/* A read from the buffers that io_uring filled: as op_poll says, or
 * OP_SYSCALL. */
static int op_rx(async__io_op *op) {
    ssize_t r =
        async__uring_rx_take(op->fd, op->buf + op->done, op->n - op->done);
    int rc;

    if (r == -ENOTSUP) {
        /* The reads go back to read(2) and readiness: a watcher that
         * only the ring would wake must become a real one. */
        async__unwatch(&op->w);
        return OP_SYSCALL;
    }
    if (r == -EAGAIN) {
        if (async__cancel_seen()) {
            async__unwatch(&op->w);
            return ASYNC__FAILED;
        }
        if (!op->w.active) {
            op->w.task = async__running;
            if ((rc = async__io_watch_local(&op->w)) != 0)
                return async__raise(rc);
        }
        op->w.ready = 0;
        return ASYNC__PENDING;
    }
    async__unwatch(&op->w);
    if (r < 0)
        return async__raise((int)r);
    async__io_touch(op->fd);
    op->done += (size_t)r;
    if (op->progress != NULL)
        *op->progress = op->done;
    return ASYNC__READY;
}

/* A write or send that io_uring does with the loop's next wait: as
 * op_poll says, or OP_SYSCALL.  The task stays in the await until the
 * kernel has finished with the buffer, cancelled or not. */
static int op_tx(async__io_op *op) {
    if (op->uring == 1) {
        if (!op->cancel && cancel_pending()) {
            op->cancel = 1;
            async__uring_send_cancel(op);
        }
        return ASYNC__PENDING;
    }
    if (op->uring == 2) {
        op->uring = 0;
        if (op->res > 0) {
            async__io_touch(op->fd);
            op->done += (size_t)op->res;
            if (op->progress != NULL)
                *op->progress = op->done;
        }
        if (op->cancel || (op->res == -ECANCELED && cancel_pending()))
            return async__cancel_seen() ? ASYNC__FAILED
                                        : async__raise(ASYNC_ECANCELED);
        if (op->res < 0)
            return async__raise(op->res);
        if (op->res == 0 && op->done < op->n)
            return async__raise(-EIO); /* wrote nothing: should not be */
    }
    if (op->done == op->n)
        return ASYNC__READY;
    if (async__cancel_seen())
        return ASYNC__FAILED;
    if (async__uring_send(op) != 0)
        return OP_SYSCALL;
    op->w.task = async__running;
    return ASYNC__PENDING;
}

/* The transfer's state machine, shared by the frames: READY with the
 * byte count in op->done, PENDING, or FAILED with the code raised. */
static int op_poll(async__io_op *op) {
    int rc;

    if (op->uring != 0 && (rc = op_tx(op)) != OP_SYSCALL)
        return rc;
    if (async__fd_waiting(&op->w) &&
        (rc = async__fd_check(&op->w)) != ASYNC__READY)
        return rc;
    if (op->buf == NULL) {
        async__unwatch(&op->w);
        return async__raise(ASYNC_EINVAL);
    }
    if (!op->w.active || op->w.ready) {
        if (op_is_read(op)) {
            if (op->done < op->n && (rc = op_rx(op)) != OP_SYSCALL)
                return rc;
        } else if (op->all && op->kind != OP_WRITE_FILE && op->done < op->n &&
                   (rc = op_tx(op)) != OP_SYSCALL) {
            return rc;
        }
    }
    /* Known to say EAGAIN: wait at once.  Not for a transfer of nothing,
     * which completes whether or not the descriptor is ready. */
    if (!op->w.active && op->done < op->n &&
        async__io_idle(op->fd, (op->w.events & ASYNC__IO_DIRS)))
        return async__fd_wait(&op->w);
    for (;;) {
        size_t want = op->n - op->done;
        ssize_t r = op_syscall(op);

        if (r > 0) {
            async__io_touch(op->fd); /* progress: not idle */
            if ((size_t)r < want && op_drains(op))
                async__io_short_read(op->fd);
            op->done += (size_t)r;
            if (op->progress != NULL)
                *op->progress = op->done;
            if (op->all && op->done < op->n)
                continue;
        } else if (r < 0) {
            int err = errno;

            if (err == EINTR)
                continue;
            if (err == EAGAIN || err == EWOULDBLOCK)
                return async__fd_wait(&op->w);
            async__unwatch(&op->w);
            return async__raise(-err);
        } else if (op->done < op->n && op->all) {
            /* A write that writes nothing: should not happen. */
            async__unwatch(&op->w);
            return async__raise(-EIO);
        }
        /* A transfer done, or end of file (r == 0). */
        if (r == 0)
            async__io_touch(op->fd);
        async__unwatch(&op->w);
        return ASYNC__READY;
    }
}

/* The resume function of every transfer frame: they share the layout
 * { _state; op; _ret }. */
#define DEFINE_OP_RESUME(name)                                                 \
    int name##__resume(void *frame) {                                          \
        struct name##__frame *f = frame;                                       \
        int rc;                                                                \
                                                                               \
        if (f->_state < 0)                                                     \
            return ASYNC__READY;                                               \
        f->_state = 1;                                                         \
        rc = op_poll(&f->op);                                                  \
        if (rc == ASYNC__PENDING)                                              \
            return rc;                                                         \
        f->_state = -1;                                                        \
        if (rc == ASYNC__READY)                                                \
            f->_ret = (ssize_t)f->op.done;                                     \
        return rc;                                                             \
    }

void async_read__init(struct async_read__frame *f, int fd, void *buf,
                      size_t n) {
    f->_state = 0;
    op_init(&f->op, OP_READ, fd, buf, n, 0, 0);
    f->_ret = 0;
}
DEFINE_OP_RESUME(async_read)

void async_write__init(struct async_write__frame *f, int fd, const void *buf,
                       size_t n) {
    f->_state = 0;
    op_init(&f->op, OP_WRITE, fd, buf, n, 0, 1);
    f->_ret = 0;
}
DEFINE_OP_RESUME(async_write)

void async_write_counted__init(struct async_write_counted__frame *f, int fd,
                               const void *buf, size_t n, size_t *written) {
    f->_state = 0;
    op_init(&f->op, OP_WRITE, fd, written != NULL ? buf : NULL, n, 0, 1);
    f->op.progress = written;
    if (written != NULL)
        *written = 0;
    f->_ret = 0;
}
DEFINE_OP_RESUME(async_write_counted)

void async_recv__init(struct async_recv__frame *f, int fd, void *buf, size_t n,
                      int flags) {
    f->_state = 0;
    op_init(&f->op, OP_RECV, fd, buf, n, flags, 0);
    f->_ret = 0;
}
DEFINE_OP_RESUME(async_recv)

void async_send__init(struct async_send__frame *f, int fd, const void *buf,
                      size_t n, int flags) {
    f->_state = 0;
    op_init(&f->op, OP_SEND, fd, buf, n, flags, 1);
    f->_ret = 0;
}
DEFINE_OP_RESUME(async_send)

/* ------------------------------------------------------------------ */
/* accept                                                              */
/* ------------------------------------------------------------------ */

void async_accept__init(struct async_accept__frame *f, int listen_fd) {
    f->_state = 0;
    f->fd = listen_fd;
    async__fd_watcher_init(&f->w, listen_fd, ASYNC__IO_IN | ASYNC__IO_EDGE);
    f->_ret = -1;
}

int async_accept__resume(void *frame) {
    struct async_accept__frame *f = frame;
    int rc;

    if (f->_state < 0)
        return ASYNC__READY;
    f->_state = 1;
    if (async__fd_waiting(&f->w) &&
        (rc = async__fd_check(&f->w)) != ASYNC__READY)
        goto out;
    for (;;) {
        int fd = accept4(f->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd >= 0) {
            async__unwatch(&f->w);
            async__io_fresh(fd);
            f->_ret = fd;
            rc = ASYNC__READY;
            break;
        }
        /* A connection that died in the backlog: wait for the next. */
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            rc = async__fd_wait(&f->w);
            break;
        }
        rc = -errno;
        async__unwatch(&f->w);
        rc = async__raise(rc);
        break;
    }
out:
    if (rc != ASYNC__PENDING)
        f->_state = -1;
    return rc;
}

/* ------------------------------------------------------------------ */
/* connect                                                             */
/* ------------------------------------------------------------------ */

void async_connect__init(struct async_connect__frame *f, int fd,
                         const struct sockaddr *addr, socklen_t len,
                         double timeout_seconds) {
    f->_state = 0;
    f->fd = fd;
    f->addr = addr;
    f->len = len;
    f->timeout = timeout_seconds;
    async__fd_watcher_init(&f->w, fd, ASYNC__IO_OUT | ASYNC__IO_EDGE);
    f->timer.deadline_ns = 0;
    f->timer.index = ASYNC__TIMER_NONE;
    f->_ret = -1;
}

static int connect_end(struct async_connect__frame *f, int code) {
    async__unwatch(&f->w);
    async__timer_stop(&f->timer);
    f->_state = -1;
    if (code == 0) {
        f->_ret = 0;
        return ASYNC__READY;
    }
    return code == 1 ? ASYNC__FAILED : async__raise(code);
}

/* States: 0 = not started; 1 = connecting, watcher (and timer)
 * registered; -1 = done.  The timer's firing is seen as its index
 * becoming ASYNC__TIMER_NONE while the connection is still pending. */
int async_connect__resume(void *frame) {
    struct async_connect__frame *f = frame;
    int err, rc;
    socklen_t elen = sizeof(err);

    switch (f->_state) {
    case 0:
        if (f->addr == NULL)
            return connect_end(f, ASYNC_EINVAL);
        if ((rc = async_fd_nonblocking(f->fd)) != 0)
            return connect_end(f, rc);
        while ((rc = connect(f->fd, f->addr, f->len)) != 0 && errno == EINTR)
            ;
        if (rc == 0)
            return connect_end(f, 0);
        if (errno != EINPROGRESS)
            return connect_end(f, -errno);
        f->_state = 1;
        if (async__fd_wait(&f->w) != ASYNC__PENDING)
            return connect_end(f, 1);
        if (f->timeout > 0 &&
            async__timer_start(&f->timer, async__deadline_after(f->timeout)) !=
                0)
            return connect_end(f, ASYNC_ENOMEM);
        return ASYNC__PENDING;
    case 1:
        if (async__cancel_seen())
            return connect_end(f, 1);
        if (f->w.ready == ASYNC__READY_CLOSED)
            return connect_end(f, -EBADF);
        if (!f->w.ready) {
            if (f->timeout > 0 && f->timer.index == ASYNC__TIMER_NONE)
                return connect_end(f, ASYNC_ETIMEDOUT);
            return ASYNC__PENDING;
        }
        if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
            return connect_end(f, -errno);
        return connect_end(f, err != 0 ? -err : 0);
    default:
        return ASYNC__READY;
    }
}

/* ------------------------------------------------------------------ */
/* The buffered reader                                                 */
/* ------------------------------------------------------------------ */

/*
 * Cancellation safety comes from one rule: bytes leave the reader's
 * buffer only in the poll that completes an await.  Until then a read
 * only adds to the buffer (r->end grows the moment read(2) returns), so
 * an await that fails or is cancelled between polls leaves every byte
 * buffered for the next one.  The one exception is async_read_exactly
 * of more than the capacity, which cannot buffer its bytes and records
 * its progress in the reader instead (r->partial, kept current after
 * every transfer).
 *
 * Frame states of both awaitables: 0 = not started; 1 = running, no
 * read in flight; 2 = a read is set up in f->op (it may be waiting for
 * the descriptor); -1 = done.
 */

int async_reader_init(async_reader *r, int fd, void *buf, size_t cap) {
    if (r == NULL || buf == NULL || cap == 0)
        return ASYNC_EINVAL;
    r->fd = fd;
    r->buf = buf;
    r->cap = cap;
    r->start = r->end = 0;
    r->scanned = 0;
    r->partial_buf = NULL;
    r->partial_n = 0;
    r->partial = 0;
    r->eof = 0;
    r->mode = ASYNC__READER_NONBLOCK;
    return 0;
}

size_t async_reader_partial(const async_reader *r) {
    return r != NULL && r->partial_buf != NULL ? r->partial : 0;
}

static void reader_forget_partial(async_reader *r) {
    r->partial_buf = NULL;
    r->partial_n = 0;
    r->partial = 0;
}

/* Takes k buffered bytes from the front.  The bytes that stay keep their
 * scan, so a long line is searched for '\n' only once. */
static void reader_consume(async_reader *r, size_t k) {
    r->start += k;
    r->scanned = r->scanned > k ? r->scanned - k : 0;
    if (r->start == r->end)
        r->start = r->end = 0;
}

/* Makes sure buf[start..start + need) fits in the buffer (need <= cap),
 * moving the data to the front if not, so that the next fill can read
 * everything the caller waits for at once.  Moves fewer than `need`
 * bytes, once per fill. */
static void reader_make_room(async_reader *r, size_t need) {
    if (r->cap - r->start >= need)
        return;
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
}

/* Polls the read set up in `op`; READY when it read something or found
 * end of file (op->done bytes, 0 at end of file, which sets r->eof). */
static int reader_read(async_reader *r, async__io_op *op) {
    int rc = r->mode != ASYNC__READER_NONBLOCK ? async__reader_fill_any(r, op)
                                               : op_poll(op);

    if (rc == ASYNC__READY && op->done == 0)
        r->eof = 1;
    return rc;
}

void async_read_line__init(struct async_read_line__frame *f, async_reader *r,
                           char *line, size_t size) {
    f->_state = 0;
    f->r = r;
    f->line = line;
    f->size = size;
    f->_ret = 0;
}

/* The length of the next piece of at most `limit` bytes (the size of a
 * whole line, or `limit`, or what is left at end of file) when it is
 * all buffered, else 0. */
static size_t line_ready(async_reader *r, size_t limit) {
    size_t avail = r->end - r->start;
    size_t upto = avail < limit ? avail : limit;

    if (r->scanned < upto) {
        const char *p = r->buf + r->start;
        const char *nl = memchr(p + r->scanned, '\n', upto - r->scanned);

        if (nl != NULL)
            return (size_t)(nl - p) + 1;
        r->scanned = upto;
    }
    if (avail >= limit)
        return limit;
    return r->eof ? avail : 0;
}

int async_read_line__resume(void *frame) {
    struct async_read_line__frame *f = frame;
    async_reader *r = f->r;
    size_t limit, take;
    int rc;

    if (f->_state < 0)
        return ASYNC__READY;
    if (f->_state == 0) {
        if (r == NULL || f->line == NULL || f->size < 2) {
            f->_state = -1;
            return async__raise(ASYNC_EINVAL);
        }
        reader_forget_partial(r);
        f->_state = 1;
    }
    limit = f->size - 1 < r->cap ? f->size - 1 : r->cap;
    for (;;) {
        if (f->_state == 2) {
            rc = reader_read(r, &f->op);
            if (rc == ASYNC__PENDING)
                return rc;
            if (rc == ASYNC__FAILED) {
                f->_state = -1;
                return rc;
            }
            r->end += f->op.done;
            f->_state = 1;
        }
        take = line_ready(r, limit);
        if (take > 0 || r->eof)
            break;
        /* avail < limit <= cap here, so the room is never empty. */
        reader_make_room(r, limit);
        op_init(&f->op, OP_READ, r->fd, r->buf + r->end, r->cap - r->end, 0, 0);
        f->_state = 2;
    }
    memcpy(f->line, r->buf + r->start, take);
    f->line[take] = '\0';
    reader_consume(r, take);
    f->_ret = (ssize_t)take;
    f->_state = -1;
    return ASYNC__READY;
}

void async_read_exactly__init(struct async_read_exactly__frame *f,
                              async_reader *r, void *buf, size_t n) {
    f->_state = 0;
    f->r = r;
    f->buf = buf;
    f->n = n;
    f->len = 0;
    f->_ret = 0;
}

/* n <= capacity: waits until n bytes (or end of file) are buffered,
 * then takes them at once. */
static int read_exactly_buffered(struct async_read_exactly__frame *f) {
    async_reader *r = f->r;
    size_t avail;
    int rc;

    for (;;) {
        if (f->_state == 2) {
            rc = reader_read(r, &f->op);
            if (rc != ASYNC__READY)
                return rc;
            r->end += f->op.done;
            f->_state = 1;
        }
        avail = r->end - r->start;
        if (avail >= f->n || r->eof)
            break;
        reader_make_room(r, f->n);
        op_init(&f->op, OP_READ, r->fd, r->buf + r->end, r->cap - r->end, 0, 0);
        f->_state = 2;
    }
    f->len = avail < f->n ? avail : f->n;
    memcpy(f->buf, r->buf + r->start, f->len);
    reader_consume(r, f->len);
    return ASYNC__READY;
}

/* n > capacity: the buffered bytes first, then reads straight into the
 * caller's buffer, with the progress in the reader after each step. */
static int read_exactly_direct(struct async_read_exactly__frame *f) {
    async_reader *r = f->r;
    size_t k;
    int rc;

    if (f->_state == 1) {
        k = r->end - r->start;
        if (k > f->n - f->len)
            k = f->n - f->len;
        memcpy(f->buf + f->len, r->buf + r->start, k);
        reader_consume(r, k);
        f->len += k;
        r->partial = f->len;
    }
    for (;;) {
        if (f->_state == 2) {
            rc = reader_read(r, &f->op);
            if (rc != ASYNC__READY)
                return rc;
            f->len += f->op.done;
            r->partial = f->len;
            f->_state = 1;
        }
        if (f->len == f->n || r->eof)
            break;
        op_init(&f->op, OP_READ, r->fd, f->buf + f->len, f->n - f->len, 0, 0);
        f->_state = 2;
    }
    reader_forget_partial(r);
    return ASYNC__READY;
}

int async_read_exactly__resume(void *frame) {
    struct async_read_exactly__frame *f = frame;
    async_reader *r = f->r;
    int rc;

    if (f->_state < 0)
        return ASYNC__READY;
    if (f->_state == 0) {
        if (r == NULL || f->buf == NULL) {
            f->_state = -1;
            return async__raise(ASYNC_EINVAL);
        }
        if (f->n > r->cap && r->partial_buf == f->buf && r->partial_n == f->n) {
            f->len = r->partial;
        } else {
            reader_forget_partial(r);
            if (f->n > r->cap) {
                r->partial_buf = f->buf;
                r->partial_n = f->n;
            }
        }
        f->_state = 1;
    }
    rc = f->n > r->cap ? read_exactly_direct(f) : read_exactly_buffered(f);
    if (rc == ASYNC__PENDING)
        return rc;
    f->_state = -1;
    if (rc == ASYNC__READY)
        f->_ret = (ssize_t)f->len;
    return rc;
}
