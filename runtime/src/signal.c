/*
 * signal.c -- async_signal_wait() and async_shutdown_on_signals(): one
 * signalfd per loop thread, watched by the loop's epoll.
 *
 * The signalfd's set is the union of the signals that tasks wait for,
 * plus SIGINT and SIGTERM while the shutdown is armed; it is recomputed
 * (sync_set) whenever a waiter comes or goes.  Signals in the set are
 * blocked in the thread; those that asyncrt blocked itself are unblocked
 * when they leave the set, after the pending deliveries have been read
 * from the signalfd (so none reaches its default action by surprise).
 * When the set becomes empty the watcher is unwatched and the signalfd
 * closed.
 *
 * The watcher has an on_ready callback: the loop calls it from its epoll
 * wait, and it reads every pending delivery and hands each to all the
 * waiters of that signal at once (they are unlinked, marked fired and
 * woken).  A SIGINT or SIGTERM without waiters, once the shutdown is
 * armed, cancels every task (async__loop_cancel_all); both signals then
 * stay blocked and consumed until async_run returns, so a duplicate
 * (a terminal and `timeout` signal the whole process group) cannot kill
 * the process while the cancelled tasks clean up.  On a loop of
 * async_run_loops the shutdown cancels every other loop of the call
 * too (async_loop_cancel).  Of the two, one that
 * is ignored (SIG_IGN) when the shutdown is armed is left out: blocking
 * it would make the kernel queue it despite SIG_IGN, and a shell ignores
 * SIGINT in background jobs precisely so that Ctrl-C does not reach them
 * (asyncio leaves an ignored SIGINT alone too).
 *
 * Frame states: 0 = not started; 1 = waiting (linked); -1 = done.
 */
#include "internal.h"
#include "io.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

typedef struct signal_state {
    int fd;                        /* the signalfd, when `open` */
    int open;                      /* fd is valid */
    int shutdown;                  /* 0, ARMED or TRIGGERED */
    sigset_t stops;                /* SIGINT, SIGTERM unless ignored */
    sigset_t set;                  /* the signalfd's set (valid if open) */
    sigset_t ours;                 /* signals asyncrt blocked itself */
    async__watcher w;              /* fd's watcher, on_ready = on_ready */
    async__signal_waiter *waiters; /* every waiting frame, oldest first */
    async__signal_waiter *last;    /* the newest of them */
} signal_state;

/* S.shutdown: async_shutdown_on_signals was called; a SIGINT or SIGTERM
 * has come (the signals stay in the set until async_run returns, and
 * each further delivery cancels again). */
enum { ARMED = 1, TRIGGERED = 2 };

/* Zeroed: no signalfd, nothing blocked, nothing armed. */
static _Thread_local signal_state S;

static int valid_signo(int signo) {
    sigset_t probe;

    if (signo == SIGKILL || signo == SIGSTOP)
        return 0;
    sigemptyset(&probe);
    return signo > 0 && sigaddset(&probe, signo) == 0;
}

static void waiter_unlink(async__signal_waiter *w) {
    if (w->prev != NULL)
        w->prev->next = w->next;
    else if (S.waiters == w)
        S.waiters = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    else if (S.last == w)
        S.last = w->prev;
    w->prev = w->next = NULL;
}

static void waiter_link(async__signal_waiter *w) {
    w->next = NULL;
    w->prev = S.last;
    if (S.last != NULL)
        S.last->next = w;
    else
        S.waiters = w;
    S.last = w;
}

/* The shutdown of a loop of async_run_loops stops the whole call: the
 * other loops' threads block SIGINT and SIGTERM, so the signal reaches
 * this loop's signalfd only, and each other loop is cancelled through
 * its inbox.  A loop whose run has ended refuses (-ESHUTDOWN): nothing
 * is left to cancel there. */
static void cancel_other_loops(void) {
    int n = async_loop_count(), self = async_loop_index();

    for (int i = 0; i < n; i++)
        if (i != self)
            (void)async_loop_cancel(async_loop_at(i));
}

/* One delivery of `signo`: every waiter of it (woken in the order they
 * started waiting), else the shutdown. */
static void deliver(int signo, int dispatch) {
    async__signal_waiter *w, *next;
    int taken = 0;

    if (!dispatch)
        return;
    for (w = S.waiters; w != NULL; w = next) {
        next = w->next;
        if (w->signo != signo)
            continue;
        waiter_unlink(w);
        w->fired = 1;
        async__wake(w->task);
        taken = 1;
    }
    if (!taken && S.shutdown != 0 && sigismember(&S.stops, signo) == 1) {
        S.shutdown = TRIGGERED;
        async__loop_cancel_all();
        cancel_other_loops();
    }
}

/* Reads every pending delivery of the set; `dispatch` 0 drops them. */
static void drain(int dispatch) {
    struct signalfd_siginfo si[8];

    if (!S.open)
        return;
    for (;;) {
        ssize_t n = read(S.fd, si, sizeof si);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < (ssize_t)sizeof si[0])
            return;
        for (size_t i = 0; i < (size_t)n / sizeof si[0]; i++)
            deliver((int)si[i].ssi_signo, dispatch);
    }
}

static void on_ready(async__watcher *w);

/* Applies set `want`: block what is new, point the signalfd at it,
 * unblock what asyncrt blocked and is no longer wanted.  Returns 0 or
 * -errno (then nothing changed, except that pending deliveries were
 * read). */
