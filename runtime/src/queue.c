/*
 * queue.c -- async_queue: a FIFO of `void *` items, bounded in storage
 * the caller provides or unbounded in storage that grows from the heap,
 * with task_done/join and close (asyncio.Queue).
 *
 * Items are handed over, not competed for: an item put while getters
 * wait goes straight to the first of them, and room freed while putters
 * wait is reserved for the first of them.  So the room taken (used),
 * counted against the capacity, is that of the items the queue stores
 * (count), of those handed to getters that have not run yet and of the
 * slots reserved for putters that have not run yet.  That keeps FIFO
 * order and makes cancellation lossless: a getter cancelled with an item
 * in hand puts it back at the front, where its slot is still counted; a
 * putter cancelled with a reservation gives the reservation to the next
 * putter, and inserts nothing.  One count of the three is all that the
 * fast paths (async.h) test and update on a hand-over.
 *
 * Invariants: getters wait only while count == 0; putters wait only
 * while used == capacity (so a put that finds room has no putter
 * waiting ahead of it).
 *
 * An unbounded queue has no putters and no limit (nothing is ever
 * reserved): its ring grows before an item enters, to used + 1 slots,
 * so that every item handed to a getter keeps a slot to come back to (a
 * cancelled getter's item goes back to the front, and that must not
 * need memory).
 *
 * The awaitables follow the skeleton of wait_list.h; async_queue_close
 * takes waiting putters and getters off their lists as CLOSED.
 */
#include "internal.h"
#include "wait_list.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Room for a new item: a bounded queue's limit, or an unbounded queue's
 * ring grown to hold it.  0, -EAGAIN (full) or ASYNC_ENOMEM. */
static int make_room(async_queue *q) {
    size_t need = q->used + 1, cap;
    void **slots;

    if (!q->unbounded)
        return q->used < q->capacity ? 0 : -EAGAIN;
    if (need <= q->capacity)
        return 0;
    if (q->capacity > PTRDIFF_MAX / sizeof(void *) / 2)
        return ASYNC_ENOMEM;
    cap = q->capacity > 0 ? 2 * q->capacity : 8;
    slots = malloc(cap * sizeof(void *));
    if (slots == NULL)
        return ASYNC_ENOMEM;
    /* Unwrapped: the items in order from index 0. */
    for (size_t i = 0, j = q->head; i < q->count; i++) {
        slots[i] = q->slots[j];
        if (++j == q->capacity)
            j = 0;
    }
    free(q->slots);
    q->slots = slots;
    q->capacity = cap;
    q->head = 0;
    return 0;
}

/* Indexes wrap by a compare, not `%`: a division costs more than the
 * rest of a hand-over between two tasks. */
static void slots_push_back(async_queue *q, void *item) {
    size_t i = q->head + q->count;

    if (i >= q->capacity)
        i -= q->capacity;
    q->slots[i] = item;
    q->count++;
}

static void slots_push_front(async_queue *q, void *item) {
    q->head = (q->head == 0 ? q->capacity : q->head) - 1;
    q->slots[q->head] = item;
    q->count++;
}

static void *slots_pop_front(async_queue *q) {
    void *item = q->slots[q->head];

    q->slots[q->head] = NULL;
    if (++q->head == q->capacity)
        q->head = 0;
    q->count--;
    return item;
}

/* `item` goes to the getter whose node `w` is, just granted: into its
 * frame's result, which says HANDED as after the inline hand-over, so
 * that the inline get completes it too. */
static void hand_item(async__sync_waiter *w, void *item) {
    struct async_queue_get__frame *f = async__queue_getter(w);

    f->_ret = item;
    f->_state = ASYNC__QUEUE_GET_HANDED;
}

/* Stored items go to waiting getters, first to first (still counted in
 * `used`). */
static void hand_to_getters(async_queue *q) {
    async__sync_waiter *w;

    while (q->count > 0 && (w = async__wait_settle_first(
                                &q->getters, ASYNC__SYNC_GRANTED)) != NULL)
        hand_item(w, slots_pop_front(q));
}

