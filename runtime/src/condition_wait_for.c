/*
 * condition_wait_for.c -- async_condition_wait_for (asyncio's
 * Condition.wait_for): async_condition_wait in a loop around a
 * predicate, as one awaitable so that callers need not write the loop.
 *
 * The predicate runs with the lock held: before the first wait, and
 * after each wait has re-acquired the lock.  The inner wait's frame is
 * embedded, so a cancelled wait has re-acquired the lock by the time
 * its failure reaches this frame.
 */
#include "internal.h"
#include "wait_list.h"

void async_condition_wait_for__init(struct async_condition_wait_for__frame *f,
                                    async_condition *c, int (*pred)(void *arg),
                                    void *arg) {
    f->_state = 0;
    f->cond = c;
    f->pred = pred;
    f->arg = arg;
    f->_ret = 0;
}

/* States: 0 = not started; 1 = in the inner wait; -1 = done. */
int async_condition_wait_for__resume(void *frame) {
    struct async_condition_wait_for__frame *f = frame;
    async_condition *c = f->cond;
    int r, v;

    switch (f->_state) {
    case 0:
        if (c == NULL || f->pred == NULL || !c->lock->locked)
            return async__wait_fail(&f->_state, ASYNC_EINVAL);
        break;
    case 1:
        r = async_condition_wait__resume(&f->wait);
        if (r == ASYNC__PENDING)
            return r;
        if (r == ASYNC__FAILED) {
            f->_state = -1;
            return r;
        }
        break;
    default:
        return ASYNC__READY;
    }
    /* A wait that completes at once (it never does, but for a
     * cancellation before it waits) goes round without suspending. */
    for (;;) {
        if ((v = f->pred(f->arg)) != 0) {
            f->_ret = v;
            return async__wait_done(&f->_state);
        }
        async_condition_wait__init(&f->wait, c);
        f->_state = 1;
        r = async_condition_wait__resume(&f->wait);
        if (r == ASYNC__PENDING)
            return r;
        if (r == ASYNC__FAILED) {
            f->_state = -1;
            return r;
        }
    }
}
