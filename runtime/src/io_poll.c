/*
 * io_poll.c -- the watchers of io.h and what the loop knows of each
 * descriptor, whichever backend (poll_backend.h) talks to the kernel.
 *
 * Registration.  A descriptor is registered with the kernel, for
 * reading and writing, edge-triggered, at the first wait on it, and
 * stays registered between waits, so a wait costs no system call once
 * the registration is known to be current (adding and removing it
 * around every wait was a fifth of a busy server's time).  Each event
 * carries the descriptor and the generation of its registration: a file
 * that was closed while a duplicate keeps it open may still report
 * under its old number, and the generation tells its events from those
 * of the file that has the number now.
 *
 * Closed and reused numbers.  The caller may close a descriptor nobody
 * waits on, and the number may then name another file.  So the
 * registration of a descriptor that nobody waits on is not trusted
 * (`valid` is cleared): the next wait makes it current again (epoll
 * checks it with EPOLL_CTL_MOD; io_uring, whose poll requests hold
 * their file open, has removed the old request and adds a new one).
 * An event for a descriptor that nobody waits on removes its
 * registration: nobody waits, and the number may name another file by
 * now.  The connections async_serve owns are the exception
 * (async__io_adopt): the server closes them itself and tells us first,
 * so their registration is trusted from the first wait to
 * async__io_forget, with no check; one is removed only when nobody
 * waits on it and an event repeats what its slot knows already (a
 * handler busy elsewhere while packets come).
 *
 * Readiness cache.  Events are edges, so the slot remembers them: a
 * direction is "maybe ready" from an event until an edge watcher's
 * system call reports it drained (EAGAIN, or a short read of a byte
 * stream).  While the registration is current, a drained direction
 * stays so until the kernel reports the next event, so async__io_idle
 * can tell an awaitable to wait without a system call that would only
 * say EAGAIN.  Plain watchers (signal.c, thread_pool.c) expect level
 * triggering: after one fires and stays registered, the backend re-arms
 * the registration, which reports the descriptor again if it is still
 * ready.
 *
 * Each event is dispatched within the async__io_wait that received it,
 * before any task runs, and only if its generation is the slot's
 * current one, so no event can reach a watcher that was unwatched.
 */
#include "internal.h"
#include "io.h"
#include "poll_backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void fire(async__io *io, int fd, async__watcher *w);

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

/* Creates the kernel object.  A ring that the loop chose by itself but
 * cannot have now (memory, descriptors) leaves the loop on epoll: no
 * registration exists yet. */
int async__io_open(async__io *io) {
    int rc;

    if (io->open)
        return 0;
    rc = async__poll_open(io);
    if (rc != 0 && io->backend == ASYNC__BACKEND_URING && !io->forced) {
        io->backend = ASYNC__BACKEND_EPOLL;
        rc = async__epoll_open(io);
    }
    return rc;
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
    /* A watch before any run (async_shutdown_on_signals) creates the
     * loop's kernel object: on the backend the run would choose. */
    if (!io->chosen && !io->open)
        async__io_choose(io);
    if ((rc = async__io_open(io)) != 0)
        return rc;
    s = &io->slots[w->fd];
    link = dir == ASYNC__IO_IN ? &s->in : &s->out;
    if (*link != NULL)
        return -EBUSY;
    /* A plain watcher re-arms even a current registration: the kernel
     * then reports readiness that is already there, as level triggering
     * would.  Its owner needs to know at once whether the descriptor can
     * be waited on (-EPERM: it never blocks), and io_uring learns that
     * only by submitting the request. */
    if (!(w->events & ASYNC__IO_EDGE))
        rc = io->backend == ASYNC__BACKEND_URING
                 ? async__uring_arm_now(io, w->fd, s)
                 : async__poll_arm(io, w->fd, s);
    else
        rc = s->valid ? 0 : async__poll_arm(io, w->fd, s);
    if (rc != 0)
        return rc;
    if ((w->events & ASYNC__IO_EDGE) && !(s->hup && dir == ASYNC__IO_IN))
        s->maybe &= (uint8_t)~dir;
    *link = w;
    w->ready = 0;
    w->active = 1;
    if (!(w->events & ASYNC__IO_QUIET))
        io->n_watchers++;
    /* Bytes that io_uring has received already are no news to the
     * kernel's poll: a readiness wait on them is over at once. */
    if (dir == ASYNC__IO_IN && !(w->events & ASYNC__IO_EDGE) && s->rx != NULL &&
        async__uring_rx_readable(s->rx))
        fire(io, w->fd, w);
    return 0;
}

