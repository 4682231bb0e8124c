/*
 * poll_uring.c -- the io_uring backend of poll_backend.h, on the raw system
 * calls (<linux/io_uring.h>): no library to install or link, and the
 * few operations it needs are short to write.
 *
 * A registration is a multishot poll request (IORING_OP_POLL_ADD with
 * IORING_POLL_ADD_MULTI) for reading and writing; its user_data carries
 * the descriptor and the slot's generation.  The request is
 * edge-triggered, as epoll's EPOLLET: each wake-up of the file posts a
 * completion with the readiness of that moment, and arming it reports
 * readiness that is already there.  It stays armed until it is cancelled
 * (IORING_OP_ASYNC_CANCEL) or the kernel ends it (a completion without
 * IORING_CQE_F_MORE: io_poll.c then arms a new one for whoever waits).
 *
 * Unlike an epoll entry, a poll request holds a reference to its file:
 * a descriptor closed by its owner stays open in the kernel (a socket
 * sends no FIN) until the request goes.  So io_poll.c removes the
 * request of a descriptor that the runtime does not own as soon as
 * nobody waits on it, and of an owned one when the server forgets it.
 *
 * Batched submission.  Adding, removing and re-arming only fill
 * submission queue entries; the wait submits them all and sleeps in the
 * same io_uring_enter (IORING_ENTER_EXT_ARG carries the timeout), so a
 * loop pass costs one system call whatever it registered.  A wait with
 * a zero timeout and nothing to submit or run reads the completion
 * queue without any system call.  The ring is created with
 * IORING_SETUP_DEFER_TASKRUN where the kernel has it (6.1): completions
 * are then produced only when the loop enters the kernel to collect
 * them, and IORING_SQ_TASKRUN says when there are some to produce.
 * Removal requests complete with a tag that is dropped (without a
 * completion at all where IOSQE_CQE_SKIP_SUCCESS exists); the last
 * completion of a removed request carries an old generation and is
 * dropped by io_poll.c.  The completions of the transfers that
 * poll_uring_io.c queues (accept, receive, send) are told apart by
 * their user_data (poll_backend.h) and handed to it.
 */
#include "internal.h"
#include "io.h"
#include "poll_backend.h"

#include <errno.h>
#include <linux/io_uring.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_S 1000000000u

/* Submission queue entries: a pass that fills them submits them early.
 * The completion queue is larger: a busy server's connections each post
 * a completion per wake-up, and an overflow ends their requests. */
#define SQ_ENTRIES 256u
#define CQ_ENTRIES 4096u

/* user_data of the removal requests. */
#define TAG_REMOVE ASYNC__UD_DROP

/* What every registration asks for: poll(2) bits, which epoll's equal
 * (with EPOLLRDHUP, a peer's shutdown wakes a reader). */
#define POLL_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP)

struct async__uring {
    int fd;
    unsigned features;
    /* submission queue: the kernel's head, our tail */
    unsigned *sq_khead, *sq_ktail, *sq_flags;
    unsigned sq_mask, sq_entries, sq_tail;
    struct io_uring_sqe *sqes;
    /* completion queue */
    unsigned *cq_khead, *cq_ktail;
    unsigned cq_mask;
    struct io_uring_cqe *cqes;
    /* the mappings */
    void *sq_ring, *cq_ring;
    size_t sq_ring_size, cq_ring_size, sqes_size;
};

static int sys_setup(unsigned entries, struct io_uring_params *p) {
    return (int)syscall(SYS_io_uring_setup, entries, p);
}

static int sys_enter(int fd, unsigned to_submit, unsigned min_complete,
                     unsigned flags, const void *arg, size_t argsz) {
    return (int)syscall(SYS_io_uring_enter, fd, to_submit, min_complete, flags,
                        arg, argsz);
}

static int sys_register(int fd, unsigned op, void *arg, unsigned n) {
    return (int)syscall(SYS_io_uring_register, fd, op, arg, n);
}

/* A test hook: ASYNCRT_TEST_NO_URING set and not empty makes
 * io_uring_setup fail with EPERM, as kernel.io_uring_disabled=2 does, so
 * that the fallback to epoll can be tested where io_uring works. */
