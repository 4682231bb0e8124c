/*
 * io.h -- the operating-system wait behind the loop: sleeping until the
 * next timer is due or a watched file descriptor is ready.
 *
 * The loop and the awaitables only call these functions.  io_poll.c
 * keeps the watchers and what is known of each descriptor; the kernel
 * side is a backend, chosen per loop when async_run starts
 * (io_backend.c): poll_uring.c (io_uring) where the kernel has what it
 * needs, else poll_epoll.c (epoll).  ASYNCRT_BACKEND=epoll|io_uring
 * forces one.
 *
 * Watchers.  An awaitable that finds its descriptor not ready registers
 * an async__watcher (embedded in its frame) for ASYNC__IO_IN or
 * ASYNC__IO_OUT, and suspends.  async__io_wait() sets `ready` on every
 * watcher whose descriptor has become ready and wakes its task (or calls
 * its on_ready).  A watcher stays registered until it is unwatched: an
 * awaitable that still finds the descriptor not ready clears `ready` and
 * goes on waiting.  Events are dispatched inside async__io_wait, and an
 * event that the kernel delivers later than that (io_uring keeps
 * completions in its ring) is checked against the current registration
 * of its descriptor (a generation number) first, so a watcher that is
 * unwatched (completion, cancellation) is never touched afterwards.  At
 * most one watcher per descriptor and direction.
 *
 * Two kinds of watchers.  A plain watcher (signal.c, thread_pool.c) sees
 * level-triggered readiness: it fires whenever its descriptor is ready,
 * whether or not anything was read since.  A watcher with ASYNC__IO_EDGE
 * in `events` (the awaitables of io_fd.c and server.c) promises to try
 * its system call until that says "not ready" (EAGAIN) before it waits,
 * and to tell the backend so: registering it (async__watch) or going on
 * waiting (async__io_drained) means "I just found it not ready".  It is
 * then woken only when the descriptor becomes ready again, which is what
 * lets the backend keep descriptors in the kernel's set between waits
 * and answer async__io_idle() without a system call.
 *
 * Descriptors that the runtime owns.  A caller may close its descriptor
 * whenever nothing waits on it, and the number may come back as another
 * file; the backend cannot see that happen, so a descriptor that nobody
 * waits on is registered again (epoll: checked with one epoll_ctl;
 * io_uring: a new poll request, queued) before the next wait.  The
 * connections of async_serve are closed by the server itself, which
 * tells the backend (async__io_adopt, async__io_forget): their
 * registration needs no check, and a wait on them costs no system call.
 * On io_uring they skip readiness altogether: the kernel accepts,
 * receives and sends for them with requests of its own
 * (poll_uring_io.c, the async__uring_* transfers below).
 */
#ifndef ASYNC_IO_H
#define ASYNC_IO_H

#include <async.h>
#include <stddef.h>
#include <stdint.h>

/* async__io_wait() timeout meaning "until something happens". */
#define ASYNC__IO_FOREVER UINT64_MAX

/* Bits of async__watcher.events private to the runtime, next to
 * ASYNC__IO_IN and ASYNC__IO_OUT. */
enum {
    /* The watcher's owner follows the edge protocol above. */
    ASYNC__IO_EDGE = 1 << 4,
    /* server.c, on its listening socket's watcher: the socket is
     * SOCK_STREAM, so its connections are byte streams. */
    ASYNC__IO_STREAM = 1 << 5,
    /* The poller unregisters the watcher when it fires (fd_wait.c's
     * public waits): the descriptor is free for the next wait at once. */
    ASYNC__IO_ONESHOT = 1 << 6,
    /* A plain watcher that does not keep the loop busy: what it waits for
     * is the runtime's own housekeeping (a child process to reap, which
     * no task awaits), so the loop may still find itself stuck, or end,
     * while it is registered. */
    ASYNC__IO_QUIET = 1 << 7,
    ASYNC__IO_DIRS = ASYNC__IO_IN | ASYNC__IO_OUT
};