async__io_slot *async__io_slot_of(async__io *io, int fd) {
    if (fd < 0 ||
        ((size_t)fd >= io->n_slots && slots_grow(io, (size_t)fd + 1) != 0))
        return NULL;
    return &io->slots[fd];
}

int async__io_watch_local(async__watcher *w) {
    async__io *io = async__loop_io();
    async__io_slot *s = async__io_slot_of(io, w->fd);

    if (w->active)
        return 0;
    if (s == NULL)
        return w->fd < 0 ? -EBADF : -ENOMEM;
    if (s->in != NULL)
        return -EBUSY;
    s->in = w;
    w->ready = 0;
    w->active = 1;
    io->n_watchers++;
    return 0;
}

void async__io_fire_in(async__io *io, int fd) {
    async__io_slot *s = slot_of(io, fd);

    if (s != NULL && s->in != NULL)
        fire(io, fd, s->in);
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
    if (s->owned || s->in != NULL || s->out != NULL)
        return;
    /* Nobody waits now, so the caller may close it: check before the
     * next wait.  A poll request of io_uring would keep the file open
     * after that close: its removal is queued (no system call). */
    s->valid = 0;
    if (io->backend == ASYNC__BACKEND_URING && s->registered)
        async__uring_leave(io, w->fd, s);
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

    if (s != NULL && s->rx != NULL && dir == ASYNC__IO_IN)
        return async__uring_rx_idle(s->rx);
    return s != NULL && s->valid && !(s->maybe & dir);
}

/* Forgets the registration under `s`'s number: the file it was for is
 * closed, or about to be.  Its events, should a duplicate (or, with
 * io_uring, a request not yet removed) keep it alive, carry the old
 * generation from now on.  epoll drops a closed file by itself; an
 * io_uring request is removed at the next wait. */
static void slot_reset(async__io *io, int fd, async__io_slot *s) {
    if (s->registered && io->backend == ASYNC__BACKEND_URING)
        async__uring_leave(io, fd, s);
    if (s->rx != NULL)
        async__uring_rx_end(io, fd, s);
    if (s->acc != NULL)
        async__uring_acc_end(io, fd, s);
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
    async__io *io = async__loop_io();
    async__io_slot *s = slot_of(io, fd);

    /* Watchers on a number that was just handed out again: its previous
     * file was closed while waited on, which is not allowed; keep what
     * they have. */
    if (s != NULL && s->in == NULL && s->out == NULL)
        slot_reset(io, fd, s);
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
    slot_reset(io, fd, s);
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
    async__io *io = async__loop_io();
    async__io_slot *s = slot_of(io, fd);

    if (s == NULL)
        return;
    if (s->in == NULL && s->out == NULL) {
        slot_reset(io, fd, s);
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
        async__poll_leave(io, fd, s);
    slot_reset(io, fd, s);
    return n;
}

/* The watcher was woken: set `ready`, wake its task or call on_ready.  A
 * one-shot watcher is unregistered first.  Any other plain watcher that
 * stays registered is re-armed, so it fires again next time if the
 * descriptor is still ready (level triggering).  Its slot, not `w`, says
 * whether it stays: on_ready may end its life. */
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
        async__poll_rearm(io, fd, s);
}

/* Errors and hang-ups wake both directions (the backend says so in
 * `dirs`): the system call that the task retries then reports them. */