static int setup(unsigned entries, struct io_uring_params *p) {
    const char *hook = getenv("ASYNCRT_TEST_NO_URING");

    if (hook != NULL && hook[0] != '\0') {
        errno = EPERM;
        return -1;
    }
    return sys_setup(entries, p);
}

/* Multishot poll came with 5.13, as IORING_FEAT_RSRC_TAGS did, which
 * the setup result says (a probe lists opcodes, not their flags);
 * IORING_ENTER_EXT_ARG with 5.11. */
#define FEATURES_NEEDED                                                        \
    (IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG | IORING_FEAT_RSRC_TAGS)

/* Whether the ring `fd` was set up with what this file needs (`why`
 * when not). */
static int ring_check(int fd, unsigned features, const char **why) {
    struct io_uring_probe *probe;
    size_t size = sizeof(*probe) + 256 * sizeof(struct io_uring_probe_op);
    int rc = 0;

    if ((features & FEATURES_NEEDED) != FEATURES_NEEDED) {
        *why = "the kernel's io_uring lacks multishot poll or timed waits "
               "(Linux 5.13 has them)";
        return -ENOSYS;
    }
    probe = calloc(1, size);
    if (probe == NULL) {
        *why = "out of memory";
        return -ENOMEM;
    }
    if (sys_register(fd, IORING_REGISTER_PROBE, probe, 256) != 0) {
        rc = -errno;
        *why = "IORING_REGISTER_PROBE failed";
    } else if (probe->last_op < IORING_OP_ASYNC_CANCEL ||
               !(probe->ops[IORING_OP_POLL_ADD].flags &
                 IO_URING_OP_SUPPORTED) ||
               !(probe->ops[IORING_OP_ASYNC_CANCEL].flags &
                 IO_URING_OP_SUPPORTED)) {
        rc = -ENOSYS;
        *why = "the kernel's io_uring cannot poll";
    }
    free(probe);
    return rc;
}

int async__uring_probe(const char **why) {
    async__io io;
    int rc;

    memset(&io, 0, sizeof(io));
    if ((rc = async__uring_open(&io, why)) == 0)
        async__uring_close(&io);
    return rc;
}

static void ring_unmap(struct async__uring *u) {
    if (u->sqes != NULL && u->sqes != MAP_FAILED)
        munmap(u->sqes, u->sqes_size);
    if (u->cq_ring != NULL && u->cq_ring != MAP_FAILED &&
        u->cq_ring != u->sq_ring)
        munmap(u->cq_ring, u->cq_ring_size);
    if (u->sq_ring != NULL && u->sq_ring != MAP_FAILED)
        munmap(u->sq_ring, u->sq_ring_size);
}

/* The fastest setup this kernel accepts: completions produced on the
 * loop's own calls (6.1), or at least without interrupting it (5.19). */
static int ring_setup(struct io_uring_params *p) {
    static const unsigned tries[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
            IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL,
        IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
            IORING_SETUP_SUBMIT_ALL,
        0};
    int fd = -1;

    for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
        memset(p, 0, sizeof(*p));
        p->flags = tries[i] | IORING_SETUP_CQSIZE;
        p->cq_entries = CQ_ENTRIES;
        fd = setup(SQ_ENTRIES, p);
        if (fd >= 0 || errno != EINVAL)
            break;
    }
    return fd < 0 ? -errno : fd;
}

