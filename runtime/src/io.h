/*
 * io.h -- the operating-system wait behind the loop: sleeping until the
 * next timer is due (and, later, until a file descriptor is ready).
 *
 * The loop only calls these functions, so another backend (kqueue, poll)
 * can replace poll_epoll.c without touching loop.c.
 */
#ifndef ASYNC_IO_H
#define ASYNC_IO_H

#include <stdint.h>

/* async__io_wait() timeout meaning "until something happens". */
#define ASYNC__IO_FOREVER UINT64_MAX

/* The backend's state, one per loop.  A zeroed struct is valid: the
 * epoll instance is created on the first wait that needs it. */
typedef struct async__io {
    int epfd;                /* the epoll instance, valid when `open` */
    unsigned char open;      /* epfd has been created */
    unsigned char no_pwait2; /* the kernel lacks epoll_pwait2 */
} async__io;

/* Blocks for up to `timeout_ns` nanoseconds (ASYNC__IO_FOREVER: no
 * limit).  Returns early when interrupted by a signal, and after about 24
 * days for longer timeouts; the loop then recomputes its timeout.  Never
 * returns early because of rounding, so the loop does not spin waiting
 * for a timer. */
void async__io_wait(async__io *io, uint64_t timeout_ns);

/* Releases the epoll instance; the struct stays valid for reuse. */
void async__io_close(async__io *io);

#endif /* ASYNC_IO_H */
