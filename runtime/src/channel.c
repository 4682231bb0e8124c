/*
 * channel.c -- async_channel: a bounded FIFO of pointers between loops.
 *
 * The items live in a ring under the channel's mutex, and only there:
 * a waiter is woken, never handed an item, and takes one itself when it
 * runs again.  So an item is in the ring until exactly one receiver
 * takes it, whatever is cancelled or closed meanwhile.  A woken waiter
 * that is cancelled before it runs passes its wake-up on to the next one
 * while the reason for it still holds (an item, or room), as asyncio's
 * Queue does.  A woken waiter that finds the item gone to a faster one
 * waits again at the front.
 *
 * A waiter on the waker's own loop is woken directly; one on another
 * loop through that loop's inbox (remote.h), whose first request of a
 * burst writes its eventfd.
 */
#include "internal.h"
#include "remote.h"

#include <errno.h>
#include <stdlib.h>

enum { IDLE = 0, LINKED = 1, WOKEN = 2 };

typedef struct wait_list {
    async__chan_waiter *first, *last;
} wait_list;

struct async_channel {
    pthread_mutex_t mu;
    void **ring;
    size_t cap, head, count;
    int closed;
    wait_list receivers, senders;
};

static void list_push(wait_list *q, async__chan_waiter *w, int front) {
    w->state = LINKED;
    if (front) {
        w->prev = NULL;
        w->next = q->first;
        if (q->first != NULL)
            q->first->prev = w;
        else
            q->last = w;
        q->first = w;
    } else {
        w->next = NULL;
        w->prev = q->last;
        if (q->last != NULL)
            q->last->next = w;
        else
            q->first = w;
        q->last = w;
    }
}

static void list_unlink(wait_list *q, async__chan_waiter *w) {
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        q->first = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    else
        q->last = w->prev;
    w->next = w->prev = NULL;
    w->state = IDLE;
}

/* Under the channel's lock. */
static void wake_one(wait_list *q) {
    async__chan_waiter *w = q->first;

    if (w == NULL)
        return;
    list_unlink(q, w);
    w->state = WOKEN;
    if (w->loop == async__loop_self)
        async__wake(w->task);
    else
        (void)async__remote_push(w->loop, &w->wake);
}

static void wake_all(wait_list *q) {
    while (q->first != NULL)
        wake_one(q);
}

void async__chan_wake_arrived(async__remote *r) {
    async__chan_waiter *w = (async__chan_waiter *)(void *)r;

    async__wake(w->task);
}

/* Under the lock: 0, -EAGAIN (full), -EPIPE (closed). */
static int put_locked(async_channel *ch, void *item) {
    size_t at;

    if (ch->closed)
        return -EPIPE;
    if (ch->count == ch->cap)
        return -EAGAIN;
    at = ch->head + ch->count;
    if (at >= ch->cap)
        at -= ch->cap;
    ch->ring[at] = item;
    ch->count++;
    wake_one(&ch->receivers);
    return 0;
}

/* Under the lock: 0, -EAGAIN (empty), -EPIPE (empty and closed). */
static int take_locked(async_channel *ch, void **item) {
    if (ch->count == 0)
        return ch->closed ? -EPIPE : -EAGAIN;
    *item = ch->ring[ch->head];
    if (++ch->head == ch->cap)
        ch->head = 0;
    ch->count--;
    wake_one(&ch->senders);
    return 0;
}

async_channel *async_channel_create(size_t capacity) {
    async_channel *ch;

    if (capacity == 0 || capacity > ((size_t)1 << 30)) {
        errno = EINVAL;
        return NULL;
    }
    if ((ch = calloc(1, sizeof(*ch))) == NULL)
        return NULL;
    if ((ch->ring = malloc(capacity * sizeof(void *))) == NULL) {
        free(ch);
        return NULL;
    }
    ch->cap = capacity;
    pthread_mutex_init(&ch->mu, NULL);
    return ch;
}

size_t async_channel_destroy(async_channel *ch) {
    size_t left;

    if (ch == NULL)
        return 0;
    left = ch->count;
    pthread_mutex_destroy(&ch->mu);
    free(ch->ring);
    free(ch);
    return left;
}

int async_channel_close(async_channel *ch) {
    if (ch == NULL)
        return ASYNC_EINVAL;
    pthread_mutex_lock(&ch->mu);
    ch->closed = 1;
    wake_all(&ch->receivers);
    wake_all(&ch->senders);
    pthread_mutex_unlock(&ch->mu);
    return 0;
}

int async_channel_try_send(async_channel *ch, void *item) {
    int rc;

    if (ch == NULL)
        return ASYNC_EINVAL;
    pthread_mutex_lock(&ch->mu);
    rc = put_locked(ch, item);
    pthread_mutex_unlock(&ch->mu);
    return rc;
}

int async_channel_try_recv(async_channel *ch, void **item) {
    int rc;

    if (ch == NULL || item == NULL)
        return ASYNC_EINVAL;
    pthread_mutex_lock(&ch->mu);
    rc = take_locked(ch, item);
    pthread_mutex_unlock(&ch->mu);
    return rc;
}