int async__uring_open(async__io *io, const char **why) {
    struct io_uring_params p;
    struct async__uring *u = calloc(1, sizeof(*u));
    char *sq, *cq;
    int rc;

    *why = "out of memory";
    if (u == NULL)
        return -ENOMEM;
    if ((rc = ring_setup(&p)) < 0) {
        *why = rc == -EPERM    ? "io_uring_setup: not permitted (the sysctl "
                                 "kernel.io_uring_disabled, or a seccomp filter)"
               : rc == -ENOSYS ? "io_uring_setup: not implemented by this "
                                 "kernel (or refused by a seccomp filter)"
                               : "io_uring_setup failed";
        free(u);
        return rc;
    }
    u->fd = rc;
    if ((rc = ring_check(u->fd, p.features, why)) != 0) {
        close(u->fd);
        free(u);
        return rc;
    }
    *why = "mapping the ring failed";
    u->features = p.features;
    u->sq_ring_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    u->cq_ring_size =
        p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    if (p.features & IORING_FEAT_SINGLE_MMAP) {
        if (u->cq_ring_size > u->sq_ring_size)
            u->sq_ring_size = u->cq_ring_size;
        u->cq_ring_size = u->sq_ring_size;
    }
    u->sq_ring = mmap(NULL, u->sq_ring_size, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQ_RING);
    if (u->sq_ring == MAP_FAILED)
        goto fail;
    if (p.features & IORING_FEAT_SINGLE_MMAP)
        u->cq_ring = u->sq_ring;
    else
        u->cq_ring = mmap(NULL, u->cq_ring_size, PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_CQ_RING);
    if (u->cq_ring == MAP_FAILED)
        goto fail;
    u->sqes_size = p.sq_entries * sizeof(struct io_uring_sqe);
    u->sqes = mmap(NULL, u->sqes_size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_SQES);
    if (u->sqes == MAP_FAILED)
        goto fail;
    sq = u->sq_ring;
    cq = u->cq_ring;
    u->sq_khead = (unsigned *)(sq + p.sq_off.head);
    u->sq_ktail = (unsigned *)(sq + p.sq_off.tail);
    u->sq_flags = (unsigned *)(sq + p.sq_off.flags);
    u->sq_mask = *(unsigned *)(sq + p.sq_off.ring_mask);
    u->sq_entries = p.sq_entries;
    u->sq_tail = *u->sq_ktail;
    /* The indirection array maps each queue position to the entry of
     * the same index, once and for all. */
    for (unsigned i = 0; i < p.sq_entries; i++)
        ((unsigned *)(sq + p.sq_off.array))[i] = i;
    u->cq_khead = (unsigned *)(cq + p.cq_off.head);
    u->cq_ktail = (unsigned *)(cq + p.cq_off.tail);
    u->cq_mask = *(unsigned *)(cq + p.cq_off.ring_mask);
    u->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
    io->ring = u;
    io->queued = 0;
    io->open = 1;
    return 0;

fail:
    rc = -errno;
    ring_unmap(u);
    close(u->fd);
    free(u);
    return rc;
}

void async__uring_close(async__io *io) {
    struct async__uring *u = io->ring;
    unsigned head = *u->cq_khead;
    unsigned tail = __atomic_load_n(u->cq_ktail, __ATOMIC_ACQUIRE);

    /* Connections that a multishot accept posted after its server
     * stopped, never reaped: nobody will take them. */
    for (; head != tail; head++) {
        const struct io_uring_cqe *c = &u->cqes[head & u->cq_mask];

        if (c->user_data != TAG_REMOVE && !(c->user_data & ASYNC__UD_OP) &&
            ((c->user_data >> 30) & 3) == ASYNC__UD_ACCEPT_KIND && c->res >= 0)
            close(c->res);
    }
    async__uring_bufs_close(io);
    ring_unmap(u);
    close(u->fd); /* ends every request, and releases their files */
    free(u);
    io->ring = NULL;
    io->queued = 0;
}

/* Submits what is queued, without waiting: 0 or -errno. */
static int submit(async__io *io) {
    struct async__uring *u = io->ring;
    int rc = sys_enter(u->fd, io->queued, 0, 0, NULL, 0);

    io->queued = u->sq_tail - __atomic_load_n(u->sq_khead, __ATOMIC_ACQUIRE);
    return rc < 0 ? -errno : 0;
}

/* A cleared entry at the tail of the submission queue, or NULL when the
 * queue is full and submitting what it holds failed. */
static struct io_uring_sqe *sqe_get(async__io *io) {
    struct async__uring *u = io->ring;
    struct io_uring_sqe *sqe;

    if (u->sq_tail - __atomic_load_n(u->sq_khead, __ATOMIC_ACQUIRE) >=
            u->sq_entries &&
        (submit(io) != 0 || io->queued >= u->sq_entries))
        return NULL;
    sqe = &u->sqes[u->sq_tail & u->sq_mask];
    memset(sqe, 0, sizeof(*sqe));
    return sqe;
}

/* Hands the entry from sqe_get to the kernel's view of the queue; the
 * next io_uring_enter submits it. */
