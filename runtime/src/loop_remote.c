/*
 * loop_remote.c -- a loop's shared object (async/loops.h's async_loop):
 * its inbox, eventfd and references, posted callbacks, and what keeps a
 * loop that waits for other threads from being taken as deadlocked.
 *
 * A loop gets its object only when something may cross into it: the
 * loops of async_run_loops before their runs begin, a plain async_run's
 * at its first async_loop_current, channel wait or call.  A loop with no
 * object pays nothing.
 *
 * The hold.  A loop that waits only for other threads (a channel, a
 * call's result, a post) has no timer armed and no descriptor a task
 * waits on, and would end its run as a deadlock.  While a request is
 * queued, while one of its tasks waits for another thread, while a
 * reference taken with async_loop_retain is held, or while another loop
 * of its async_run_loops call still runs, the loop counts its eventfd as
 * a watched descriptor instead: never stuck, and it looks at its inbox
 * between passes so that requests are seen while tasks keep it busy
 * (async__remote_wait).  Changes made on other threads (a release,
 * another loop's end) reach the loop as a nudge through its inbox.
 */
#include "internal.h"
#include "remote.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

_Thread_local async_loop *async__loop_self;

typedef struct post_req {
    async__remote r;
    void (*fn)(void *arg);
    void *arg;
} post_req;

async_loop *async__remote_new(void) {
    async_loop *l = calloc(1, sizeof(*l));

    if (l == NULL)
        return NULL;
    l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->efd < 0) {
        free(l);
        return NULL;
    }
    pthread_mutex_init(&l->mu, NULL);
    atomic_init(&l->refs, 1);
    atomic_init(&l->holds, 0);
    l->nudge.kind = ASYNC__REMOTE_NUDGE;
    l->cancel_all.kind = ASYNC__REMOTE_CANCEL_ALL;
    return l;
}

void async__remote_ref(async_loop *l) {
    atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
}

void async__remote_unref(async_loop *l) {
    if (atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) != 1)
        return;
    close(l->efd);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

/* ------------------------------------------------------------------ */
/* The inbox                                                           */
/* ------------------------------------------------------------------ */

int async__remote_push_locked(async_loop *l, async__remote *r, int *wake) {
    *wake = 0;
    if (l->closed)
        return -ESHUTDOWN;
    if (r->queued)
        return 0;
    r->next = NULL;
    r->prev = l->tail;
    if (l->tail != NULL)
        l->tail->next = r;
    else
        l->head = r;
    l->tail = r;
    r->queued = 1;
    /* Only the first of a burst writes: the loop takes them all. */
    *wake = atomic_load_explicit(&l->n_queued, memory_order_relaxed) == 0;
    atomic_store_explicit(
        &l->n_queued,
        atomic_load_explicit(&l->n_queued, memory_order_relaxed) + 1,
        memory_order_relaxed);
    return 0;
}

/* A write of the eventfd: its counter goes up, and the poller of a loop
 * blocked on it returns. */
static void kick(async_loop *l) {
    uint64_t one = 1;

    (void)!write(l->efd, &one, sizeof(one));
}

/* The other half of async__remote_wait's handshake: the request is
 * counted before the fence, `sleeping` read after it, so either this
 * thread sees the loop going to sleep and writes, or the loop sees the
 * request before it sleeps.  A loop that is awake takes its requests
 * between passes without being written to. */
void async__remote_notify(async_loop *l) {
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&l->sleeping, memory_order_relaxed))
        kick(l);
}

int async__remote_push(async_loop *l, async__remote *r) {
    int wake, rc;

    /* Once `r` is queued the loop may take it, finish what waited for
     * it and end its run before the write below: the reference keeps
     * the eventfd open until then. */
    async__remote_ref(l);
    pthread_mutex_lock(&l->mu);
    rc = async__remote_push_locked(l, r, &wake);
    pthread_mutex_unlock(&l->mu);
    if (wake)
        async__remote_notify(l);
    async__remote_unref(l);
    return rc;
}