/* Per descriptor: its watchers and what the backend knows about it.
 * `valid`: the registration is known to be for the file that the number
 * names now.  `maybe` (ASYNC__IO_IN/OUT bits): the direction may be
 * ready, since no edge watcher found it drained after the last event;
 * meaningful while valid. */
typedef struct async__io_slot {
    async__watcher *in;  /* waiting to read */
    async__watcher *out; /* waiting to write */
    uint32_t gen;        /* generation of the registration, in its events */
    uint8_t registered;  /* in the epoll set (as far as we know) */
    uint8_t valid;
    uint8_t owned;  /* the runtime closes it: valid while registered */
    uint8_t stream; /* owned byte stream: a short read drains it */
    uint8_t hup;    /* the peer hung up (or an error): reading is never
                       drained again, since no edge will say so */
    uint8_t maybe;
    uint64_t active_ns; /* owned: when a transfer on it last made progress
                           (async__io_touch), for async_serve's idle
                           timeout */
    struct async__uring_rx *rx;   /* io_uring, owned stream: what the
                                     kernel received for the reader
                                     (poll_uring_io.c), or NULL */
    struct async__uring_acc *acc; /* io_uring, async_serve's listener:
                                     the connections accepted */
} async__io_slot;

/* async__io.backend */
enum {
    ASYNC__BACKEND_EPOLL = 0, /* poll_epoll.c */
    ASYNC__BACKEND_URING = 1  /* poll_uring.c */
};

struct async__uring;      /* poll_uring.c's ring */
struct async__uring_bufs; /* poll_uring_io.c's provided buffers */

/* The backend's state, one per loop.  A zeroed struct is valid (epoll):
 * the kernel object (epoll instance, io_uring ring) is created on the
 * first wait or watch that needs it. */
typedef struct async__io {
    int epfd;                  /* the epoll instance, valid when `open` */
    unsigned char open;        /* the kernel object has been created */
    unsigned char no_pwait2;   /* the kernel lacks epoll_pwait2 */
    unsigned char backend;     /* ASYNC__BACKEND_*, set by async__io_start */
    unsigned char forced;      /* ASYNCRT_BACKEND chose it: no fallback */
    unsigned char chosen;      /* `backend` was chosen (async__io_start,
                                  async__io_choose) */
    unsigned queued;           /* io_uring: requests not yet submitted */
    unsigned char rx_off;      /* io_uring: no provided buffer ring */
    struct async__uring *ring; /* io_uring: the ring, when `open` */
    struct async__uring_bufs *bufs; /* io_uring: the provided buffers */
    size_t rx_dry;         /* io_uring: times a receive found the ring empty */
    uint32_t req_gen;      /* io_uring: generations of the transfer requests */
    size_t n_watchers;     /* watchers registered (quiet ones aside), and
                              io_uring transfers in flight */
    async__io_slot *slots; /* indexed by descriptor */
    size_t n_slots;
} async__io;

/* io_backend.c: chooses the backend of the loop about to run, from
 * ASYNCRT_BACKEND and what the kernel supports.  Returns 0, or, after a
 * line on stderr, -EINVAL for an unknown ASYNCRT_BACKEND or the error
 * that makes a forced io_uring unavailable (-EPERM, -ENOSYS...). */
int async__io_start(async__io *io);

/* io_backend.c: chooses the backend of a loop that needs its kernel
 * object before any run has started (async__watch outside async_run, as
 * async_shutdown_on_signals makes): as async__io_start would, but
 * without refusing anything (a forced io_uring that cannot be had falls
 * back to epoll here, and async__io_start refuses it at the run). */
void async__io_choose(async__io *io);

/* Nonzero when the backend holds requests for the kernel that only a
 * wait submits (io_uring): the loop then waits (with a zero timeout if
 * tasks are ready) even when no watcher is registered, so that a
 * descriptor closed meanwhile is released by the kernel. */
static inline int async__io_pending(const async__io *io) {
    return io->queued > 0;
}

/* Blocks for up to `timeout_ns` nanoseconds (ASYNC__IO_FOREVER: no
 * limit), or until a watched descriptor is ready; wakes the tasks of
 * ready watchers.  Returns early when interrupted by a signal, and after
 * about 24 days for longer timeouts; the loop then recomputes its
 * timeout.  Never returns early because of rounding, so the loop does
 * not spin waiting for a timer. */
