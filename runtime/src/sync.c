/*
 * sync.c -- events, locks, semaphores and conditions.
 *
 * Every awaitable here follows the skeleton of wait_list.h; the
 * condition's wait adds state 2: re-acquiring the lock.
 *
 * Handing over instead of waking to compete: a release gives the lock or
 * the permit to the first waiter directly, so FIFO order holds and no
 * task that arrives later can take it first.  An await that has to wait
 * checks for cancellation before it suspends and on every poll after,
 * before anything else: cancellation wins even over a hand-over that has
 * already happened, and then the cancelled waiter passes on what it was
 * given.
 */
#include "internal.h"
#include "wait_list.h"

#include <limits.h>

/* Hands what `l` waits for to its first waiter.  Returns 0 when nobody
 * waits. */
static int grant_first(async__wait_list *l) {
    return async__wait_settle_first(l, ASYNC__SYNC_GRANTED) != NULL;
}

/* ------------------------------------------------------------------ */
/* Event                                                               */
/* ------------------------------------------------------------------ */

int async_event_init(async_event *e) {
    if (e == NULL)
        return ASYNC_EINVAL;
    e->is_set = 0;
    async__wait_list_init(&e->waiters);
    return 0;
}

int async_event_set(async_event *e) {
    if (e == NULL)
        return ASYNC_EINVAL;
    e->is_set = 1;
    while (grant_first(&e->waiters))
        ;
    return 0;
}

int async_event_clear(async_event *e) {
    if (e == NULL)
        return ASYNC_EINVAL;
    e->is_set = 0;
    return 0;
}

int async_event_is_set(const async_event *e) {
    if (e == NULL)
        return ASYNC_EINVAL;
    return e->is_set != 0;
}

_Static_assert(sizeof(struct async_event_wait__frame) == 32,
               "a task blocked on an event costs a 40-byte frame at most");

/* The frame has no room for the event beside the node (sync.h): it
 * stays in the idle node's next link until the first resume. */
void async_event_wait__init(struct async_event_wait__frame *f, async_event *e) {
    f->_state = 0;
    async__waiter_init(&f->waiter);
    f->waiter.next = (async__sync_waiter *)(void *)e;
    f->_ret = 0;
}

int async_event_wait__resume(void *frame) {
    struct async_event_wait__frame *f = frame;
    async_event *e;
    int r;

    switch (f->_state) {
    case 0:
        e = (async_event *)(void *)f->waiter.next;
        f->waiter.next = NULL;
        if (e == NULL)
            return async__wait_fail(&f->_state, ASYNC_EINVAL);
        if (!e->is_set)
            return async__wait_start(&e->waiters, &f->waiter, &f->_state);
        break;
    case 1:
        r = async__wait_poll(&f->waiter, &f->_state, NULL, f);
        if (r != ASYNC__READY)
            return r;
        break;
    default:
        return ASYNC__READY;
    }
    f->_ret = 0;
    return async__wait_done(&f->_state);
}

/* ------------------------------------------------------------------ */
/* Lock                                                                */
/* ------------------------------------------------------------------ */

/* Invariant: a lock that is not locked has no waiters. */

int async_lock_init(async_lock *l) {
    if (l == NULL)
        return ASYNC_EINVAL;
    l->locked = 0;
    async__wait_list_init(&l->waiters);
    return 0;
}

int async_lock_release(async_lock *l) {
    if (l == NULL || !l->locked)
        return ASYNC_EINVAL;
    /* Handed over: it stays locked for the first waiter. */
    if (!grant_first(&l->waiters))
        l->locked = 0;
    return 0;
}

int async_lock_locked(const async_lock *l) {
    if (l == NULL)
        return ASYNC_EINVAL;
    return l->locked != 0;
}

void async_lock_acquire__init(struct async_lock_acquire__frame *f,
                              async_lock *l) {
    f->_state = 0;
    f->lock = l;
    async__waiter_init(&f->waiter);
    f->_ret = 0;
}

/* The lock was handed to a cancelled waiter: on to the next. */
static void lock_pass_on(void *frame) {
    (void)async_lock_release(((struct async_lock_acquire__frame *)frame)->lock);
}

int async_lock_acquire__resume(void *frame) {
    struct async_lock_acquire__frame *f = frame;
    async_lock *l = f->lock;
    int r;

    switch (f->_state) {
    case 0:
        if (l == NULL)
            return async__wait_fail(&f->_state, ASYNC_EINVAL);
        if (l->locked)
            return async__wait_start(&l->waiters, &f->waiter, &f->_state);
        l->locked = 1;
        break;
    case 1:
        r = async__wait_poll(&f->waiter, &f->_state, lock_pass_on, f);
        if (r != ASYNC__READY)
            return r;
        break;
    default:
        return ASYNC__READY;
    }
    f->_ret = 0;
    return async__wait_done(&f->_state);
}

/* ------------------------------------------------------------------ */
/* Semaphore                                                           */
/* ------------------------------------------------------------------ */

/* Invariant: a semaphore with waiters has value 0. */

static int semaphore_init(async_semaphore *s, int value, int bounded) {
    if (s == NULL || value < 0)
        return ASYNC_EINVAL;
    s->value = value;
    s->bound = bounded ? value : -1;
    async__wait_list_init(&s->waiters);
    return 0;
}

