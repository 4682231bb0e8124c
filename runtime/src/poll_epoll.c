/*
 * poll_epoll.c -- the Linux backend of io.h: the loop sleeps in epoll.
 *
 * epoll_pwait2() takes a nanosecond timeout; kernels before 5.11 lack
 * it, and then epoll_wait() gets the timeout rounded up to milliseconds.
 *
 * Registration.  A descriptor enters the epoll set, edge-triggered for
 * reading and writing, at the first wait on it, and stays there between
 * waits, so a wait costs no epoll_ctl once the registration is known to
 * be current (adding and removing it around every wait was a fifth of a
 * busy server's time).  Each event carries the descriptor and the
 * generation of its registration: a file that was closed while a
 * duplicate keeps it open stays in the set under its old number, and the
 * generation tells its events from those of the file that has the
 * number now.
 *
 * Closed and reused numbers.  The caller may close a descriptor nobody
 * waits on, and the kernel then drops it from the set by itself, unless
 * a duplicate keeps the file open.  So the registration of a descriptor
 * that nobody waits on is not trusted: the next wait checks it with
 * EPOLL_CTL_MOD, which fails with ENOENT unless this very file is
 * registered under this number, and then adds the file afresh (the MOD
 * also re-arms it, so readiness that came meanwhile is reported).  An
 * event for such a descriptor removes it from the set, as libuv does:
 * nobody waits, and the number may name another file by now.  The
 * connections async_serve owns are the exception (async__io_adopt): the
 * server closes them itself and tells us first, so their registration is
 * trusted from the first wait to async__io_forget, with no check; one
 * leaves the set only when nobody waits on it and an event repeats what
 * its slot knows already (a handler busy elsewhere while packets come).
 *
 * Readiness cache.  Events are edges, so the slot remembers them: a
 * direction is "maybe ready" from an event until an edge watcher's
 * system call reports it drained (EAGAIN, or a short read of a byte
 * stream).  While the registration is current, a drained direction
 * stays so until the kernel queues the next event, so async__io_idle
 * can tell an awaitable to wait without a system call that would only
 * say EAGAIN.  Plain watchers (signal.c, thread_pool.c) expect level
 * triggering: after one fires and stays registered, its registration is
 * re-armed with EPOLL_CTL_MOD, which queues a new event if the
 * descriptor is still ready.
 *
 * Each event is dispatched within the async__io_wait that received it,
 * before any task runs, so no event can outlive the watcher it was for.
 */
#include "internal.h"
#include "io.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_MS 1000000u
#define NS_PER_S 1000000000u

/* The longest single wait, the most epoll_wait() takes (about 24 days).
 * Longer timeouts are waited in pieces: the loop wakes, finds nothing
 * due and waits again. */
#define MAX_WAIT_NS ((uint64_t)INT_MAX * NS_PER_MS)

/* A busy server has many connections ready at once: collecting them in
 * one call saves system calls (3 KiB of stack). */
#define N_EVENTS 256

/* Every registration asks for both directions, so that it need not
 * change when watchers come and go. */
#define EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

/* When epoll itself is unavailable (out of file descriptors), a plain
 * sleep still honours the timers. */
