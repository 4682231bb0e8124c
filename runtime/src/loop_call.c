/*
 * loop_call.c -- async_loop_call: an async function run as a task of
 * another loop, its result awaited by the caller.
 *
 * The call's record lives in the caller's frame and travels by three
 * requests (remote.h): `start` to the target, which spawns the task and
 * puts a waiter node on it; `cancel` to the target, when the caller is
 * cancelled; `done` back to the caller once the task has finished.  The
 * record must outlive every request queued on it, so:
 * - the caller ends its await only after `done` (or after withdrawing
 *   `start` before the target took it: then nothing was started);
 * - the target sets `finished` and withdraws a queued `cancel` under its
 *   own lock before it sends `done`, and the caller queues `cancel`
 *   under the same lock only while `finished` is 0.
 * No lock is held while another loop's is taken.
 */
#include "internal.h"
#include "remote.h"

#include <errno.h>
#include <stddef.h>

#define CALL_OF(ptr, member)                                                   \
    ((async__loop_call *)(void *)((char *)(ptr)-offsetof(async__loop_call,     \
                                                         member)))

/* On the target's thread: the call has ended with `error` (result
 * stored already); tells the caller.  `c` is not touched afterwards. */
static void call_finish(async_loop *l, async__loop_call *c, int error) {
    c->error = error;
    pthread_mutex_lock(&l->mu);
    c->finished = 1;
    (void)async__remote_withdraw_locked(l, &c->cancel);
    pthread_mutex_unlock(&l->mu);
    if (c->caller == l) {
        c->got_done = 1;
        async__wake(c->waiting);
    } else {
        (void)async__remote_push(c->caller, &c->done);
    }
}

static void calls_unlink(async_loop *l, async__loop_call *c) {
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        l->calls = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    c->next = c->prev = NULL;
}

/* The task's end, on the target: its result, then the answer. */
static void call_task_done(async__waiter *node, async_task *t) {
    async__loop_call *c = CALL_OF(node, node);
    async_loop *l = c->target;

    c->result = 0;
    if (t->error == 0 && t->fn->result_size == sizeof(int))
        c->result = *(const int *)(const void *)async__task_result_at(t);
    calls_unlink(l, c);
    call_finish(l, c, t->error);
}

static void call_start(async_loop *l, async__loop_call *c) {
    async_task *t;

    (void)c->fn(c->arg);
    if ((t = async__afn_spawn()) == NULL) {
        call_finish(l, c, ASYNC_ENOMEM);
        return;
    }
    c->node.on_done = call_task_done;
    async__waiter_link(t, &c->node, 1);
    c->prev = NULL;
    c->next = l->calls;
    if (l->calls != NULL)
        l->calls->prev = c;
    l->calls = c;
    async_task_release(t);
}

void async__call_arrived(async_loop *l, async__remote *r, int closing) {
    async__loop_call *c;

    switch (r->kind) {
    case ASYNC__REMOTE_START:
        c = CALL_OF(r, start);
        if (closing)
            call_finish(l, c, -ESHUTDOWN);
        else
            call_start(l, c);
        break;
    case ASYNC__REMOTE_CANCEL:
        /* Queued only while the call was not finished, and withdrawn
         * when it finished since: its task runs. */
        c = CALL_OF(r, cancel);
        (void)async_cancel(c->node.of);
        break;
    default: /* ASYNC__REMOTE_DONE, on the caller's loop */
        c = CALL_OF(r, done);
        c->got_done = 1;
        async__wake(c->waiting);
        break;
    }
}

void async__calls_abandon(async_loop *l) {
    while (l->calls != NULL) {
        async__loop_call *c = l->calls;

        calls_unlink(l, c);
        async__waiter_unlink(&c->node);
        c->result = 0;
        call_finish(l, c, ASYNC_ECANCELED);
    }
}

void async_loop_call__init(struct async_loop_call__frame *f, async_loop *loop,
                           int (*fn)(void *arg), void *arg) {
    async__loop_call *c = &f->call;

    f->_state = 0;
    memset(c, 0, sizeof(*c));
    c->start.kind = ASYNC__REMOTE_START;
    c->cancel.kind = ASYNC__REMOTE_CANCEL;
    c->done.kind = ASYNC__REMOTE_DONE;
    c->target = loop;
    c->fn = fn;
    c->arg = arg;
    f->_ret = 0;
}

/* The caller was cancelled while the call runs: withdraw the start when
 * the target has not taken it (then the call is over), else ask the
 * target to cancel the task, unless it has finished. */
static void call_cancel(async__loop_call *c) {
    async_loop *l = c->target;
    int wake = 0;

    c->cancelled = 1;
    pthread_mutex_lock(&l->mu);
    if (async__remote_withdraw_locked(l, &c->start)) {
        c->finished = 1;
        c->got_done = 1;
        c->error = ASYNC_ECANCELED;
    } else if (!c->finished) {
        (void)async__remote_push_locked(l, &c->cancel, &wake);
    }
    pthread_mutex_unlock(&l->mu);
    if (wake)
        async__remote_notify(l);
}

int async_loop_call__resume(void *frame) {
    struct async_loop_call__frame *f = frame;
    async__loop_call *c = &f->call;
    int rc;

    switch (f->_state) {
    case 0:
        f->_state = -1;
        if (c->target == NULL || c->fn == NULL)
            return async__raise(ASYNC_EINVAL);
        if (async__cancel_seen())
            return ASYNC__FAILED;
        if ((c->caller = async__remote_self()) == NULL)
            return async__raise(ASYNC_ENOMEM);
        c->waiting = async__running;
        async__remote_ref(c->target);
        if ((rc = async__remote_push(c->target, &c->start)) != 0) {
            async__remote_unref(c->target);
            return async__raise(rc);
        }
        async__remote_wait_begin(c->caller);
        f->_state = 1;
        return ASYNC__PENDING;
    case 1:
        /* Polled for a cancellation, `done` may be queued still. */
        if (!c->got_done && async__remote_withdraw(c->caller, &c->done))
            c->got_done = 1;
        if (!c->got_done) {
            if (!c->cancelled && async__cancel_seen())
                call_cancel(c);
            if (!c->got_done)
                return ASYNC__PENDING;
        }
        f->_state = -1;
        async__remote_wait_end(c->caller);
        async__remote_unref(c->target);
        if (c->cancelled) {
            async__running->error = ASYNC_ECANCELED;
            return ASYNC__FAILED;
        }
        if (c->error != 0)
            return async__raise(c->error);
        f->_ret = c->result;
        return ASYNC__READY;
    default:
        return ASYNC__READY;
    }
}