static void unlink_locked(async_loop *l, async__remote *r) {
    if (r->prev != NULL)
        r->prev->next = r->next;
    else
        l->head = r->next;
    if (r->next != NULL)
        r->next->prev = r->prev;
    else
        l->tail = r->prev;
    r->next = r->prev = NULL;
    r->queued = 0;
    atomic_store_explicit(
        &l->n_queued,
        atomic_load_explicit(&l->n_queued, memory_order_relaxed) - 1,
        memory_order_relaxed);
}

int async__remote_withdraw_locked(async_loop *l, async__remote *r) {
    if (!r->queued)
        return 0;
    unlink_locked(l, r);
    return 1;
}

int async__remote_withdraw(async_loop *l, async__remote *r) {
    int was;

    pthread_mutex_lock(&l->mu);
    was = r->queued;
    if (was)
        unlink_locked(l, r);
    pthread_mutex_unlock(&l->mu);
    return was;
}

static async__remote *pop(async_loop *l) {
    async__remote *r;

    pthread_mutex_lock(&l->mu);
    r = l->head;
    if (r != NULL)
        unlink_locked(l, r);
    pthread_mutex_unlock(&l->mu);
    return r;
}

/* ------------------------------------------------------------------ */
/* The hold                                                            */
/* ------------------------------------------------------------------ */

/* A request queued holds the loop too: a callback accepted will run,
 * and may end what a task waits for. */
static void update_hold(async_loop *l) {
    int want = atomic_load_explicit(&l->n_queued, memory_order_relaxed) > 0 ||
               l->waits > 0 || atomic_load(&l->holds) > 0 ||
               (l->group != NULL && atomic_load(&l->group->running) > 1);

    if (!l->attached || want == l->held)
        return;
    if (want)
        async__loop_io()->n_watchers++;
    else
        async__loop_io()->n_watchers--;
    l->held = want;
}

void async__remote_wait_begin(async_loop *l) {
    if (l->waits++ == 0)
        update_hold(l);
}

void async__remote_wait_end(async_loop *l) {
    if (--l->waits == 0)
        update_hold(l);
}

/* ------------------------------------------------------------------ */
/* Taking requests                                                     */
/* ------------------------------------------------------------------ */

static void dispatch(async_loop *l, async__remote *r, int closing) {
    switch (r->kind) {
    case ASYNC__REMOTE_WAKE:
        async__chan_wake_arrived(r);
        break;
    case ASYNC__REMOTE_POST: {
        post_req *p = (post_req *)(void *)r;

        p->fn(p->arg);
        free(p);
        break;
    }
    case ASYNC__REMOTE_START:
    case ASYNC__REMOTE_CANCEL:
    case ASYNC__REMOTE_DONE:
        async__call_arrived(l, r, closing);
        break;
    case ASYNC__REMOTE_CANCEL_ALL:
        if (!closing)
            async__loop_cancel_all();
        break;
    default: /* ASYNC__REMOTE_NUDGE: the hold is looked at below */
        break;
    }
}

/* Takes the requests queued when it looks; those queued meanwhile wait
 * for the next pass (a thread posting without pause cannot keep the
 * loop here). */
static void take_inbox(async_loop *l) {
    size_t n = atomic_load_explicit(&l->n_queued, memory_order_relaxed);

    while (n-- > 0) {
        async__remote *r = pop(l);

        if (r == NULL)
            break;
        dispatch(l, r, 0);
    }
    update_hold(l);
}

/* The eventfd is readable: what it announced is taken after the wait
 * (async__remote_wait). */
static void on_inbox(async__watcher *w) {
    async_loop *l = async__loop_self;
    uint64_t count;

    (void)w;
    /* The read leaves the counter at 0: not readable until the next
     * write, whose edge the poller reports without being re-armed. */
    (void)!read(l->efd, &count, sizeof(count));
    async__io_drained(l->efd, ASYNC__IO_IN);
}

