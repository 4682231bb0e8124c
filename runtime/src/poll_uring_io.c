/*
 * poll_uring_io.c -- the transfers that io_uring does itself, on the
 * byte streams the runtime owns (async_serve's connections), where
 * readiness plus a system call per transfer would cost more.
 *
 * Receiving.  The first read of such a connection that finds nothing
 * queues a multishot receive (IORING_OP_RECV, IORING_RECV_MULTISHOT)
 * that picks its buffers from a ring the loop provides
 * (IORING_REGISTER_PBUF_RING): from then on the kernel receives into
 * the loop's buffers as data comes, and posts a completion per buffer
 * filled, which the next wait reaps.  The slot keeps the filled
 * buffers in order (struct async__uring_rx); async_read and async_recv
 * copy from them and give each buffer back to the ring as soon as it
 * is consumed, so a read smaller than what came leaves the rest queued
 * for the next one, and so does a read cancelled before it took
 * anything.  The kernel never writes into a caller's memory.  The end
 * of the stream (a completion of 0) and an error end the request and
 * are reported once the data before them has been read.  A ring that
 * runs dry (the readers of many connections are slow to read: ENOBUFS
 * ends the request) sends the reads back to read(2) and readiness
 * until half of the buffers are back; the data queued is read first,
 * so the order holds.  When the server closes the connection, the
 * request is cancelled (it holds the file open), and the completions
 * still to come carry an old generation: their buffers go straight
 * back to the ring.
 *
 * Accepting.  async_serve's listening socket, on an io_uring loop, has
 * a multishot accept (IORING_OP_ACCEPT, IORING_ACCEPT_MULTISHOT): the
 * kernel accepts each connection as it comes (non-blocking,
 * close-on-exec) and posts its descriptor, which waits in the
 * listener's slot (struct async__uring_acc) until the server takes it;
 * no accept(2) per connection.  When the server stops accepting (its
 * connection limit, a pause, the end of the serve) the request is
 * cancelled; at the end, the descriptors not handed out are closed, and
 * so is any that a request posts afterwards (its completion no longer
 * finds the slot's state, told apart by an identity in its user_data).
 *
 * Sending.  A write or send on such a connection is a request queued
 * for the loop's next wait, which submits all of a pass's sends with
 * its own io_uring_enter: no system call per message.  The kernel
 * reads the caller's buffer until the completion, so the awaitable
 * does not end before it: a cancellation asks the kernel to end the
 * send (IORING_OP_ASYNC_CANCEL) and the await fails once it has; what
 * was sent by then is counted (async_write_counted).
 */
#include "internal.h"
#include "io.h"
#include "poll_backend.h"

#include <errno.h>
#include <linux/io_uring.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* 256 buffers of 4 KiB: an HTTP request or an echo message fits one,
 * and a loop with hundreds of connections rarely holds more than one
 * each.  ASYNCRT_TEST_URING_BUFS (a power of two up to 32768) sets the
 * count, so that tests can run the ring dry. */
#define BUF_SIZE 4096u
#define BUF_COUNT 256u
#define BUF_COUNT_MAX 32768u
#define BGID 0

struct async__uring_bufs {
    struct io_uring_buf_ring *br; /* shared with the kernel */
    size_t br_size;
    char *mem; /* entries * BUF_SIZE */
    unsigned entries;
    unsigned held; /* filled and not yet given back */
    uint16_t tail; /* ours: the next entry we give back */
};

typedef struct rx_chunk {
    uint16_t bid;
    uint32_t off, len;
} rx_chunk;

/* What came for one connection, in order.  The queue is a ring of
 * chunks (cap a power of two). */
struct async__uring_rx {
    uint32_t gen;   /* of the armed request */
    uint8_t armed;  /* a receive request is queued or running */
    uint8_t eof;    /* the stream ended after the chunks queued */
    uint8_t nobufs; /* the ring ran dry: read(2) until it refills */
    int err;        /* an error after the chunks queued, or 0 */
    rx_chunk *q;
    unsigned head, count, cap;
};

static unsigned buf_count(void) {
    const char *e = getenv("ASYNCRT_TEST_URING_BUFS");
    unsigned long n;

    if (e == NULL || e[0] == '\0')
        return BUF_COUNT;
    n = strtoul(e, NULL, 10);
    if (n == 0 || n > BUF_COUNT_MAX || (n & (n - 1)) != 0)
        return BUF_COUNT;
    return (unsigned)n;
}

