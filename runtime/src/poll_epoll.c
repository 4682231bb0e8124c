/*
 * poll_epoll.c -- the epoll backend of poll_backend.h: the loop sleeps in
 * epoll.
 *
 * epoll_pwait2() takes a nanosecond timeout; kernels before 5.11 lack
 * it, and then epoll_wait() gets the timeout rounded up to milliseconds.
 *
 * A registration is the descriptor's entry in the epoll set, for
 * reading and writing, edge-triggered; its events carry the descriptor
 * and the slot's generation.  A closed file leaves the set by itself
 * unless a duplicate keeps it open, so arming a registration that is
 * not trusted re-arms it with EPOLL_CTL_MOD, which fails with ENOENT
 * unless this very file is registered under this number, and then adds
 * the file afresh (the MOD also reports readiness that came meanwhile).
 * Re-arming a plain watcher's registration is the same MOD: it queues a
 * new event if the descriptor is still ready.
 */
#include "internal.h"
#include "io.h"
#include "poll_backend.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_MS 1000000u
#define NS_PER_S 1000000000u

/* A busy server has many connections ready at once: collecting them in
 * one call saves system calls (3 KiB of stack). */
#define N_EVENTS 256

/* Every registration asks for both directions, so that it need not
 * change when watchers come and go. */
#define EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

void async__poll_sleep(uint64_t timeout_ns) {
    struct timespec ts;

    if (timeout_ns == ASYNC__IO_FOREVER)
        timeout_ns = ASYNC__POLL_MAX_WAIT_NS;
    ts.tv_sec = (time_t)(timeout_ns / NS_PER_S);
    ts.tv_nsec = (long)(timeout_ns % NS_PER_S);
    (void)clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

int async__epoll_open(async__io *io) {
    io->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (io->epfd < 0)
        return -errno;
    io->open = 1;
    return 0;
}

void async__epoll_close(async__io *io) { close(io->epfd); }

/* Rounds up, so a wait never ends before a timer is due and the loop
 * never polls an almost-due timer in a busy loop. */
static int timeout_ms(uint64_t timeout_ns) {
    if (timeout_ns == ASYNC__IO_FOREVER)
        return -1;
    return (int)(timeout_ns / NS_PER_MS + (timeout_ns % NS_PER_MS != 0));
}

static int ctl(async__io *io, int op, int fd, const async__io_slot *s) {
    struct epoll_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.events = EVENTS;
    ev.data.u64 = (uint64_t)s->gen << 32 | (uint32_t)fd;
    return epoll_ctl(io->epfd, op, fd, &ev) == 0 ? 0 : -errno;
}

/* Re-arms the registration when we believe it is in the set (which
 * fails unless the same file is), else adds the file under a new
 * generation. */
int async__epoll_arm(async__io *io, int fd, async__io_slot *s) {
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
    async__poll_armed(s);
    return 0;
}

void async__epoll_leave(async__io *io, int fd, async__io_slot *s) {
    (void)ctl(io, EPOLL_CTL_DEL, fd, s);
    s->registered = 0;
}

void async__epoll_rearm(async__io *io, int fd, async__io_slot *s) {
    (void)ctl(io, EPOLL_CTL_MOD, fd, s);
}

static void dispatch(async__io *io, const struct epoll_event *ev, int n) {
    for (int i = 0; i < n; i++) {
        uint32_t e = ev[i].events;
        unsigned dirs = 0;

        if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
            dirs |= ASYNC__IO_IN;
        if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))
            dirs |= ASYNC__IO_OUT;
        async__io_event(io, (int)(uint32_t)ev[i].data.u64,
                        (uint32_t)(ev[i].data.u64 >> 32), dirs,
                        (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0, 0);
    }
}

void async__epoll_wait(async__io *io, uint64_t timeout_ns) {
    struct epoll_event events[N_EVENTS];
    int n;

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