static size_t queued(async_loop *l) {
    return atomic_load_explicit(&l->n_queued, memory_order_relaxed);
}

/* How long a loop whose task waits for another thread polls its inbox
 * before it sleeps: an answer that comes within it (another loop's
 * reply to a channel or a call) costs neither thread a system call or a
 * wake-up, which on a virtual machine take tens of microseconds.  A
 * spin that saw nothing makes the loop skip the spin of its next 1, 3,
 * 7... up to 63 sleeps, so a task that waits for something rare (a
 * consumer of a quiet channel) costs at most a spin in 64 sleeps. */
enum { SPIN_NS = 50000, SPIN_BACKOFF_MAX = 63 };

static int spin_for_request(async_loop *l, uint64_t timeout_ns) {
    uint64_t start, budget = timeout_ns < SPIN_NS ? timeout_ns : SPIN_NS;

    if (l->spin_skip > 0) {
        l->spin_skip--;
        return 0;
    }
    start = async__clock_ns();
    do {
        for (int i = 0; i < 64; i++) {
            if (queued(l) > 0) {
                l->spin_backoff = 0;
                return 1;
            }
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
    } while (async__clock_ns() - start < budget);
    l->spin_backoff = l->spin_backoff * 2 + 1;
    if (l->spin_backoff > SPIN_BACKOFF_MAX)
        l->spin_backoff = SPIN_BACKOFF_MAX;
    l->spin_skip = l->spin_backoff;
    return 0;
}

void async__remote_wait(async__io *io, uint64_t timeout_ns) {
    async_loop *l = async__loop_self;

    if (timeout_ns == 0) {
        /* Busy: the kernel has news only of what else is watched. */
        if (io->n_watchers > (size_t)l->held || async__io_pending(io))
            async__io_wait(io, 0);
    } else if (!(l->waits > 0 && io->n_watchers == (size_t)l->held &&
                 !async__io_pending(io) && spin_for_request(l, timeout_ns))) {
        atomic_store_explicit(&l->sleeping, 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst);
        async__io_wait(io, queued(l) > 0 ? 0 : timeout_ns);
        atomic_store_explicit(&l->sleeping, 0, memory_order_relaxed);
    }
    if (queued(l) > 0)
        take_inbox(l);
}

static void remote_close(void);
static _Thread_local async__loop_hook close_hook = {remote_close, NULL, 0};

/* Registers the object with the run of this thread, which holds a
 * reference until it ends. */
static int attach(async_loop *l) {
    int rc;

    l->w.fd = l->efd;
    l->w.events = ASYNC__IO_IN | ASYNC__IO_QUIET | ASYNC__IO_EDGE;
    l->w.task = NULL;
    l->w.on_ready = on_inbox;
    if ((rc = async__watch(&l->w)) != 0)
        return rc;
    /* Requests queued before the run began are taken after its first
     * pass (async__remote_wait). */
    async__remote_ref(l);
    l->attached = 1;
    async__loop_on_reset(&close_hook);
    update_hold(l);
    return 0;
}

void async__remote_begin(void) {
    async_loop *l = async__loop_self;

    if (attach(l) != 0) {
        /* Nothing can reach this run: others see it as ended. */
        pthread_mutex_lock(&l->mu);
        l->closed = 1;
        pthread_mutex_unlock(&l->mu);
    }
}

async_loop *async__remote_self(void) {
    async_loop *l = async__loop_self;

    if (l != NULL)
        return l->attached ? l : NULL;
    if (async__loop_root() == NULL)
        return NULL;
    if ((l = async__remote_new()) == NULL)
        return NULL;
    if (attach(l) != 0) {
        async__remote_unref(l);
        return NULL;
    }
    async__remote_unref(l); /* the run's reference is the one left */
    async__loop_self = l;
    return l;
}

/* No request is accepted any more; those queued are handled as at the
 * end of a run (callbacks run, starts refused). */
static void shut(async_loop *l) {
    async__remote *r;

    pthread_mutex_lock(&l->mu);
    l->closed = 1;
    pthread_mutex_unlock(&l->mu);
    while ((r = pop(l)) != NULL)
        dispatch(l, r, 1);
}

/* The other loops of the call learn that this one has ended. */
static void leave_group(async_loop *l) {
    async__loop_group *g = l->group;

    async__loop_self = NULL;
    if (g == NULL)
        return;
    atomic_fetch_sub(&g->running, 1);
    for (int i = 0; i < g->n; i++)
        if (g->loops[i] != l)
            (void)async__remote_push(g->loops[i], &g->loops[i]->nudge);
}

/* The run's teardown: the callbacks accepted run, calls not started are
 * refused and calls running (their tasks destroyed with the run)
 * answered, before the frames go. */
static void remote_close(void) {
    async_loop *l = async__loop_self;

    if (l == NULL || !l->attached)
        return;
    shut(l);
    async__calls_abandon(l);
    async__unwatch(&l->w);
    if (l->held)
        async__loop_io()->n_watchers--;
    l->held = 0;
    l->attached = 0;
    l->waits = 0;
    leave_group(l);
    async__remote_unref(l);
}

void async__remote_end(void) {
    async_loop *l = async__loop_self;

    if (l == NULL)
        return;
    shut(l);
    leave_group(l);
}

/* ------------------------------------------------------------------ */
/* The public calls                                                    */
/* ------------------------------------------------------------------ */

async_loop *async_loop_current(void) { return async__remote_self(); }

async_loop *async_loop_at(int i) {
    async_loop *l = async__loop_self;

    if (l == NULL || l->group == NULL || i < 0 || i >= l->group->n)
        return NULL;
    return l->group->loops[i];
}

int async_loop_index(void) {
    if (async__loop_self != NULL && async__loop_self->group != NULL)
        return async__loop_self->index;
    return async__loop_root() != NULL ? 0 : -1;
}

int async_loop_count(void) {
    if (async__loop_self != NULL && async__loop_self->group != NULL)
        return async__loop_self->group->n;
    return async__loop_root() != NULL ? 1 : 0;
}

/* A change of the holds, seen by the loop: at once on its own thread,
 * else through a nudge. */
static void holds_changed(async_loop *l) {
    if (l == async__loop_self && l->attached)
        update_hold(l);
    else
        (void)async__remote_push(l, &l->nudge);
}

async_loop *async_loop_retain(async_loop *l) {
    if (l == NULL)
        return NULL;
    async__remote_ref(l);
    if (atomic_fetch_add(&l->holds, 1) == 0)
        holds_changed(l);
    return l;
}

void async_loop_release(async_loop *l) {
    if (l == NULL)
        return;
    if (atomic_fetch_sub(&l->holds, 1) == 1)
        holds_changed(l);
    async__remote_unref(l);
}

int async_loop_post(async_loop *l, void (*fn)(void *arg), void *arg) {
    post_req *p;
    int rc;

    if (l == NULL || fn == NULL)
        return ASYNC_EINVAL;
    if ((p = malloc(sizeof(*p))) == NULL)
        return ASYNC_ENOMEM;
    p->r.kind = ASYNC__REMOTE_POST;
    p->r.queued = 0;
    p->fn = fn;
    p->arg = arg;
    if ((rc = async__remote_push(l, &p->r)) != 0)
        free(p);
    /* Posted from the loop's own thread (a callback or a task): the
     * request holds the loop until it has run. */
    if (rc == 0 && l == async__loop_self && l->attached)
        update_hold(l);
    return rc;
}

int async_loop_cancel(async_loop *l) {
    if (l == NULL)
        return ASYNC_EINVAL;
    return async__remote_push(l, &l->cancel_all);
}