static int apply(const sigset_t *want) {
    sigset_t cur, add, drop;
    int fd, rc;

    sigemptyset(&add);
    sigemptyset(&drop);
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP)
            continue;
        int wanted = sigismember(want, s) == 1;
        if (wanted && sigismember(&cur, s) == 0)
            sigaddset(&add, s);
        if (!wanted && sigismember(&S.ours, s) == 1)
            sigaddset(&drop, s);
    }
    if (sigisemptyset(want)) {
        if (S.open) {
            async__unwatch(&S.w);
            close(S.fd);
            S.open = 0;
        }
    } else {
        pthread_sigmask(SIG_BLOCK, &add, NULL);
        fd = signalfd(S.open ? S.fd : -1, want, SFD_NONBLOCK | SFD_CLOEXEC);
        if (fd < 0) {
            rc = -errno;
            pthread_sigmask(SIG_UNBLOCK, &add, NULL);
            return rc;
        }
        if (!S.open) {
            S.fd = fd;
            S.open = 1;
            S.w.fd = fd;
            S.w.events = ASYNC__IO_IN;
            S.w.ready = 0;
            S.w.active = 0;
            S.w.task = NULL;
            S.w.on_ready = on_ready;
            if ((rc = async__watch(&S.w)) != 0) {
                close(fd);
                S.open = 0;
                pthread_sigmask(SIG_UNBLOCK, &add, NULL);
                return rc;
            }
        }
        S.set = *want;
    }
    sigorset(&S.ours, &S.ours, &add);
    if (!sigisemptyset(&drop)) {
        pthread_sigmask(SIG_UNBLOCK, &drop, NULL);
        for (int s = 1; s < NSIG; s++)
            if (sigismember(&drop, s) == 1)
                sigdelset(&S.ours, s);
    }
    return 0;
}

/* The set the waiters and the shutdown need. */
static void wanted_set(sigset_t *want) {
    sigemptyset(want);
    for (async__signal_waiter *w = S.waiters; w != NULL; w = w->next)
        sigaddset(want, w->signo);
    if (S.shutdown)
        sigorset(want, want, &S.stops);
}

/* Brings the signalfd and the mask in line with the waiters.  Before
 * signals leave the set, their pending deliveries are read (and
 * dispatched, which may remove more waiters). */
static int sync_set(int dispatch) {
    sigset_t want;

    wanted_set(&want);
    if (S.open) {
        int shrinks = 0;

        for (int s = 1; s < NSIG && !shrinks; s++)
            shrinks = sigismember(&S.set, s) == 1 && !sigismember(&want, s);
        if (shrinks) {
            drain(dispatch);
            wanted_set(&want);
        }
    }
    return apply(&want);
}

/* The loop's teardown (async_run returning): forgets the waiters (their
 * frames are about to be freed), disarms the shutdown, closes the
 * signalfd and restores the mask. */
static void loop_reset(void) {
    S.waiters = S.last = NULL; /* in frames that are being freed */
    S.shutdown = 0;
    drain(0);
    (void)sync_set(0);
}

static _Thread_local async__loop_hook reset_hook = {loop_reset, NULL, 0};

static void on_ready(async__watcher *w) {
    (void)w;
    drain(1);
    (void)sync_set(1);
}

/* SIGINT and SIGTERM, but not one whose disposition is SIG_IGN. */
static void stop_signals(sigset_t *set) {
    static const int stops[] = {SIGINT, SIGTERM};

    sigemptyset(set);
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        struct sigaction sa;

        if (sigaction(stops[i], NULL, &sa) == 0 &&
            !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN)
            continue;
        sigaddset(set, stops[i]);
    }
}

int async_shutdown_on_signals(void) {
    int rc;

    if (S.shutdown != 0)
        return 0;
    stop_signals(&S.stops);
    S.shutdown = ARMED;
    async__loop_on_reset(&reset_hook);
    if ((rc = sync_set(1)) != 0)
        S.shutdown = 0;
    return rc;
}

void async_signal_wait__init(struct async_signal_wait__frame *f, int signo) {
    f->_state = 0;
    f->waiter.signo = signo;
    f->waiter.fired = 0;
    f->waiter.task = NULL;
    f->waiter.prev = f->waiter.next = NULL;
    f->_ret = 0;
}

/* Leaves the list (if still in it) and shrinks the set. */
static int wait_end(struct async_signal_wait__frame *f, int rc) {
    if (!f->waiter.fired) {
        waiter_unlink(&f->waiter);
        (void)sync_set(1);
    }
    f->_state = -1;
    return rc;
}

int async_signal_wait__resume(void *frame) {
    struct async_signal_wait__frame *f = frame;
    int rc;

    switch (f->_state) {
    case 0:
        assert(async__running != NULL && "async_signal_wait outside a task");
        if (!valid_signo(f->waiter.signo)) {
            f->_state = -1;
            return async__raise(ASYNC_EINVAL);
        }
        if (async__cancel_seen()) {
            f->_state = -1;
            return ASYNC__FAILED;
        }
        f->waiter.task = async__running;
        waiter_link(&f->waiter);
        async__loop_on_reset(&reset_hook);
        if ((rc = sync_set(1)) != 0) {
            waiter_unlink(&f->waiter);
            f->_state = -1;
            return async__raise(rc);
        }
        f->_state = 1;
        return ASYNC__PENDING;
    case 1:
        if (async__cancel_seen())
            return wait_end(f, ASYNC__FAILED);
        if (!f->waiter.fired)
            return ASYNC__PENDING; /* a spurious poll */
        f->_ret = f->waiter.signo;
        return wait_end(f, ASYNC__READY);
    default:
        return ASYNC__READY;
    }
}