void async__io_wait(async__io *io, uint64_t timeout_ns);

/* Nonzero while watchers are registered: tasks wait for descriptors, so
 * an empty ready queue without timers is not a deadlock. */
static inline int async__io_busy(const async__io *io) {
    return io->n_watchers > 0;
}

/* Releases the kernel object (epoll instance, ring) and the watcher table.
 * Every watcher must be unwatched already, or belong to a frame about to be
 * freed. The struct stays valid for reuse. */
void async__io_close(async__io *io);

/* Registers `w` (fd and events set, task or on_ready set) with the loop
 * of this thread.  Returns 0, -EBUSY when another watcher waits on the
 * same descriptor and direction, -EBADF for a descriptor that is not
 * open, -EPERM for one that cannot block (a regular file, /dev/null),
 * -ENOMEM.  io_uring submits a plain watcher's request at once to say
 * so; an edge watcher's (whose owner's system call just said EAGAIN, so
 * the descriptor can block) waits for the next wait, where a descriptor
 * found closed ends the wait as async__io_closing does
 * (ASYNC__READY_CLOSED: the await fails with -EBADF).  A registered
 * watcher is unwatched before its frame goes away.  With
 * ASYNC__IO_EDGE, the caller has just found the descriptor not ready in
 * w's direction. */
int async__watch(async__watcher *w);

/* Unregisters `w`; a no-op when it is not registered.  No system call.
 * epoll: the descriptor stays in the kernel's set until it is closed, or
 * until an event comes for it while nobody waits on it (for a connection
 * the runtime owns, an event that brings no news).  io_uring: a poll
 * request holds its file open, so the last watcher of a descriptor that
 * the runtime does not own queues the request's removal, which the
 * next wait submits. */
void async__unwatch(async__watcher *w);

/* The edge protocol's "I just found `fd` not ready in direction `dir`"
 * (one of ASYNC__IO_IN, ASYNC__IO_OUT) for a watcher that stays
 * registered. */
void async__io_drained(int fd, int dir);

/* A read of `fd` returned fewer bytes than asked for: on an owned byte
 * stream that means its receive queue is empty (epoll(7)), as if the
 * next read had said EAGAIN. */
void async__io_short_read(int fd);

/* Nonzero when `fd` is known not to be ready in direction `dir`: it was
 * found drained since the last event, and the kernel will report the
 * next change.  The awaitable may then wait without trying. */
int async__io_idle(int fd, int dir);

/* `fd` was just created (accepted, or a new socket): whatever was
 * registered under its number belonged to a file now closed. */
void async__io_fresh(int fd);

/* The runtime owns the freshly created `fd` until async__io_forget: it
 * will not be closed or replaced meanwhile, so its registration is
 * trusted.  `stream`: a byte stream (SOCK_STREAM).  Best effort: out of
 * memory, `fd` is merely treated like any other descriptor. */
void async__io_adopt(int fd, int stream);

/* The owner of `fd` is about to close it. */
void async__io_forget(int fd);

/* A transfer on `fd` has just moved bytes or met the end of the stream:
 * for an owned descriptor, remembers when (the loop's clock), which
 * async__io_active reports.  No-op for the others. */
void async__io_touch(int fd);

/* When an owned `fd` was adopted or last touched, on the loop's clock;
 * 0 when the backend does not know (not owned, or not in its table). */
uint64_t async__io_active(int fd);

/* async__watcher.ready when async__io_closing ended the wait: the await
 * fails with -EBADF. */
enum { ASYNC__READY_CLOSED = 2 };

/* `fd` is about to be closed: unregisters its watchers, marking them
 * ASYNC__READY_CLOSED and waking their tasks, and forgets its
 * registration.  Returns how many watchers there were. */
int async__io_closing(int fd);

/* Registers `w` (ASYNC__IO_IN) as the reader of `fd` without asking
 * the kernel for readiness: the backend wakes it itself when its own
 * transfer on `fd` completes (io_uring's receive).  Returns 0, -EBADF
 * (not in the table), -EBUSY.  Unwatched as any watcher. */