/* Free room goes to waiting putters, first to first (an unbounded
 * queue has none). */
static void grant_room(async_queue *q) {
    while (q->used < q->capacity &&
           async__wait_settle_first(&q->putters, ASYNC__SYNC_GRANTED) != NULL)
        q->used++;
}

/* A new item enters at the back (room is accounted for by the caller). */
static void deliver(async_queue *q, void *item) {
    async__sync_waiter *w;

    q->unfinished++;
    q->used++;
    if (q->count == 0 && (w = async__wait_settle_first(
                              &q->getters, ASYNC__SYNC_GRANTED)) != NULL) {
        /* Straight to the first getter, as the ring would hand it. */
        hand_item(w, item);
        return;
    }
    slots_push_back(q, item);
    hand_to_getters(q);
}

static void wake_all(async__wait_list *l, int outcome) {
    while (async__wait_settle_first(l, outcome) != NULL)
        ;
}

int async_queue_init(async_queue *q, void **slots, size_t capacity) {
    if (q == NULL || slots == NULL || capacity == 0 ||
        capacity > (size_t)PTRDIFF_MAX)
        return ASYNC_EINVAL;
    q->slots = slots;
    q->capacity = capacity;
    q->head = q->count = q->used = q->unfinished = 0;
    q->closed = 0;
    q->unbounded = 0;
    async__wait_list_init(&q->getters);
    async__wait_list_init(&q->putters);
    async__wait_list_init(&q->joiners);
    return 0;
}

int async_queue_init_unbounded(async_queue *q) {
    if (q == NULL)
        return ASYNC_EINVAL;
    q->slots = NULL; /* allocated by the first put that needs it */
    q->capacity = 0;
    q->head = q->count = q->used = q->unfinished = 0;
    q->closed = 0;
    q->unbounded = 1;
    async__wait_list_init(&q->getters);
    async__wait_list_init(&q->putters);
    async__wait_list_init(&q->joiners);
    return 0;
}

int async_queue_free(async_queue *q) {
    if (q == NULL)
        return ASYNC_EINVAL;
    if (q->getters.head != NULL || q->putters.head != NULL ||
        q->joiners.head != NULL || q->used > q->count)
        return -EBUSY;
    if (q->unbounded) {
        free(q->slots);
        q->slots = NULL;
        q->capacity = 0;
    }
    q->head = q->count = q->used = q->unfinished = 0;
    return 0;
}

int async_queue_put_nowait(async_queue *q, void *item) {
    int rc;

    if (q == NULL)
        return ASYNC_EINVAL;
    if (q->closed)
        return -EPIPE;
    if ((rc = make_room(q)) != 0)
        return rc;
    deliver(q, item);
    return 0;
}

int async_queue_get_nowait(async_queue *q, void **item) {
    if (q == NULL || item == NULL)
        return ASYNC_EINVAL;
    if (q->count == 0)
        return q->closed ? -EPIPE : -EAGAIN;
    *item = slots_pop_front(q);
    q->used--;
    grant_room(q);
    return 0;
}

ptrdiff_t async_queue_size(const async_queue *q) {
    if (q == NULL)
        return ASYNC_EINVAL;
    return (ptrdiff_t)q->count;
}

int async_queue_task_done(async_queue *q) {
    if (q == NULL || q->unfinished == 0)
        return ASYNC_EINVAL;
    if (--q->unfinished == 0)
        wake_all(&q->joiners, ASYNC__SYNC_GRANTED);
    return 0;
}

int async_queue_close(async_queue *q) {
    if (q == NULL)
        return ASYNC_EINVAL;
    q->closed = 1;
    /* Getters wait only on an empty queue: nothing more will come. */
    wake_all(&q->getters, ASYNC__SYNC_CLOSED);
    wake_all(&q->putters, ASYNC__SYNC_CLOSED);
    return 0;
}

/* ------------------------------------------------------------------ */
/* put                                                                 */
/* ------------------------------------------------------------------ */

/* async_queue_put__init and the common case of the put are inline
 * (async.h's fast paths); this is every case. */