size_t async_channel_size(async_channel *ch) {
    size_t n;

    if (ch == NULL)
        return 0;
    pthread_mutex_lock(&ch->mu);
    n = ch->count;
    pthread_mutex_unlock(&ch->mu);
    return n;
}

/* ------------------------------------------------------------------ */
/* The awaitables                                                      */
/* ------------------------------------------------------------------ */

/* Under the lock: links the running task's waiter on `q`.  0, or
 * ASYNC_ENOMEM when this loop has no object and none can be made. */
static int wait_on(wait_list *q, async__chan_waiter *w) {
    async_loop *l = async__remote_self();

    if (l == NULL)
        return ASYNC_ENOMEM;
    w->loop = l;
    w->task = async__running;
    w->wake.kind = ASYNC__REMOTE_WAKE;
    w->wake.queued = 0;
    list_push(q, w, 0);
    return 0;
}

/* The step of a waiting send or receive, under the lock: -1 when the
 * wait goes on, else what ends it (0 or a failure code; `done` set).
 * `op` retries the transfer; `reason` says whether what woke the waiter
 * still holds, for passing it on. */
static int wait_step(async_channel *ch, wait_list *q, async__chan_waiter *w,
                     int (*op)(async_channel *ch, void *frame), void *frame,
                     int reason) {
    int rc;

    if (w->state == LINKED) {
        if (!async__cancel_seen())
            return -1;
        list_unlink(q, w);
        return ASYNC_ECANCELED;
    }
    /* Woken: the request may still be queued, when a cancellation polled
     * the task first. */
    (void)async__remote_withdraw(w->loop, &w->wake);
    w->state = IDLE;
    if (async__cancel_seen()) {
        if (reason)
            wake_one(q);
        return ASYNC_ECANCELED;
    }
    rc = op(ch, frame);
    if (rc == -EAGAIN) {
        list_push(q, w, 1); /* it keeps its turn */
        return -1;
    }
    return rc;
}

/* The end of an await: its result, or its failure raised. */
static int finish(int *state, int rc) {
    *state = -1;
    if (rc == ASYNC_ECANCELED)
        return ASYNC__FAILED; /* async__cancel_seen stored the code */
    return rc != 0 ? async__raise(rc) : ASYNC__READY;
}

/* The resume of a send (`is_send`) or a receive: `op` moves the item
 * (put or take) under the lock, and the waiter waits on the senders or
 * the receivers.  Before it waits, the item moves at once when it can;
 * once woken, the waiter tries again, or passes the wake-up on when it
 * is cancelled while what woke it (room, an item) still holds. */
static int chan_resume(int *state, async_channel *ch, int is_send,
                       async__chan_waiter *w,
                       int (*op)(async_channel *ch, void *frame), void *frame) {
    wait_list *q;
    int rc;

    switch (*state) {
    case 0:
        if (ch == NULL)
            return finish(state, ASYNC_EINVAL);
        q = is_send ? &ch->senders : &ch->receivers;
        pthread_mutex_lock(&ch->mu);
        rc = op(ch, frame);
        if (rc == -EAGAIN) {
            if (async__cancel_seen())
                rc = ASYNC_ECANCELED;
            else if ((rc = wait_on(q, w)) == 0)
                rc = -1;
        }
        pthread_mutex_unlock(&ch->mu);
        if (rc != -1)
            return finish(state, rc);
        async__remote_wait_begin(w->loop);
        *state = 1;
        return ASYNC__PENDING;
    case 1:
        q = is_send ? &ch->senders : &ch->receivers;
        pthread_mutex_lock(&ch->mu);
        rc = wait_step(ch, q, w, op, frame,
                       is_send ? !ch->closed && ch->count < ch->cap
                               : ch->count > 0);
        pthread_mutex_unlock(&ch->mu);
        if (rc == -1)
            return ASYNC__PENDING;
        async__remote_wait_end(w->loop);
        return finish(state, rc);
    default:
        return ASYNC__READY;
    }
}

void async_channel_send__init(struct async_channel_send__frame *f,
                              async_channel *ch, void *item) {
    f->_state = 0;
    f->waiter.state = IDLE;
    f->waiter.next = f->waiter.prev = NULL;
    f->ch = ch;
    f->item = item;
    f->_ret = 0;
}

static int send_op(async_channel *ch, void *frame) {
    return put_locked(ch, ((struct async_channel_send__frame *)frame)->item);
}

int async_channel_send__resume(void *frame) {
    struct async_channel_send__frame *f = frame;

    return chan_resume(&f->_state, f->ch, 1, &f->waiter, send_op, f);
}

void async_channel_recv__init(struct async_channel_recv__frame *f,
                              async_channel *ch) {
    f->_state = 0;
    f->waiter.state = IDLE;
    f->waiter.next = f->waiter.prev = NULL;
    f->ch = ch;
    f->_ret = NULL;
}

static int recv_op(async_channel *ch, void *frame) {
    return take_locked(ch, &((struct async_channel_recv__frame *)frame)->_ret);
}

int async_channel_recv__resume(void *frame) {
    struct async_channel_recv__frame *f = frame;

    return chan_resume(&f->_state, f->ch, 0, &f->waiter, recv_op, f);
}