static void sleep_ns(uint64_t timeout_ns) {
    struct timespec ts;

    if (timeout_ns == ASYNC__IO_FOREVER)
        timeout_ns = MAX_WAIT_NS;
    ts.tv_sec = (time_t)(timeout_ns / NS_PER_S);
    ts.tv_nsec = (long)(timeout_ns % NS_PER_S);
    (void)clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

static int io_open(async__io *io) {
    if (!io->open) {
        io->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (io->epfd < 0)
            return -errno;
        io->open = 1;
    }
    return 0;
}

/* Rounds up, so a wait never ends before a timer is due and the loop
 * never polls an almost-due timer in a busy loop. */
static int timeout_ms(uint64_t timeout_ns) {
    if (timeout_ns == ASYNC__IO_FOREVER)
        return -1;
    return (int)(timeout_ns / NS_PER_MS + (timeout_ns % NS_PER_MS != 0));
}

/* The slot of `fd`, or NULL when the table does not reach it (then
 * nothing is known about it). */
static async__io_slot *slot_of(async__io *io, int fd) {
    if (fd < 0 || (size_t)fd >= io->n_slots)
        return NULL;
    return &io->slots[fd];
}

static int slots_grow(async__io *io, size_t need) {
    size_t n = io->n_slots ? io->n_slots : 64;
    async__io_slot *p;

    while (n < need)
        n *= 2;
    p = realloc(io->slots, n * sizeof(*p));
    if (p == NULL)
        return -ENOMEM;
    memset(p + io->n_slots, 0, (n - io->n_slots) * sizeof(*p));
    io->slots = p;
    io->n_slots = n;
    return 0;
}

static int ctl(async__io *io, int op, int fd, const async__io_slot *s) {
    struct epoll_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.events = EVENTS;
    ev.data.u64 = (uint64_t)s->gen << 32 | (uint32_t)fd;
    return epoll_ctl(io->epfd, op, fd, &ev) == 0 ? 0 : -errno;
}

/* Makes the registration of `fd` current: re-arms it when we believe it
 * is in the set (which fails unless the same file is), else adds the
 * file under a new generation. */
static int slot_register(async__io *io, int fd, async__io_slot *s) {
    int rc;

    if (s->registered) {
        rc = ctl(io, EPOLL_CTL_MOD, fd, s);
        if (rc == 0) {
            s->valid = 1;
            return 0;
        }
        s->registered = 0;
        if (rc != -ENOENT)
            return rc; /* -EBADF: closed */
    }
    s->gen++;
    rc = ctl(io, EPOLL_CTL_ADD, fd, s);
    /* In the set after all (a number said to be fresh that was not):
     * take it over under the new generation. */
    if (rc == -EEXIST)
        rc = ctl(io, EPOLL_CTL_MOD, fd, s);
    if (rc != 0)
        return rc;
    s->registered = 1;
    s->valid = 1;
    s->hup = 0;
    s->maybe = ASYNC__IO_DIRS; /* a file we know nothing about yet */
    return 0;
}

int async__watch(async__watcher *w) {
    async__io *io = async__loop_io();
    async__watcher **link;
    async__io_slot *s;
    int dir = (w->events & ASYNC__IO_IN) ? ASYNC__IO_IN : ASYNC__IO_OUT;
    int rc;

    if (w->active)
        return 0;
    if (w->fd < 0)
        return -EBADF;
    if ((size_t)w->fd >= io->n_slots &&
        (rc = slots_grow(io, (size_t)w->fd + 1)) != 0)
        return rc;
    if ((rc = io_open(io)) != 0)
        return rc;
    s = &io->slots[w->fd];
    link = dir == ASYNC__IO_IN ? &s->in : &s->out;
    if (*link != NULL)
        return -EBUSY;
    /* A plain watcher re-arms even a current registration: the kernel
     * then reports readiness that is already there, as level triggering
     * would. */
    if ((!s->valid || !(w->events & ASYNC__IO_EDGE)) &&
        (rc = slot_register(io, w->fd, s)) != 0)
        return rc;
    if ((w->events & ASYNC__IO_EDGE) && !(s->hup && dir == ASYNC__IO_IN))
        s->maybe &= (uint8_t)~dir;
    *link = w;
    w->ready = 0;
    w->active = 1;
    if (!(w->events & ASYNC__IO_QUIET))
        io->n_watchers++;
    return 0;
}

void async__unwatch(async__watcher *w) {
    async__io *io = async__loop_io();
    async__io_slot *s;

    if (!w->active)
        return;
    w->active = 0;
    if (!(w->events & ASYNC__IO_QUIET))
        io->n_watchers--;
    s = &io->slots[w->fd];
    if (s->in == w)
        s->in = NULL;
    if (s->out == w)
        s->out = NULL;
    /* Nobody waits now, so the caller may close it: check before the
     * next wait. */
    if (!s->owned && s->in == NULL && s->out == NULL)
        s->valid = 0;
}

void async__io_drained(int fd, int dir) {
    async__io_slot *s = slot_of(async__loop_io(), fd);

    /* Only a current registration guarantees an event for what comes
     * next; the bits of another one are reset when it is checked. */
    if (s != NULL && s->valid && !(s->hup && dir == ASYNC__IO_IN))
        s->maybe &= (uint8_t)~dir;
}

void async__io_short_read(int fd) {
    async__io_slot *s = slot_of(async__loop_io(), fd);

    /* After a hang-up, the data read first leaves the end of the stream
     * to read, and no event will announce it again. */
    if (s != NULL && s->valid && s->stream && !s->hup)
        s->maybe &= (uint8_t)~ASYNC__IO_IN;
}

int async__io_idle(int fd, int dir) {
    const async__io_slot *s = slot_of(async__loop_io(), fd);

    return s != NULL && s->valid && !(s->maybe & dir);
}

/* Forgets the registration under `s`'s number: the file it was for is
 * closed, or about to be.  Its events, should a duplicate keep it alive,
 * carry the old generation from now on. */
static void slot_reset(async__io_slot *s) {
    s->gen++;
    s->registered = 0;
    s->valid = 0;
    s->owned = 0;
    s->stream = 0;
    s->hup = 0;
    s->maybe = ASYNC__IO_DIRS;
    s->active_ns = 0;
}

void async__io_fresh(int fd) {
    async__io_slot *s = slot_of(async__loop_io(), fd);

    /* Watchers on a number that was just handed out again: its previous
     * file was closed while waited on, which is not allowed; keep what
     * they have. */
    if (s != NULL && s->in == NULL && s->out == NULL)
        slot_reset(s);
}

void async__io_adopt(int fd, int stream) {
    async__io *io = async__loop_io();
    async__io_slot *s;

    if (fd < 0 ||
        ((size_t)fd >= io->n_slots && slots_grow(io, (size_t)fd + 1) != 0))
        return;
    s = &io->slots[fd];
    if (s->in != NULL || s->out != NULL)
        return;
    slot_reset(s);
    s->owned = 1;
    s->stream = stream != 0;
    s->active_ns = async__loop_now();
}

void async__io_touch(int fd) {
    async__io_slot *s = slot_of(async__loop_io(), fd);

    if (s != NULL && s->owned)
        s->active_ns = async__loop_now();
}

uint64_t async__io_active(int fd) {
    const async__io_slot *s = slot_of(async__loop_io(), fd);

    return s != NULL && s->owned ? s->active_ns : 0;
}

void async__io_forget(int fd) {
    async__io_slot *s = slot_of(async__loop_io(), fd);

    if (s == NULL)
        return;
    if (s->in == NULL && s->out == NULL) {
        slot_reset(s);
    } else {
        s->owned = 0;
        s->stream = 0;
    }
}

int async__io_closing(int fd) {
    async__io *io = async__loop_io();
    async__io_slot *s = slot_of(io, fd);
    int n = 0;

    if (s == NULL)
        return 0;
    for (int dir = 0; dir < 2; dir++) {
        async__watcher *w = dir == 0 ? s->in : s->out;

        if (w == NULL)
            continue;
        async__unwatch(w);
        w->ready = ASYNC__READY_CLOSED;
        if (w->on_ready != NULL)
            w->on_ready(w);
        else
            async__wake(w->task);
        n++;
        s = slot_of(io, fd); /* on_ready may have grown the table */
    }
    /* Out of the set now: a duplicate of the file may outlive the close,
     * and its events must not reach whoever gets the number next. */
    if (s->registered && io->open)
        (void)ctl(io, EPOLL_CTL_DEL, fd, s);
    slot_reset(s);
    return n;
}

/* The watcher was woken: set `ready`, wake its task or call on_ready.  A
 * one-shot watcher is unregistered first.  Any other plain watcher that stays
 * registered is re-armed, so it fires again next time if the descriptor is
 * still ready (level triggering).  Its slot, not `w`, says whether it stays:
 * on_ready may end its life. */
static void fire(async__io *io, int fd, async__watcher *w) {
    int plain = !(w->events & ASYNC__IO_EDGE);
    async__io_slot *s;

    w->ready = 1;
    if (w->events & ASYNC__IO_ONESHOT) {
        async__unwatch(w);
        async__wake(w->task);
        return;
    }
    if (w->on_ready != NULL)
        w->on_ready(w);
    else
        async__wake(w->task);
    if (!plain)
        return;
    s = slot_of(io, fd); /* on_ready may have grown the table */
    if (s != NULL && s->registered && (s->in == w || s->out == w))
        (void)ctl(io, EPOLL_CTL_MOD, fd, s);
}

/* Errors and hang-ups wake both directions: the system call that the
 * task retries then reports them. */
static void dispatch(async__io *io, const struct epoll_event *ev, int n) {
    for (int i = 0; i < n; i++) {
        uint32_t e = ev[i].events;
        int fd = (int)(uint32_t)ev[i].data.u64;
        uint32_t gen = (uint32_t)(ev[i].data.u64 >> 32);
        async__io_slot *s = slot_of(io, fd);
        uint8_t dirs = 0;

        /* Not the registration we know: a closed file that a duplicate
         * keeps in the set. */
        if (s == NULL || !s->registered || s->gen != gen)
            continue;
        if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            dirs |= ASYNC__IO_IN;
        /* A hang-up is reported once: the stream's end stays readable. */
        if (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            s->hup = 1;
        if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))
            dirs |= ASYNC__IO_OUT;
        if (s->in == NULL && s->out == NULL) {
            /* Nobody waits, and the number may name another file by
             * the next wait: leave the set (as libuv does).  An owned
             * connection stays while the event teaches something (its
             * handler, busy elsewhere, will read what came without
             * waiting); an event that repeats what is known would only
             * be the first of one per packet. */
            if (!s->owned || (s->maybe & dirs) == dirs) {
                (void)ctl(io, EPOLL_CTL_DEL, fd, s);
                s->registered = 0;
                s->valid = 0;
            }
            s->maybe |= dirs;
            continue;
        }
        s->maybe |= dirs;
        if ((dirs & ASYNC__IO_IN) && s->in != NULL)
            fire(io, fd, s->in);
        s = slot_of(io, fd); /* on_ready may have grown the table */
        if ((dirs & ASYNC__IO_OUT) && s != NULL && s->out != NULL)
            fire(io, fd, s->out);
    }
}

