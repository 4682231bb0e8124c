/*
 * poll_epoll.c -- the Linux backend of io.h: the loop sleeps in epoll.
 *
 * Waiting in epoll now, although only timers exist, means file-descriptor
 * readiness can be added later without changing how the loop sleeps.
 * epoll_pwait2() takes a nanosecond timeout; kernels before 5.11 lack
 * it, and then epoll_wait() gets the timeout rounded up to milliseconds.
 */
#include "io.h"

#include <errno.h>
#include <limits.h>
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

void async__io_wait(async__io *io, uint64_t timeout_ns) {
    struct epoll_event events[N_EVENTS];

    /* No descriptors are watched yet, so a zero timeout has nothing to
     * collect: skip the system call. */
    if (timeout_ns == 0)
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
        if (epoll_pwait2(io->epfd, events, N_EVENTS, tsp, NULL) >= 0 ||
            (errno != ENOSYS && errno != EPERM))
            return;
        io->no_pwait2 = 1;
    }
    (void)epoll_wait(io->epfd, events, N_EVENTS, timeout_ms(timeout_ns));
}

void async__io_close(async__io *io) {
    if (io->open) {
        close(io->epfd);
        io->open = 0;
    }
}