static void sqe_push(async__io *io) {
    struct async__uring *u = io->ring;

    u->sq_tail++;
    __atomic_store_n(u->sq_ktail, u->sq_tail, __ATOMIC_RELEASE);
    io->queued++;
}

static uint64_t user_data(int fd, const async__io_slot *s) {
    return async__ud(fd, s->gen, ASYNC__UD_POLL_KIND);
}

struct io_uring_sqe *async__uring_sqe_get(async__io *io) {
    return sqe_get(io);
}

void async__uring_sqe_push(async__io *io) { sqe_push(io); }

int async__uring_fd(const async__io *io) { return io->ring->fd; }

int async__uring_can_skip(const async__io *io) {
    return (io->ring->features & IORING_FEAT_CQE_SKIP) != 0;
}

/* Queues the removal of the request that `s` has now.  By
 * IORING_OP_ASYNC_CANCEL, not IORING_OP_POLL_REMOVE: with
 * DEFER_TASKRUN a wake-up of the file leaves the request owned by work
 * that runs only at the next wait, and a POLL_REMOVE arriving then fails
 * with EALREADY, leaving the request armed; a loop that waits and stops
 * waiting on one descriptor gathered thousands, each run at every
 * wake-up of the file.  A cancel marks the request for its owner to end
 * (its last completion carries the old generation and is dropped). */
static int queue_remove(async__io *io, const async__io_slot *s, int fd) {
    struct io_uring_sqe *sqe = sqe_get(io);

    if (sqe == NULL)
        return -EAGAIN;
    sqe->opcode = IORING_OP_ASYNC_CANCEL;
    sqe->fd = -1;
    sqe->addr = user_data(fd, s);
    sqe->user_data = TAG_REMOVE;
    if (io->ring->features & IORING_FEAT_CQE_SKIP)
        sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
    sqe_push(io);
    return 0;
}

int async__uring_arm(async__io *io, int fd, async__io_slot *s) {
    struct io_uring_sqe *sqe;

    /* The file may not be the one the old request polls: replace it. */
    if (s->registered) {
        async__uring_leave(io, fd, s);
    }
    if ((sqe = sqe_get(io)) == NULL)
        return -EAGAIN;
    s->gen++;
    sqe->opcode = IORING_OP_POLL_ADD;
    sqe->fd = fd;
    sqe->len = IORING_POLL_ADD_MULTI;
    /* The 32-bit mask, as the kernel reads it on a little-endian
     * machine (io_uring swaps its halves on big-endian ones). */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    sqe->poll32_events = (uint32_t)POLL_EVENTS << 16;
#else
    sqe->poll32_events = POLL_EVENTS;
#endif
    sqe->user_data = user_data(fd, s);
    sqe_push(io);
    async__poll_armed(s);
    return 0;
}

int async__uring_arm_now(async__io *io, int fd, async__io_slot *s) {
    struct async__uring *u = io->ring;
    unsigned head, tail;
    uint64_t ud;
    int rc;

    if ((rc = async__uring_arm(io, fd, s)) != 0)
        return rc;
    ud = user_data(fd, s);
    /* Not submitted: it will be with the wait, and then a descriptor
     * that cannot block is reported ready. */
    if (submit(io) != 0)
        return 0;
    /* A request that failed, or could not wait (the file has no poll
     * method: it ends at once with the file ready), has its completion
     * in the queue now; a multishot one that goes on says
     * IORING_CQE_F_MORE.  The completion is left where it is and
     * dropped when it is reaped, under the generation it no longer
     * has. */
    head = *u->cq_khead;
    tail = __atomic_load_n(u->cq_ktail, __ATOMIC_ACQUIRE);
    for (; head != tail; head++) {
        const struct io_uring_cqe *c = &u->cqes[head & u->cq_mask];

        if (c->user_data != ud || (c->flags & IORING_CQE_F_MORE))
            continue;
        s->registered = 0;
        s->valid = 0;
        s->gen++;
        return c->res < 0 ? c->res : -EPERM;
    }
    return 0;
}