int async__io_watch_local(async__watcher *w);

/* poll_uring_io.c: the transfers io_uring does itself on the byte
 * streams that the runtime owns (async_serve's connections), on a loop
 * whose backend is io_uring; for the others, each says -ENOTSUP and
 * the caller uses its system call.
 *
 * async__uring_rx_take: copies up to `n` bytes that the kernel has
 * received for `fd` into `buf`: the count, 0 at the end of the stream,
 * -EAGAIN when nothing has come yet (a receive is queued: wait with
 * async__io_watch_local), a receive error (-ECONNRESET...), or
 * -ENOTSUP (not such a descriptor, no buffer ring, or the ring ran out
 * of buffers: read with read(2) now).
 *
 * async__uring_send: queues the send of op->buf[op->done..op->n) with
 * the next wait, which submits it: 0 (op->uring is 1 until the
 * completion sets op->res, op->uring = 2 and wakes op->w.task), or
 * -ENOTSUP.  The kernel reads the caller's buffer until then, so the
 * awaitable does not end before it.
 *
 * async__uring_send_cancel: asks the kernel to end op's send early. */
ssize_t async__uring_rx_take(int fd, void *buf, size_t n);

/* async_serve's accepting on io_uring: a descriptor that the multishot
 * accept of listener `lfd` has accepted, -EAGAIN when none is queued
 * (the request is queued or running: wait with async__io_watch_local on
 * `lfd`), the error that ended the request (-EMFILE...: the next call
 * queues a new one), or -ENOTSUP (not an io_uring loop: use accept4).
 * async__uring_accept_stop cancels the request (accepting pauses or
 * ends); the descriptors queued stay for the next call, and are closed
 * when the listener's slot is reset (async__io_fresh, async__io_closing,
 * the end of the loop) or by async__uring_accept_end. */
int async__uring_accept(int lfd);
void async__uring_accept_stop(int lfd);
void async__uring_accept_end(int lfd);
int async__uring_send(async__io_op *op);
void async__uring_send_cancel(async__io_op *op);

/* fd_wait.c: the waiting that every I/O awaitable shares.  `events`:
 * ASYNC__IO_IN or ASYNC__IO_OUT, with ASYNC__IO_EDGE for an awaitable
 * that follows the edge protocol. */
void async__fd_watcher_init(async__watcher *w, int fd, int events);

/* Called when the descriptor was found not ready: suspends until `w`
 * fires, registering it on the first call.  Returns ASYNC__PENDING, or
 * ASYNC__FAILED (cancelled, or the watch failed: the code is raised). */
int async__fd_wait(async__watcher *w);

/* Called on a poll while waiting: ASYNC__READY when `w` fired (or is not
 * registered), else ASYNC__PENDING, or ASYNC__FAILED when cancelled (the
 * watcher is unregistered first). */
int async__fd_check(async__watcher *w);

/* Nonzero while `w` waits, or was ended by async__io_closing: the
 * awaitable must call async__fd_check before anything else. */
static inline int async__fd_waiting(const async__watcher *w) {
    return w->active || w->ready == ASYNC__READY_CLOSED;
}

/* async_reader.mode: how the reader's descriptor is read. */
enum {
    ASYNC__READER_NONBLOCK = 0, /* the awaitables' usual way */
    ASYNC__READER_WAIT = 1,     /* blocking: readable first, then read */
    ASYNC__READER_DIRECT = 2    /* always ready (epoll refuses it): read */
};

/* stdin.c: the read set up in `op` (fd, buffer, size) for a reader
 * whose mode is not ASYNC__READER_NONBLOCK: ASYNC__READY with the count
 * in op->done (0: end of file), ASYNC__PENDING, or ASYNC__FAILED.  The
 * watcher in `op` is unwatched on every way out but PENDING. */
int async__reader_fill_any(async_reader *r, async__io_op *op);

/* loop.c: the backend state of this thread's loop. */
async__io *async__loop_io(void);

#endif /* ASYNC_IO_H */