/* A slot reserved for a cancelled putter goes to the next one. */
static void put_pass_on(void *frame) {
    async_queue *q = ((struct async_queue_put__frame *)frame)->queue;

    q->used--;
    grant_room(q);
}

int async__queue_put_slow(void *frame) {
    struct async_queue_put__frame *f = frame;
    async_queue *q = f->queue;
    int r;

    switch (f->_state) {
    case 0:
        async__waiter_init(&f->waiter); /* the inline init leaves it */
        if (q == NULL)
            return async__wait_fail(&f->_state, ASYNC_EINVAL);
        if (q->closed)
            return async__wait_fail(&f->_state, -EPIPE);
        if (q->unbounded) {
            if ((r = make_room(q)) != 0)
                return async__wait_fail(&f->_state, r);
            break;
        }
        if (q->used >= q->capacity || q->putters.head != NULL)
            return async__wait_start(&q->putters, &f->waiter, &f->_state);
        break;
    case 1:
        r = async__wait_poll(&f->waiter, &f->_state, put_pass_on, f);
        if (r != ASYNC__READY)
            return r;
        q->used--;
        /* Closed after the slot was reserved: insert nothing. */
        if (q->closed)
            return async__wait_fail(&f->_state, -EPIPE);
        break;
    default:
        return ASYNC__READY;
    }
    deliver(q, f->item);
    f->_ret = 0;
    return async__wait_done(&f->_state);
}

/* ------------------------------------------------------------------ */
/* get                                                                 */
/* ------------------------------------------------------------------ */

/* async_queue_get__init and the common cases of the get are inline
 * (async.h's fast paths); this is every case. */

/* An item handed to a cancelled getter goes back to the front, still
 * in its slot's room (counted in `used`), and on to the next getter. */
static void get_pass_on(void *frame) {
    struct async_queue_get__frame *f = frame;
    async_queue *q = f->queue;

    slots_push_front(q, f->_ret);
    f->_ret = NULL;
    hand_to_getters(q);
}

int async__queue_get_slow(void *frame) {
    struct async_queue_get__frame *f = frame;
    async_queue *q = f->queue;
    void *item;
    int r;

    switch (f->_state) {
    case 0:
        async__waiter_init(&f->waiter); /* the inline init leaves it */
        if (q == NULL)
            return async__wait_fail(&f->_state, ASYNC_EINVAL);
        if (q->count > 0) {
            item = slots_pop_front(q);
            break;
        }
        if (q->closed)
            return async__wait_fail(&f->_state, -EPIPE);
        return async__wait_start(&q->getters, &f->waiter, &f->_state);
    case ASYNC__QUEUE_GET_HANDED:
        /* Off the list with its item: the node becomes what the
         * skeleton expects of a granted one. */
        f->waiter.task = NULL;
        f->waiter.outcome = ASYNC__SYNC_GRANTED;
        f->_state = 1;
        /* fall through */
    case 1:
        r = async__wait_poll(&f->waiter, &f->_state, get_pass_on, f);
        if (r != ASYNC__READY)
            return r;
        item = f->_ret;
        break;
    default:
        return ASYNC__READY;
    }
    q->used--; /* the item's room, in the ring or in hand */
    grant_room(q);
    f->_ret = item;
    return async__wait_done(&f->_state);
}

/* ------------------------------------------------------------------ */
/* join                                                                */
/* ------------------------------------------------------------------ */

void async_queue_join__init(struct async_queue_join__frame *f, async_queue *q) {
    f->_state = 0;
    f->queue = q;
    async__waiter_init(&f->waiter);
    f->_ret = 0;
}

int async_queue_join__resume(void *frame) {
    struct async_queue_join__frame *f = frame;
    async_queue *q = f->queue;
    int r;

    switch (f->_state) {
    case 0:
        if (q == NULL)
            return async__wait_fail(&f->_state, ASYNC_EINVAL);
        if (q->unfinished > 0)
            return async__wait_start(&q->joiners, &f->waiter, &f->_state);
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
