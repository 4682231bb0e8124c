/*
 * poll_epoll.c -- the Linux backend of io.h: the loop sleeps in epoll.
 *
 * epoll_pwait2() takes a nanosecond timeout; kernels before 5.11 lack
 * it, and then epoll_wait() gets the timeout rounded up to milliseconds.
 *
 * Level-triggered: a descriptor is in the epoll set only while a
 * watcher waits on it (EPOLL_CTL_ADD on the first watcher, MOD when the
 * directions change, DEL on the last unwatch), with data.fd naming the
 * slot of the fd table that holds its watchers.  Each event is
 * dispatched within the async__io_wait that received it, before any task
 * runs, so no event can outlive the watcher it was for.
 */
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

#define N_EVENTS 16

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

/* The epoll events for the watchers of a slot. */
static uint32_t slot_mask(const async__io_slot *s) {
    return (s->in != NULL ? EPOLLIN | EPOLLRDHUP : 0) |
           (s->out != NULL ? EPOLLOUT : 0);
}

/* Tells epoll about a slot whose watchers changed. */
static int slot_update(async__io *io, int fd, async__io_slot *s) {
    struct epoll_event ev;
    uint32_t mask = slot_mask(s);
    int op;

    if (mask == s->mask)
        return 0;
    memset(&ev, 0, sizeof(ev));
    ev.events = mask;
    ev.data.fd = fd;
    op = mask == 0 ? EPOLL_CTL_DEL
                   : (s->mask == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD);
    if (epoll_ctl(io->epfd, op, fd, &ev) != 0) {
        /* Closed and reopened behind our back: epoll forgot it. */
        if (op == EPOLL_CTL_MOD && errno == ENOENT)
            op = EPOLL_CTL_ADD;
        else if (op == EPOLL_CTL_DEL)
            op = -1; /* it is gone, which is what we wanted */
        else
            return -errno;
        if (op == EPOLL_CTL_ADD && epoll_ctl(io->epfd, op, fd, &ev) != 0)
            return -errno;
    }
    s->mask = mask;
    return 0;
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

int async__watch(async__watcher *w) {
    async__io *io = async__loop_io();
    async__watcher **link;
    async__io_slot *s;
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
    link = (w->events & ASYNC__IO_IN) ? &s->in : &s->out;
    if (*link != NULL)
        return -EBUSY;
    *link = w;
    if ((rc = slot_update(io, w->fd, s)) != 0) {
        *link = NULL;
        return rc;
    }
    w->ready = 0;
    w->active = 1;
    io->n_watchers++;
    return 0;
}

void async__unwatch(async__watcher *w) {
    async__io *io = async__loop_io();
    async__io_slot *s;

    if (!w->active)
        return;
    w->active = 0;
    io->n_watchers--;
    s = &io->slots[w->fd];
    if (s->in == w)
        s->in = NULL;
    if (s->out == w)
        s->out = NULL;
    (void)slot_update(io, w->fd, s);
}

static void fire(async__watcher *w) {
    if (w == NULL)
        return;
    w->ready = 1;
    if (w->on_ready != NULL)
        w->on_ready(w);
    else
        async__wake(w->task);
}

/* Errors and hang-ups wake both directions: the system call that the
 * task retries then reports them. */
static void dispatch(async__io *io, const struct epoll_event *ev, int n) {
    for (int i = 0; i < n; i++) {
        uint32_t e = ev[i].events;
        int fd = ev[i].data.fd;
        async__io_slot *s;

        if (fd < 0 || (size_t)fd >= io->n_slots)
            continue;
        s = &io->slots[fd];
        if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            fire(s->in);
        if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))
            fire(s->out);
    }
}

void async__io_wait(async__io *io, uint64_t timeout_ns) {
    struct epoll_event events[N_EVENTS];
    int n;

    /* Nothing is watched, so a zero timeout has nothing to collect:
     * skip the system call. */
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
    async__pool_abandon();
    if (io->open) {
        close(io->epfd);
        io->open = 0;
    }
    free(io->slots);
    io->slots = NULL;
    io->n_slots = 0;
    io->n_watchers = 0;
}
