/*
 * stdin.c -- the buffered reader over a descriptor of any kind, without
 * touching its flags: async_reader_init_any and async_stdin_reader_init.
 *
 * Setting O_NONBLOCK on standard input would change it for every
 * process that shares the open file (the shell, the other commands of a
 * pipeline), and epoll refuses regular files and /dev/null.  So a
 * blocking descriptor that epoll accepts is read only once a plain
 * (level-triggered) watcher has seen it readable, and then once: a
 * readable pipe or terminal returns what it has without blocking.  A
 * descriptor that epoll refuses is always ready: it is read directly.
 */
#include "internal.h"
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int async_reader_init_any(async_reader *r, int fd, void *buf, size_t cap) {
    struct stat st;
    int rc, fl;

    if ((rc = async_reader_init(r, fd, buf, cap)) != 0)
        return rc;
    if (fstat(fd, &st) != 0 || (fl = fcntl(fd, F_GETFL)) < 0)
        return -errno;
    if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) || S_ISDIR(st.st_mode))
        r->mode = ASYNC__READER_DIRECT;
    else if (!(fl & O_NONBLOCK))
        r->mode = ASYNC__READER_WAIT;
    return 0;
}

int async_stdin_reader_init(async_reader *r, void *buf, size_t cap) {
    return async_reader_init_any(r, STDIN_FILENO, buf, cap);
}

/* wait_readable: epoll refuses the descriptor (read it directly). */
enum { REFUSED = 3 };

/* Registers the plain watcher `w` for reading: ASYNC__PENDING,
 * ASYNC__FAILED, or REFUSED. */
static int wait_readable(async__watcher *w) {
    int rc;

    if (async__cancel_seen())
        return ASYNC__FAILED;
    w->events = ASYNC__IO_IN;
    w->task = async__running;
    w->on_ready = NULL;
    rc = async__watch(w);
    if (rc == -EPERM)
        return REFUSED;
    if (rc != 0)
        return async__raise(rc);
    return ASYNC__PENDING;
}

int async__reader_fill_any(async_reader *r, async__io_op *op) {
    async__watcher *w = &op->w;
    ssize_t n;
    int rc;

    for (;;) {
        if (r->mode == ASYNC__READER_WAIT) {
            /* async_fd_closing ended the wait: fail as it says. */
            if (w->ready == ASYNC__READY_CLOSED)
                return async__fd_check(w);
            if (!w->active) {
                rc = wait_readable(w);
                if (rc != REFUSED)
                    return rc;
                r->mode = ASYNC__READER_DIRECT;
                continue;
            }
            if (async__cancel_seen()) {
                async__unwatch(w);
                return ASYNC__FAILED;
            }
            if (!w->ready)
                return ASYNC__PENDING; /* a spurious poll */
            async__unwatch(w);
        }
        n = read(op->fd, op->buf, op->n);
        if (n >= 0) {
            op->done = (size_t)n;
            return ASYNC__READY;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return async__raise(-errno);
        /* Someone else took the input (WAIT: wait again), or a
         * non-blocking device epoll refuses: yield and retry. */
        if (r->mode == ASYNC__READER_WAIT)
            continue;
        if (async__cancel_seen())
            return ASYNC__FAILED;
        async__wake(async__running);
        return ASYNC__PENDING;
    }
}
