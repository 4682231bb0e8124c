/*
 * io.h -- the operating-system wait behind the loop: sleeping until the
 * next timer is due or a watched file descriptor is ready.
 *
 * The loop and the awaitables only call these functions, so another
 * backend (kqueue, io_uring) can replace poll_epoll.c without touching
 * loop.c or the awaitables.
 *
 * Watchers.  An awaitable that finds its descriptor not ready registers
 * an async__watcher (embedded in its frame) for ASYNC__IO_IN or
 * ASYNC__IO_OUT, and suspends.  async__io_wait() sets `ready` on every
 * watcher whose descriptor is ready and wakes its task (or calls its
 * on_ready).  Readiness is level-triggered and a watcher stays
 * registered until it is unwatched: an awaitable that still finds the
 * descriptor not ready clears `ready` and goes on waiting.  Events are
 * dispatched inside async__io_wait and never kept, so a watcher that is
 * unwatched (completion, cancellation) is never touched afterwards.
 * At most one watcher per descriptor and direction.
 */
#ifndef ASYNC_IO_H
#define ASYNC_IO_H

#include <async.h>
#include <stddef.h>
#include <stdint.h>

/* async__io_wait() timeout meaning "until something happens". */
#define ASYNC__IO_FOREVER UINT64_MAX

/* Per descriptor: the watchers registered for it. */
typedef struct async__io_slot {
    async__watcher *in;  /* waiting to read */
    async__watcher *out; /* waiting to write */
    uint32_t mask;       /* the epoll events registered, 0 if none */
} async__io_slot;

/* The backend's state, one per loop.  A zeroed struct is valid: the
 * epoll instance is created on the first wait or watch that needs it. */
typedef struct async__io {
    int epfd;                /* the epoll instance, valid when `open` */
    unsigned char open;      /* epfd has been created */
    unsigned char no_pwait2; /* the kernel lacks epoll_pwait2 */
    size_t n_watchers;       /* watchers registered */
    async__io_slot *slots;   /* indexed by descriptor */
    size_t n_slots;
} async__io;

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

/* Releases the epoll instance and the watcher table, after telling the
 * worker threads to drop this loop's queued calls and waiting for its
 * running ones (their frames are about to be freed).  The struct stays
 * valid for reuse. */
void async__io_close(async__io *io);

/* Registers `w` (fd and events set, task or on_ready set) with the loop
 * of this thread.  Returns 0, -EBUSY when another watcher waits on the
 * same descriptor and direction, or -errno from epoll (-EPERM for a
 * regular file, -EBADF, -ENOMEM).  A registered watcher is unwatched
 * before its frame goes away. */
int async__watch(async__watcher *w);

/* Unregisters `w`; a no-op when it is not registered. */
void async__unwatch(async__watcher *w);

/* loop.c: the backend state of this thread's loop. */
async__io *async__loop_io(void);

/* thread_pool.c: drops this thread's queued calls and waits for its
 * running ones; called by async__io_close. */
void async__pool_abandon(void);

#endif /* ASYNC_IO_H */