/* Gives buffer `bid` back to the kernel. */
static void buf_give(struct async__uring_bufs *b, uint16_t bid) {
    struct io_uring_buf *e = &b->br->bufs[b->tail & (b->entries - 1)];

    /* Field by field: the first entry shares its last field with the
     * ring's tail. */
    e->addr = (uint64_t)(uintptr_t)(b->mem + (size_t)bid * BUF_SIZE);
    e->len = BUF_SIZE;
    e->bid = bid;
    b->tail++;
    __atomic_store_n(&b->br->tail, b->tail, __ATOMIC_RELEASE);
}

static void bufs_free(struct async__uring_bufs *b) {
    if (b->br != NULL && b->br != MAP_FAILED)
        munmap(b->br, b->br_size);
    free(b->mem);
    free(b);
}

/* Creates and registers the loop's buffer ring: 0 or -errno (the
 * kernel lacks provided buffer rings: 5.19). */
static int bufs_open(async__io *io) {
    struct async__uring_bufs *b = calloc(1, sizeof(*b));
    struct io_uring_buf_reg reg;
    long page = sysconf(_SC_PAGESIZE);

    if (b == NULL)
        return -ENOMEM;
    b->entries = buf_count();
    b->br_size = b->entries * sizeof(struct io_uring_buf);
    if (page > 0 && b->br_size % (size_t)page != 0)
        b->br_size += (size_t)page - b->br_size % (size_t)page;
    b->br = mmap(NULL, b->br_size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    /* Zeroed (fresh pages from mmap at this size, so free): memory
     * checkers, which do not see the kernel write into it, then find
     * it defined. */
    b->mem = calloc(b->entries, BUF_SIZE);
    if (b->br == MAP_FAILED || b->mem == NULL) {
        bufs_free(b);
        return -ENOMEM;
    }
    memset(&reg, 0, sizeof(reg));
    reg.ring_addr = (uint64_t)(uintptr_t)b->br;
    reg.ring_entries = b->entries;
    reg.bgid = BGID;
    if (syscall(SYS_io_uring_register, async__uring_fd(io),
                IORING_REGISTER_PBUF_RING, &reg, 1) != 0) {
        int rc = -errno;

        bufs_free(b);
        return rc;
    }
    for (unsigned i = 0; i < b->entries; i++)
        buf_give(b, (uint16_t)i);
    io->bufs = b;
    return 0;
}

void async__uring_bufs_close(async__io *io) {
    struct io_uring_buf_reg reg;

    if (io->bufs == NULL)
        return;
    /* Unregistered first: from then on no request can pick one of the
     * buffers (they fail with ENOBUFS), so they can go. */
    memset(&reg, 0, sizeof(reg));
    reg.bgid = BGID;
    (void)syscall(SYS_io_uring_register, async__uring_fd(io),
                  IORING_UNREGISTER_PBUF_RING, &reg, 1);
    bufs_free(io->bufs);
    io->bufs = NULL;
}

static async__io_slot *slot_at(async__io *io, int fd) {
    if (fd < 0 || (size_t)fd >= io->n_slots)
        return NULL;
    return &io->slots[fd];
}

/* The receive state of `fd` when its reads go through the ring, else
 * NULL. */
static struct async__uring_rx *rx_of(async__io *io, int fd) {
    async__io_slot *s = slot_at(io, fd);

    if (s == NULL || !s->owned || !s->stream ||
        io->backend != ASYNC__BACKEND_URING || io->rx_off)
        return NULL;
    if (s->rx != NULL)
        return s->rx;
    if (async__io_open(io) != 0 || io->backend != ASYNC__BACKEND_URING)
        return NULL;
    if (io->bufs == NULL && bufs_open(io) != 0) {
        io->rx_off = 1; /* an older kernel: readiness, as before */
        return NULL;
    }
    s->rx = calloc(1, sizeof(*s->rx));
    return s->rx;
}

static int rx_arm(async__io *io, int fd, struct async__uring_rx *rx) {
    struct io_uring_sqe *sqe = async__uring_sqe_get(io);

    if (sqe == NULL)
        return -EAGAIN;
    rx->gen = io->req_gen++ & ASYNC__UD_GEN_MASK;
    sqe->opcode = IORING_OP_RECV;
    sqe->fd = fd;
    sqe->ioprio = IORING_RECV_MULTISHOT;
    sqe->flags = IOSQE_BUFFER_SELECT;
    sqe->buf_group = BGID;
    sqe->user_data = async__ud(fd, rx->gen, ASYNC__UD_RECV_KIND);
    async__uring_sqe_push(io);
    rx->armed = 1;
    return 0;
}

/* Queues the cancellation of the request whose user_data is `ud`; its
 * own completion says when it has ended. */
static void cancel_ud(async__io *io, uint64_t ud) {
    struct io_uring_sqe *sqe = async__uring_sqe_get(io);

    /* Out of entries: the request runs its course. */
    if (sqe == NULL)
        return;
    sqe->opcode = IORING_OP_ASYNC_CANCEL;
    sqe->fd = -1;
    sqe->addr = ud;
    sqe->user_data = ASYNC__UD_DROP;
    if (async__uring_can_skip(io))
        sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
    async__uring_sqe_push(io);
}

static void chunk_pop(struct async__uring_bufs *b, struct async__uring_rx *rx) {
    buf_give(b, rx->q[rx->head].bid);
    b->held--;
    rx->head = (rx->head + 1) & (rx->cap - 1);
    rx->count--;
}

void async__uring_rx_end(async__io *io, int fd, async__io_slot *s) {
    struct async__uring_rx *rx = s->rx;

    if (io->bufs != NULL) {
        while (rx->count > 0)
            chunk_pop(io->bufs, rx);
        if (rx->armed && io->open)
            cancel_ud(io, async__ud(fd, rx->gen, ASYNC__UD_RECV_KIND));
    }
    free(rx->q);
    free(rx);
    s->rx = NULL;
}

static int chunk_push(struct async__uring_rx *rx, uint16_t bid, uint32_t len) {
    if (rx->count == rx->cap) {
        unsigned cap = rx->cap ? rx->cap * 2 : 8;
        rx_chunk *q = malloc(cap * sizeof(*q));

        if (q == NULL)
            return -ENOMEM;
        for (unsigned i = 0; i < rx->count; i++)
            q[i] = rx->q[(rx->head + i) & (rx->cap - 1)];
        free(rx->q);
        rx->q = q;
        rx->cap = cap;
        rx->head = 0;
    }
    rx->q[(rx->head + rx->count) & (rx->cap - 1)] =
        (rx_chunk){.bid = bid, .off = 0, .len = len};
    rx->count++;
    return 0;
}

void async__uring_recv_complete(async__io *io, const struct io_uring_cqe *c) {
    int fd = (int)(c->user_data & ASYNC__UD_FD_MASK);
    uint32_t gen = (uint32_t)(c->user_data >> 32);
    async__io_slot *s = slot_at(io, fd);
    struct async__uring_rx *rx = s != NULL ? s->rx : NULL;
    int has_buf = (c->flags & IORING_CQE_F_BUFFER) != 0;
    uint16_t bid = (uint16_t)(c->flags >> IORING_CQE_BUFFER_SHIFT);

    if (has_buf && io->bufs != NULL)
        io->bufs->held++;
    if (rx == NULL || !rx->armed || rx->gen != gen) {
        /* A request already cancelled: its data has no reader. */
        if (has_buf && io->bufs != NULL) {
            io->bufs->held--;
            buf_give(io->bufs, bid);
        }
        return;
    }
    if (!(c->flags & IORING_CQE_F_MORE))
        rx->armed = 0;
    if (c->res > 0 && has_buf) {
        if (chunk_push(rx, bid, (uint32_t)c->res) != 0) {
            /* No memory to queue it: the data cannot be kept, and a
             * stream with a hole must not go on. */
            io->bufs->held--;
            buf_give(io->bufs, bid);
            rx->err = -ENOMEM;
            if (rx->armed)
                cancel_ud(io, c->user_data);
        }
    } else if (has_buf) {
        io->bufs->held--;
        buf_give(io->bufs, bid);
    }
    if (c->res == 0) {
        rx->eof = 1;
    } else if (c->res == -ENOBUFS) {
        rx->nobufs = 1;
        io->rx_dry++;
    } else if (c->res < 0 && c->res != -ECANCELED) {
        rx->err = c->res;
    }
    async__io_fire_in(io, fd);
}

int async__uring_rx_idle(const struct async__uring_rx *rx) {
    return rx->count == 0 && rx->armed && !rx->eof && rx->err == 0;
}

int async__uring_rx_readable(const struct async__uring_rx *rx) {
    return rx->count > 0 || rx->eof || rx->err != 0;
}

ssize_t async__uring_rx_take(int fd, void *buf, size_t n) {
    async__io *io = async__loop_io();
    struct async__uring_rx *rx = rx_of(io, fd);
    struct async__uring_bufs *b;
    size_t got = 0;

    if (rx == NULL)
        return -ENOTSUP;
    b = io->bufs;
    while (rx->count > 0 && got < n) {
        rx_chunk *ch = &rx->q[rx->head];
        size_t k = ch->len - ch->off;

        if (k > n - got)
            k = n - got;
        memcpy((char *)buf + got, b->mem + (size_t)ch->bid * BUF_SIZE + ch->off,
               k);
        got += k;
        ch->off += (uint32_t)k;
        if (ch->off == ch->len)
            chunk_pop(b, rx);
    }
    if (got > 0 || n == 0)
        return (ssize_t)got;
    if (rx->err != 0) {
        int err = rx->err;

        rx->err = 0; /* reported once, as read(2) does */
        return err;
    }
    if (rx->eof)
        return 0;
    if (rx->armed)
        return -EAGAIN;
    /* Dry: read(2) and readiness until half of the buffers are back. */
    if (rx->nobufs && b->held > b->entries / 2)
        return -ENOTSUP;
    rx->nobufs = 0;
    return rx_arm(io, fd, rx) == 0 ? -EAGAIN : -ENOTSUP;
}

int async__uring_send(async__io_op *op) {
    async__io *io = async__loop_io();
    async__io_slot *s = slot_at(io, op->fd);
    struct io_uring_sqe *sqe;
    size_t left = op->n - op->done;

    if (s == NULL || !s->owned || !s->stream ||
        io->backend != ASYNC__BACKEND_URING || !io->open)
        return -ENOTSUP;
    if ((sqe = async__uring_sqe_get(io)) == NULL)
        return -ENOTSUP;
    sqe->opcode = IORING_OP_SEND;
    sqe->fd = op->fd;
    sqe->addr = (uint64_t)(uintptr_t)(op->buf + op->done);
    sqe->len = left > 0x7ffff000u ? 0x7ffff000u : (uint32_t)left;
    sqe->msg_flags = (uint32_t)(op->flags | MSG_NOSIGNAL);
    sqe->user_data = ASYNC__UD_OP | (uint64_t)(uintptr_t)op;
    async__uring_sqe_push(io);
    op->uring = 1;
    op->cancel = 0;
    op->res = 0;
    io->n_watchers++; /* the loop waits for its completion */
    return 0;
}

void async__uring_send_cancel(async__io_op *op) {
    cancel_ud(async__loop_io(), ASYNC__UD_OP | (uint64_t)(uintptr_t)op);
}

void async__uring_op_complete(async__io *io, const struct io_uring_cqe *c) {
    async__io_op *op =
        (async__io_op *)(uintptr_t)(c->user_data & ~ASYNC__UD_OP);

    op->res = c->res;
    op->uring = 2;
    io->n_watchers--;
    async__wake(op->w.task);
}

/* ------------------------------------------------------------------ */
/* accept                                                              */
/* ------------------------------------------------------------------ */

/* The accepted descriptors waiting for the server, in order (a ring of
 * cap entries, a power of two).  Each request's generation is the
 * state's identity (above) and its own number (the low 8 bits). */
struct async__uring_acc {
    uint32_t id;   /* 23 bits */
    uint32_t cur;  /* generation of the current request */
    uint8_t seq;   /* number of the next request */
    uint8_t armed; /* the current request runs (not cancelled) */
    int err;       /* an error that ended it, reported once */
    int *q;
    unsigned head, count, cap;
};

#define ACC_ID(gen) ((gen) >> 8)

static int acc_arm(async__io *io, int lfd, struct async__uring_acc *a) {
    struct io_uring_sqe *sqe = async__uring_sqe_get(io);

    if (sqe == NULL)
        return -EAGAIN;
    a->cur = (a->id << 8 | a->seq++) & ASYNC__UD_GEN_MASK;
    sqe->opcode = IORING_OP_ACCEPT;
    sqe->fd = lfd;
    sqe->ioprio = IORING_ACCEPT_MULTISHOT;
    sqe->accept_flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
    sqe->user_data = async__ud(lfd, a->cur, ASYNC__UD_ACCEPT_KIND);
    async__uring_sqe_push(io);
    a->armed = 1;
    return 0;
}

int async__uring_accept(int lfd) {
    async__io *io = async__loop_io();
    async__io_slot *s;
    struct async__uring_acc *a;
    int fd;

    if (io->backend != ASYNC__BACKEND_URING || async__io_open(io) != 0 ||
        io->backend != ASYNC__BACKEND_URING ||
        (s = async__io_slot_of(io, lfd)) == NULL)
        return -ENOTSUP;
    if ((a = s->acc) == NULL) {
        if ((a = calloc(1, sizeof(*a))) == NULL)
            return -ENOTSUP;
        a->id = io->req_gen++ & (ASYNC__UD_GEN_MASK >> 8);
        s->acc = a;
    }
    if (a->count > 0) {
        fd = a->q[a->head];
        a->head = (a->head + 1) & (a->cap - 1);
        a->count--;
        return fd;
    }
    if (a->err != 0) {
        int err = a->err;

        a->err = 0;
        return err;
    }
    if (!a->armed && acc_arm(io, lfd, a) != 0)
        return -ENOTSUP;
    return -EAGAIN;
}

void async__uring_accept_stop(int lfd) {
    async__io *io = async__loop_io();
    async__io_slot *s = slot_at(io, lfd);
    struct async__uring_acc *a = s != NULL ? s->acc : NULL;

    if (a != NULL && a->armed && io->open) {
        cancel_ud(io, async__ud(lfd, a->cur, ASYNC__UD_ACCEPT_KIND));
        a->armed = 0;
    }
}

void async__uring_acc_end(async__io *io, int lfd, async__io_slot *s) {
    struct async__uring_acc *a = s->acc;

    if (a->armed && io->open)
        cancel_ud(io, async__ud(lfd, a->cur, ASYNC__UD_ACCEPT_KIND));
    while (a->count > 0) {
        close(a->q[a->head]);
        a->head = (a->head + 1) & (a->cap - 1);
        a->count--;
    }
    free(a->q);
    free(a);
    s->acc = NULL;
}

void async__uring_accept_end(int lfd) {
    async__io *io = async__loop_io();
    async__io_slot *s = slot_at(io, lfd);

    if (s != NULL && s->acc != NULL)
        async__uring_acc_end(io, lfd, s);
}

static int acc_push(struct async__uring_acc *a, int fd) {
    if (a->count == a->cap) {
        unsigned cap = a->cap ? a->cap * 2 : 16;
        int *q = malloc(cap * sizeof(*q));

        if (q == NULL)
            return -ENOMEM;
        for (unsigned i = 0; i < a->count; i++)
            q[i] = a->q[(a->head + i) & (a->cap - 1)];
        free(a->q);
        a->q = q;
        a->cap = cap;
        a->head = 0;
    }
    a->q[(a->head + a->count) & (a->cap - 1)] = fd;
    a->count++;
    return 0;
}

void async__uring_accept_complete(async__io *io, const struct io_uring_cqe *c) {
    int lfd = (int)(c->user_data & ASYNC__UD_FD_MASK);
    uint32_t gen = (uint32_t)(c->user_data >> 32);
    async__io_slot *s = slot_at(io, lfd);
    struct async__uring_acc *a = s != NULL ? s->acc : NULL;

    if (a == NULL || ACC_ID(gen) != a->id) {
        /* Accepted for a server that has stopped: nobody takes it. */
        if (c->res >= 0)
            close(c->res);
        return;
    }
    if (gen == a->cur && !(c->flags & IORING_CQE_F_MORE))
        a->armed = 0;
    if (c->res >= 0) {
        if (acc_push(a, c->res) != 0)
            close(c->res); /* the client sees its connection closed */
    } else if (c->res != -ECANCELED && gen == a->cur) {
        a->err = c->res;
    }
    async__io_fire_in(io, lfd);
}
