/*
 * io_backend.c -- which backend a loop sleeps in: io_uring where the
 * kernel has what poll_uring.c needs, else epoll;
 * ASYNCRT_BACKEND=epoll|io_uring|auto chooses instead.
 *
 * A loop left to choose takes io_uring, and creating its ring, at the
 * first wait or watch that needs it, is the probe: a kernel that refuses
 * leaves that loop on epoll (io_poll.c).  No ring is created for a run
 * that does no I/O, and none is created only to be closed: the kernel
 * interrupts the thread's next epoll_wait when it tears a ring down.  A
 * loop told to use io_uring creates its ring when it starts, so that it
 * can refuse to run when that fails.  Under valgrind, a loop left to
 * choose takes epoll (below).
 */
#include "internal.h"
#include "io.h"
#include "poll_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* async_backend_name's probe outside a run: 0 not known yet, 1 io_uring
 * works, else -errno.  Threads that race to fill it find the same
 * answer. */
static int probed;
static const char *probed_why;

/* 0 when io_uring can run a loop here, else -errno and why. */
static int uring_usable(const char **why) {
    const char *hook = getenv("ASYNCRT_TEST_NO_URING");
    int rc;

    /* The test hook (poll_uring.c) is read on every call, not cached. */
    if (hook != NULL && hook[0] != '\0')
        return async__uring_probe(why);
    rc = __atomic_load_n(&probed, __ATOMIC_ACQUIRE);
    if (rc == 0) {
        const char *w = NULL;

        rc = async__uring_probe(&w);
        if (rc == 0)
            rc = 1;
        __atomic_store_n(&probed_why, w, __ATOMIC_RELAXED);
        __atomic_store_n(&probed, rc, __ATOMIC_RELEASE);
    }
    *why = __atomic_load_n(&probed_why, __ATOMIC_RELAXED);
    return rc == 1 ? 0 : rc;
}

/* Valgrind (3.19) runs no other thread while one sleeps in
 * io_uring_enter, so a loop waiting there for a worker thread's
 * eventfd would wait forever: a loop left to choose takes epoll under
 * valgrind, which it recognizes by its preload library. */
static int under_valgrind(void) {
    const char *p = getenv("LD_PRELOAD");

    return p != NULL && strstr(p, "/vgpreload_") != NULL;
}

enum { CHOICE_AUTO, CHOICE_EPOLL, CHOICE_URING, CHOICE_BAD };

static int choice(const char *env) {
    if (env == NULL || env[0] == '\0' || strcmp(env, "auto") == 0)
        return CHOICE_AUTO;
    if (strcmp(env, "epoll") == 0)
        return CHOICE_EPOLL;
    if (strcmp(env, "io_uring") == 0)
        return CHOICE_URING;
    return CHOICE_BAD;
}

int async__io_start(async__io *io) {
    const char *env = getenv("ASYNCRT_BACKEND");
    const char *why = NULL;
    int rc;

    /* Opened before the run (a watch outside it, as
     * async_shutdown_on_signals makes), with the backend that
     * async__io_choose took then: its registrations belong to it.  A
     * forced io_uring that it could not have is refused as below. */
    if (io->open) {
        io->chosen = 1;
        if (choice(env) != CHOICE_URING || io->backend == ASYNC__BACKEND_URING)
            return 0;
        fprintf(stderr,
                "asyncrt: ASYNCRT_BACKEND=io_uring, but io_uring is "
                "unavailable: the loop was set up on epoll before the run\n");
        return -ENOSYS;
    }
    io->chosen = 1;
    switch (choice(env)) {
    case CHOICE_AUTO:
        io->forced = 0;
        io->backend =
            under_valgrind() ? ASYNC__BACKEND_EPOLL : ASYNC__BACKEND_URING;
        return 0;
    case CHOICE_EPOLL:
        io->forced = 1;
        io->backend = ASYNC__BACKEND_EPOLL;
        return 0;
    case CHOICE_URING:
        io->forced = 1;
        io->backend = ASYNC__BACKEND_URING;
        if ((rc = async__uring_open(io, &why)) != 0) {
            fprintf(stderr,
                    "asyncrt: ASYNCRT_BACKEND=io_uring, but io_uring is "
                    "unavailable: %s (%s)\n",
                    why, strerror(-rc));
            return rc;
        }
        return 0;
    default:
        fprintf(stderr,
                "asyncrt: ASYNCRT_BACKEND=%s: unknown backend (epoll, "
                "io_uring or auto)\n",
                env);
        return -EINVAL;
    }
}

void async__io_choose(async__io *io) {
    int c = choice(getenv("ASYNCRT_BACKEND"));

    /* Never forced here: a ring that cannot be had leaves the loop on
     * epoll, and async__io_start refuses it then if io_uring is forced. */
    io->chosen = 1;
    io->forced = 0;
    io->backend = c == CHOICE_EPOLL || c == CHOICE_BAD ||
                          (c == CHOICE_AUTO && under_valgrind())
                      ? ASYNC__BACKEND_EPOLL
                      : ASYNC__BACKEND_URING;
}

const char *async_backend_name(void) {
    async__io *io = async__loop_io();
    const char *why;

    if (async__loop_root() != NULL) {
        /* The kernel object comes with the first wait or watch; create
         * it now, so that a loop that falls back to epoll says so. */
        (void)async__io_open(io);
        return io->backend == ASYNC__BACKEND_URING ? "io_uring" : "epoll";
    }
    switch (choice(getenv("ASYNCRT_BACKEND"))) {
    case CHOICE_AUTO:
        return !under_valgrind() && uring_usable(&why) == 0 ? "io_uring"
                                                            : "epoll";
    case CHOICE_EPOLL:
        return "epoll";
    case CHOICE_URING:
        return uring_usable(&why) == 0 ? "io_uring" : NULL;
    default:
        return NULL;
    }
}