void async__uring_leave(async__io *io, int fd, async__io_slot *s) {
    /* Out of entries and unable to submit: the request stays armed
     * under an old generation until the ring closes. */
    (void)queue_remove(io, s, fd);
    s->registered = 0;
}

void async__uring_rearm(async__io *io, int fd, async__io_slot *s) {
    uint8_t maybe = s->maybe, hup = s->hup;

    /* A new request reports the readiness that is there now. */
    if (async__uring_arm(io, fd, s) == 0) {
        s->maybe = maybe;
        s->hup = hup;
    }
}

/* One completion: of a poll request, or of a transfer
 * (poll_uring_io.c). */
static void complete(async__io *io, const struct io_uring_cqe *cqe) {
    int fd = (int)(cqe->user_data & ASYNC__UD_FD_MASK);
    uint32_t gen = (uint32_t)(cqe->user_data >> 32);
    int ended = !(cqe->flags & IORING_CQE_F_MORE);
    unsigned dirs = 0;
    uint32_t e;

    if (cqe->user_data & ASYNC__UD_OP) {
        async__uring_op_complete(io, cqe);
        return;
    }
    if (((cqe->user_data >> 30) & 3) == ASYNC__UD_RECV_KIND) {
        async__uring_recv_complete(io, cqe);
        return;
    }
    if (((cqe->user_data >> 30) & 3) == ASYNC__UD_ACCEPT_KIND) {
        async__uring_accept_complete(io, cqe);
        return;
    }

    if (cqe->res == -EBADF) {
        async__io_event_closed(io, fd, gen);
        return;
    }
    /* Another error ends the request: whoever waits retries its system
     * call, which says what is wrong, or waits on a new request. */
    if (cqe->res < 0) {
        async__io_event(io, fd, gen, ASYNC__IO_DIRS, 0, 1);
        return;
    }
    e = (uint32_t)cqe->res;
    if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        dirs |= ASYNC__IO_IN;
    if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))
        dirs |= ASYNC__IO_OUT;
    async__io_event(io, fd, gen, dirs,
                    (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0, ended);
}

/* Dispatches every completion in the queue.  Each is consumed before
 * it is dispatched: what a watcher's task does is no concern of the
 * ring's. */
static void reap(async__io *io) {
    struct async__uring *u = io->ring;
    unsigned head = *u->cq_khead;

    for (;;) {
        unsigned tail = __atomic_load_n(u->cq_ktail, __ATOMIC_ACQUIRE);

        if (head == tail)
            break;
        while (head != tail) {
            struct io_uring_cqe cqe = u->cqes[head & u->cq_mask];

            head++;
            __atomic_store_n(u->cq_khead, head, __ATOMIC_RELEASE);
            if (cqe.user_data != TAG_REMOVE)
                complete(io, &cqe);
        }
    }
}

void async__uring_wait(async__io *io, uint64_t timeout_ns) {
    struct async__uring *u = io->ring;
    unsigned flags = __atomic_load_n(u->sq_flags, __ATOMIC_RELAXED);
    int rc;

    if (timeout_ns == 0) {
        /* Nothing to submit, to produce or to flush from the kernel's
         * overflow list: what there is to collect is in the queue. */
        if (io->queued == 0 &&
            !(flags & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW))) {
            reap(io);
            return;
        }
        rc = sys_enter(u->fd, io->queued, 0, IORING_ENTER_GETEVENTS, NULL, 0);
    } else {
        struct io_uring_getevents_arg arg;
        struct __kernel_timespec ts;

        memset(&arg, 0, sizeof(arg));
        if (timeout_ns != ASYNC__IO_FOREVER) {
            ts.tv_sec = (long long)(timeout_ns / NS_PER_S);
            ts.tv_nsec = (long long)(timeout_ns % NS_PER_S);
            arg.ts = (uint64_t)(uintptr_t)&ts;
        }
        /* Submits what this pass queued, then sleeps until a completion
         * comes or the timeout passes (ETIME), or a signal (EINTR): the
         * loop recomputes its timeout anyway. */
        rc = sys_enter(u->fd, io->queued, 1,
                       IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg,
                       sizeof(arg));
    }
    (void)rc;
    io->queued = u->sq_tail - __atomic_load_n(u->sq_khead, __ATOMIC_ACQUIRE);
    reap(io);
}
