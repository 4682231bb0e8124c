/*
 * poll_backend.h -- between io_poll.c, which keeps the watchers and what is
 * known of each descriptor, and the kernel backends that it drives
 * (poll_epoll.c, poll_uring.c; io.h says which one runs).
 *
 * A backend keeps each descriptor that someone waits on registered with
 * the kernel, as a "registration" for both directions whose events
 * carry the descriptor and the slot's generation (s->gen), and reports
 * each event to async__io_event.  io_poll.c calls it through the
 * async__poll_* functions below, which branch on io->backend.
 */
#ifndef ASYNC_POLL_BACKEND_H
#define ASYNC_POLL_BACKEND_H

#include "io.h"

#include <stdint.h>

/* The longest single wait (about 24 days, what epoll_wait takes).
 * Longer timeouts are waited in pieces: the loop wakes, finds nothing
 * due and waits again. */
#define ASYNC__POLL_MAX_WAIT_NS ((uint64_t)INT32_MAX * 1000000u)

/* Each backend:
 *   open   creates the kernel object (0 or -errno);
 *   arm    makes the registration of `fd` current: one for the file
 *          the number names now, which reports readiness that is there
 *          already; sets s->registered and s->valid, and, for a new
 *          registration, a new s->gen, s->hup = 0 and s->maybe (0 or
 *          -errno);
 *   leave  drops the registration (s->registered = 0): its events stop,
 *          or are told apart by s->gen;
 *   rearm  after a plain watcher fired and stays: the next wait reports
 *          the descriptor again if it is still ready;
 *   wait   sleeps as async__io_wait says and reports the events;
 *   close  releases the kernel object. */
int async__epoll_open(async__io *io);
int async__epoll_arm(async__io *io, int fd, async__io_slot *s);
void async__epoll_leave(async__io *io, int fd, async__io_slot *s);
void async__epoll_rearm(async__io *io, int fd, async__io_slot *s);
void async__epoll_wait(async__io *io, uint64_t timeout_ns);
void async__epoll_close(async__io *io);

int async__uring_open(async__io *io, const char **why);
int async__uring_arm(async__io *io, int fd, async__io_slot *s);
void async__uring_leave(async__io *io, int fd, async__io_slot *s);
/* arm, for a plain watcher, submitted at once (one system call, as
 * epoll's epoll_ctl): -EBADF for a descriptor that is not open, -EPERM
 * for one that cannot block (no poll method: a regular file, /dev/null),
 * as epoll says, else 0. */
int async__uring_arm_now(async__io *io, int fd, async__io_slot *s);
void async__uring_rearm(async__io *io, int fd, async__io_slot *s);
void async__uring_wait(async__io *io, uint64_t timeout_ns);
void async__uring_close(async__io *io);

/* poll_uring.c: 0 when this kernel has what poll_uring.c needs, else
 * -errno with a reason in *why (a static string), as async__uring_open
 * says, which also gives the reason of a failure.  It creates a ring
 * and closes it, and the kernel interrupts the thread's next blocking
 * epoll_wait (EINTR) when it tears a ring down. */
int async__uring_probe(const char **why);

/* io_poll.c: an event for registration `gen` of `fd`: `dirs` the
 * directions it makes maybe ready (ASYNC__IO_IN/OUT), `hup` nonzero for
 * a hang-up or an error, `ended` nonzero when the registration ended
 * with it (io_uring ended the poll request: no more events come from
 * it).  Events of any other registration are dropped. */
void async__io_event(async__io *io, int fd, uint32_t gen, unsigned dirs,
                     int hup, int ended);

/* io_poll.c: registration `gen` of `fd` found the descriptor closed:
 * its watchers end as async__io_closing ends them (-EBADF). */
void async__io_event_closed(async__io *io, int fd, uint32_t gen);

/* Both backends, once `fd` is in the kernel's set: the registration
 * names the file the number names now, and nothing is known of its
 * readiness yet. */
static inline void async__poll_armed(async__io_slot *s) {
    s->registered = 1;
    s->valid = 1;
    s->hup = 0;
    s->maybe = ASYNC__IO_DIRS; /* a file we know nothing about yet */
}

/* io_poll.c: creates the kernel object of the loop's backend, if it
 * was not yet: 0 or -errno.  A loop that chose io_uring by itself (no
 * ASYNCRT_BACKEND) and cannot have a ring now goes on with epoll. */
int async__io_open(async__io *io);

/* poll_epoll.c: when no kernel object can be had (out of descriptors),
 * a plain sleep still honours the timers. */
void async__poll_sleep(uint64_t timeout_ns);

static inline int async__poll_open(async__io *io) {
    const char *why;

    return io->backend == ASYNC__BACKEND_URING ? async__uring_open(io, &why)
                                               : async__epoll_open(io);
}

static inline int async__poll_arm(async__io *io, int fd, async__io_slot *s) {
    return io->backend == ASYNC__BACKEND_URING ? async__uring_arm(io, fd, s)
                                               : async__epoll_arm(io, fd, s);
}

static inline void async__poll_leave(async__io *io, int fd, async__io_slot *s) {
    if (io->backend == ASYNC__BACKEND_URING)
        async__uring_leave(io, fd, s);
    else
        async__epoll_leave(io, fd, s);
}

static inline void async__poll_rearm(async__io *io, int fd, async__io_slot *s) {
    if (io->backend == ASYNC__BACKEND_URING)
        async__uring_rearm(io, fd, s);
    else
        async__epoll_rearm(io, fd, s);
}

#endif /* ASYNC_POLL_BACKEND_H */