void async__io_event(async__io *io, int fd, uint32_t gen, unsigned dirs,
                     int hup, int ended) {
    async__io_slot *s = slot_of(io, fd);

    /* Not the registration we know: a closed file that a duplicate
     * keeps, or a request already removed. */
    if (s == NULL || !s->registered || !async__gen_is(s->gen, gen))
        return;
    /* A hang-up is reported once: the stream's end stays readable. */
    if (hup)
        s->hup = 1;
    if (ended) {
        s->registered = 0;
        s->valid = 0;
    }
    if (s->in == NULL && s->out == NULL) {
        /* Nobody waits, and the number may name another file by the
         * next wait: leave the set (as libuv does).  An owned connection
         * stays while the event teaches something (its handler, busy
         * elsewhere, will read what came without waiting); an event that
         * repeats what is known would only be the first of one per
         * packet. */
        if (!ended && (!s->owned || (s->maybe & dirs) == dirs)) {
            async__poll_leave(io, fd, s);
            s->valid = 0;
        }
        s->maybe |= (uint8_t)dirs;
        return;
    }
    s->maybe |= (uint8_t)dirs;
    if ((dirs & ASYNC__IO_IN) && s->in != NULL)
        fire(io, fd, s->in);
    s = slot_of(io, fd); /* on_ready may have grown the table */
    if ((dirs & ASYNC__IO_OUT) && s != NULL && s->out != NULL)
        fire(io, fd, s->out);
    /* The kernel ended the registration (io_uring ends a poll request
     * on errors, or when its completion queue overflowed): whoever still
     * waits needs a new one.  The descriptor is the same file, since
     * nobody closes what is waited on. */
    s = slot_of(io, fd);
    if (ended && s != NULL && !s->registered &&
        (s->in != NULL || s->out != NULL))
        (void)async__poll_arm(io, fd, s);
}

void async__io_event_closed(async__io *io, int fd, uint32_t gen) {
    async__io_slot *s = slot_of(io, fd);

    if (s == NULL || !s->registered || !async__gen_is(s->gen, gen))
        return;
    s->registered = 0;
    (void)async__io_closing(fd);
}

void async__io_wait(async__io *io, uint64_t timeout_ns) {
    /* Nothing is watched or queued, so a zero timeout has nothing to
     * collect: skip the system call.  (Events for descriptors nobody
     * waits on stay in the kernel until the next wait.) */
    if (timeout_ns == 0 && io->n_watchers == 0 && io->queued == 0)
        return;
    if (timeout_ns != ASYNC__IO_FOREVER && timeout_ns > ASYNC__POLL_MAX_WAIT_NS)
        timeout_ns = ASYNC__POLL_MAX_WAIT_NS;
    /* A loop on io_uring that never watched anything has no ring, and
     * sleeping for its timers needs none: a ring created and torn down
     * for that would cost more than the run (and the teardown
     * interrupts the thread's next epoll_wait). */
    if ((io->backend == ASYNC__BACKEND_URING && !io->open) ||
        async__io_open(io) != 0) {
        async__poll_sleep(timeout_ns);
        return;
    }
    if (io->backend == ASYNC__BACKEND_URING)
        async__uring_wait(io, timeout_ns);
    else
        async__epoll_wait(io, timeout_ns);
}

void async__io_close(async__io *io) {
    /* The received data of the loop's connections goes with the ring. */
    for (size_t fd = 0; fd < io->n_slots; fd++) {
        if (io->slots[fd].rx != NULL)
            async__uring_rx_end(io, (int)fd, &io->slots[fd]);
        if (io->slots[fd].acc != NULL)
            async__uring_acc_end(io, (int)fd, &io->slots[fd]);
    }
    if (io->open) {
        if (io->backend == ASYNC__BACKEND_URING)
            async__uring_close(io);
        else
            async__epoll_close(io);
        io->open = 0;
    }
    io->queued = 0;
    io->chosen = 0;
    free(io->slots);
    io->slots = NULL;
    io->n_slots = 0;
    io->n_watchers = 0;
}
