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

/* io_uring's user_data.  An async__io_op in flight (a send) is its
 * address with ASYNC__UD_OP set; the requests that belong to a
 * descriptor carry its generation (31 bits) above its number and their
 * kind (ASYNC__UD_*_KIND) in bits 30 and 31; ASYNC__UD_DROP marks
 * removals and cancellations, whose completions are dropped. */
#define ASYNC__UD_OP (UINT64_C(1) << 63)
#define ASYNC__UD_DROP UINT64_MAX
#define ASYNC__UD_GEN_MASK 0x7fffffffu
#define ASYNC__UD_FD_MASK 0x3fffffffu
enum {
    ASYNC__UD_POLL_KIND = 0,
    ASYNC__UD_RECV_KIND = 1,
    ASYNC__UD_ACCEPT_KIND = 2
};

static inline uint64_t async__ud(int fd, uint32_t gen, unsigned kind) {
    return (uint64_t)(gen & ASYNC__UD_GEN_MASK) << 32 | (uint64_t)kind << 30 |
           ((uint32_t)fd & ASYNC__UD_FD_MASK);
}

/* Whether generation `gen` of a completion is `s`'s current one. */
static inline int async__gen_is(uint32_t slot_gen, uint32_t gen) {
    return ((slot_gen ^ gen) & ASYNC__UD_GEN_MASK) == 0;
}

struct io_uring_sqe;
struct io_uring_cqe;

/* poll_uring.c: a cleared submission queue entry (NULL when the queue
 * is full and cannot be submitted), which async__uring_sqe_push queues
 * for the next wait; the ring's descriptor, and whether completions of
 * successful requests can be skipped (IOSQE_CQE_SKIP_SUCCESS). */
struct io_uring_sqe *async__uring_sqe_get(async__io *io);
void async__uring_sqe_push(async__io *io);
int async__uring_fd(const async__io *io);
int async__uring_can_skip(const async__io *io);

/* poll_uring_io.c: the completions of its requests (kind
 * ASYNC__UD_RECV_KIND, or ASYNC__UD_OP); the end of `s`'s receiving
 * (the descriptor is about to close: the request is cancelled, its
 * buffers go back to the ring); the release of the buffers before the
 * ring closes. */
void async__uring_recv_complete(async__io *io, const struct io_uring_cqe *c);
void async__uring_accept_complete(async__io *io, const struct io_uring_cqe *c);
void async__uring_op_complete(async__io *io, const struct io_uring_cqe *c);
void async__uring_rx_end(async__io *io, int fd, async__io_slot *s);
/* poll_uring_io.c: the end of listener `lfd`'s accepting (its slot is
 * reset): the request is cancelled, the descriptors accepted and not
 * handed out are closed. */
void async__uring_acc_end(async__io *io, int lfd, async__io_slot *s);
void async__uring_bufs_close(async__io *io);
/* poll_uring_io.c: nonzero when a read of the connection would wait
 * (nothing queued, a receive armed), as async__io_idle says. */
int async__uring_rx_idle(const struct async__uring_rx *rx);
/* poll_uring_io.c: nonzero when a read of the connection would not wait
 * (bytes queued, the end of the stream or an error to report). */
int async__uring_rx_readable(const struct async__uring_rx *rx);

/* io_poll.c: the slot of `fd`, the table grown to reach it; NULL for
 * a negative `fd` or without memory. */
async__io_slot *async__io_slot_of(async__io *io, int fd);

/* io_poll.c: wakes the reader of `fd` (s->in), if any. */
void async__io_fire_in(async__io *io, int fd);

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