void async__io_wait(async__io *io, uint64_t timeout_ns) {
    struct epoll_event events[N_EVENTS];
    int n;

    /* Nothing is watched, so a zero timeout has nothing to collect:
     * skip the system call.  (Events for descriptors nobody waits on
     * stay queued in the kernel until the next wait.) */
    if (timeout_ns == 0 && io->n_watchers == 0)
        return;
    if (timeout_ns != ASYNC__IO_FOREVER && timeout_ns > MAX_WAIT_NS)
        timeout_ns = MAX_WAIT_NS;
    if (io_open(io) != 0) {
        sleep_ns(timeout_ns);
        return;
    }
    /* Errors other than a missing epoll_pwait2 are EINTR: the loop
     * recomputes its timeout anyway. */
    if (!io->no_pwait2) {
        struct timespec ts, *tsp = NULL;

        if (timeout_ns != ASYNC__IO_FOREVER) {
            ts.tv_sec = (time_t)(timeout_ns / NS_PER_S);
            ts.tv_nsec = (long)(timeout_ns % NS_PER_S);
            tsp = &ts;
        }
        /* Seccomp filters that predate the call answer EPERM. */
        n = epoll_pwait2(io->epfd, events, N_EVENTS, tsp, NULL);
        if (n >= 0 || (errno != ENOSYS && errno != EPERM)) {
            if (n > 0)
                dispatch(io, events, n);
            return;
        }
        io->no_pwait2 = 1;
    }
    n = epoll_wait(io->epfd, events, N_EVENTS, timeout_ms(timeout_ns));
    if (n > 0)
        dispatch(io, events, n);
}

void async__io_close(async__io *io) {
    if (io->open) {
        close(io->epfd);
        io->open = 0;
    }
    free(io->slots);
    io->slots = NULL;
    io->n_slots = 0;
    io->n_watchers = 0;
}