int async_semaphore_init(async_semaphore *s, int value) {
    return semaphore_init(s, value, 0);
}

int async_bounded_semaphore_init(async_semaphore *s, int value) {
    return semaphore_init(s, value, 1);
}

/* A permit comes back: to the first waiter, else to the count. */
static int semaphore_give(async_semaphore *s) {
    if (grant_first(&s->waiters))
        return 0;
    if (s->value == INT_MAX)
        return ASYNC_EINVAL;
    s->value++;
    return 0;
}

int async_semaphore_release(async_semaphore *s) {
    if (s == NULL)
        return ASYNC_EINVAL;
    if (s->bound >= 0 && s->value >= s->bound)
        return ASYNC_EINVAL;
    return semaphore_give(s);
}

int async_semaphore_value(const async_semaphore *s) {
    if (s == NULL)
        return ASYNC_EINVAL;
    return s->value;
}

void async_semaphore_acquire__init(struct async_semaphore_acquire__frame *f,
                                   async_semaphore *s) {
    f->_state = 0;
    f->sem = s;
    async__waiter_init(&f->waiter);
    f->_ret = 0;
}

/* A permit handed to a cancelled waiter goes back. */
static void semaphore_pass_on(void *frame) {
    (void)semaphore_give(((struct async_semaphore_acquire__frame *)frame)->sem);
}

int async_semaphore_acquire__resume(void *frame) {
    struct async_semaphore_acquire__frame *f = frame;
    async_semaphore *s = f->sem;
    int r;

    switch (f->_state) {
    case 0:
        if (s == NULL)
            return async__wait_fail(&f->_state, ASYNC_EINVAL);
        if (s->value <= 0)
            return async__wait_start(&s->waiters, &f->waiter, &f->_state);
        s->value--;
        break;
    case 1:
        r = async__wait_poll(&f->waiter, &f->_state, semaphore_pass_on, f);
        if (r != ASYNC__READY)
            return r;
        break;
    default:
        return ASYNC__READY;
    }
    f->_ret = 0;
    return async__wait_done(&f->_state);
}

/* ------------------------------------------------------------------ */
/* Condition                                                           */
/* ------------------------------------------------------------------ */

int async_condition_init(async_condition *c, async_lock *l) {
    if (c == NULL || l == NULL)
        return ASYNC_EINVAL;
    c->lock = l;
    async__wait_list_init(&c->waiters);
    return 0;
}

/* Wakes up to n waiters (all when n < 0); returns how many. */
static int condition_wake(async_condition *c, int n) {
    int woken = 0;

    while ((n < 0 || woken < n) && grant_first(&c->waiters))
        woken++;
    return woken;
}

int async_condition_notify(async_condition *c, int n) {
    if (c == NULL || !c->lock->locked)
        return ASYNC_EINVAL;
    return n > 0 ? condition_wake(c, n) : 0;
}

int async_condition_notify_all(async_condition *c) {
    if (c == NULL || !c->lock->locked)
        return ASYNC_EINVAL;
    return condition_wake(c, -1);
}

void async_condition_wait__init(struct async_condition_wait__frame *f,
                                async_condition *c) {
    f->_state = 0;
    f->cond = c;
    async__waiter_init(&f->waiter);
    f->err = 0;
    f->_ret = 0;
}

/* A notification meant for a cancelled waiter goes to the next one. */
static void condition_pass_on(void *frame) {
    (void)condition_wake(((struct async_condition_wait__frame *)frame)->cond,
                         1);
}

int async_condition_wait__resume(void *frame) {
    struct async_condition_wait__frame *f = frame;
    async_condition *c = f->cond;
    int r;

    switch (f->_state) {
    case 0:
        if (c == NULL || !c->lock->locked)
            return async__wait_fail(&f->_state, ASYNC_EINVAL);
        /* Cancelled before waiting: the lock was never let go. */
        r = async__wait_start(&c->waiters, &f->waiter, &f->_state);
        if (r == ASYNC__PENDING)
            (void)async_lock_release(c->lock);
        return r;
    case 1:
        r = async__wait_poll(&f->waiter, &f->_state, condition_pass_on, f);
        if (r == ASYNC__PENDING)
            return r;
        /* Cancelled: the wait fails, but only once the lock is held. */
        if (r == ASYNC__FAILED)
            f->err = ASYNC_ECANCELED;
        async_lock_acquire__init(&f->acquire, c->lock);
        f->_state = 2;
        break;
    case 2:
        break;
    default:
        return ASYNC__READY;
    }
    /* State 2: the lock is re-acquired even by a cancelled wait, and a
     * cancellation that arrives meanwhile does not stop that either. */
    while ((r = async_lock_acquire__resume(&f->acquire)) == ASYNC__FAILED) {
        f->err = ASYNC_ECANCELED;
        async_lock_acquire__init(&f->acquire, c->lock);
    }
    if (r == ASYNC__PENDING)
        return ASYNC__PENDING;
    f->_state = -1;
    if (f->err < 0)
        return async__raise(f->err);
    f->_ret = 0;
    return ASYNC__READY;
}
