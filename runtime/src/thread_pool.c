/*
 * thread_pool.c -- async_to_thread(): calls run on a fixed pool of
 * worker threads while the loop goes on.
 *
 * The pool is process-wide: async_thread_count() threads, started at the
 * first call and joined by an atexit handler.  A call is an async__work
 * embedded in the awaiting frame (no allocation per call), queued FIFO
 * under the pool's mutex.  A worker takes one, runs fn(arg) without the
 * lock, then appends it to the done list of the loop thread that queued
 * it (its "home", one per thread) and writes that thread's eventfd.  The
 * loop watches the eventfd (only while calls of its own are
 * outstanding, so an idle loop with no calls still detects deadlocks);
 * when it fires, the loop takes the done list and wakes each awaiting
 * task, which then reads the result on the loop thread.
 *
 * Work states, changed under the mutex: QUEUED (in the queue), RUNNING
 * (a worker has it), DONE (on a done list).  A cancelled await of a
 * QUEUED call unlinks it; of a RUNNING one it must wait, since the
 * worker will write into the frame.  When async_run ends with calls
 * still outstanding, the loop's teardown drops the queued ones and
 * waits for the running ones, before the loop frees the frames.
 *
 * A call that lives apart from its frame (one with a `release`, as
 * async_getaddrinfo's request) need not be waited for: its await may
 * detach it (async__pool_detach) and end at once.  A detached call no
 * longer counts for its loop thread: the worker that finishes it frees
 * it, on its own thread, without touching the thread's home, which may
 * be gone by then; one already on a done list is freed by the loop when
 * collected.
 */
#include "internal.h"
#include "io.h"
#include "pool.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum { WORK_IDLE, WORK_QUEUED, WORK_RUNNING, WORK_DONE };

enum { MAX_THREADS = 256, DEFAULT_THREADS = 4 };

/* One per loop thread: where workers report finished calls. */
typedef struct async__notify {
    int efd;            /* eventfd, or -1 */
    async__watcher w;   /* the loop's watcher of efd */
    async__work *done;  /* finished, not yet collected (under mutex) */
    unsigned running;   /* calls of this thread a worker is running */
    size_t outstanding; /* calls queued, running or not collected */
} async__notify;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* work queued, or stopping */
    pthread_cond_t done_cv; /* a call finished */
    async__work *head, *tail;
    pthread_t threads[MAX_THREADS];
    int n_threads;
    int started; /* threads have been started (maybe 0 of them) */
    int stop;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER,
          .work_cv = PTHREAD_COND_INITIALIZER,
          .done_cv = PTHREAD_COND_INITIALIZER};

static _Thread_local async__notify home = {.efd = -1};

int async_thread_count(void) {
    const char *s = getenv("ASYNCRT_THREADS");
    char *end;
    long n;

    if (s == NULL || *s == '\0')
        return DEFAULT_THREADS;
    n = strtol(s, &end, 10);
    if (*end != '\0' || n < 1)
        return DEFAULT_THREADS;
    return n > MAX_THREADS ? MAX_THREADS : (int)n;
}

static void queue_unlink(async__work *w) {
    *w->prev = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    else
        pool.tail = w->prev == &pool.head
                        ? NULL
                        : (async__work *)((char *)w->prev -
                                          offsetof(async__work, next));
    w->next = NULL;
    w->prev = NULL;
}

static void *worker(void *unused) {
    /* Signals belong to the loop thread (signalfd, shutdown): a worker
     * must never be the thread a process-directed signal lands on. */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    (void)unused;
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        async__work *w;
        async__notify *h;
        uint64_t one = 1;

        while (pool.head == NULL && !pool.stop)
            pthread_cond_wait(&pool.work_cv, &pool.mu);
        if (pool.stop)
            break;
        w = pool.head;
        queue_unlink(w);
        w->state = WORK_RUNNING;
        h = w->home;
        h->running++;
        pthread_mutex_unlock(&pool.mu);

        w->result = w->fn(w->arg);

        pthread_mutex_lock(&pool.mu);
        if (w->detached) {
            /* Nobody waits for it: it counts for no home any more. */
            w->state = WORK_DONE;
            pthread_mutex_unlock(&pool.mu);
            w->release(w);
            pthread_mutex_lock(&pool.mu);
            continue;
        }
        w->state = WORK_DONE;
        w->next = h->done;
        h->done = w;
        h->running--;
        /* Written under the mutex: abandon closes efd under it too. */
        if (h->efd >= 0)
            (void)!write(h->efd, &one, sizeof(one));
        pthread_cond_broadcast(&pool.done_cv);
    }
    pthread_mutex_unlock(&pool.mu);
    return NULL;
}

static void pool_stop(void) {
    pthread_mutex_lock(&pool.mu);
    pool.stop = 1;
    pthread_cond_broadcast(&pool.work_cv);
    pthread_mutex_unlock(&pool.mu);
    for (int i = 0; i < pool.n_threads; i++)
        pthread_join(pool.threads[i], NULL);
    pool.n_threads = 0;
}

/* Starts the workers once, under the mutex (they wait for it before
 * looking at the queue).  Returns 0, or -errno when none could be
 * started. */
static int pool_start(void) {
    int n, rc = 0;

    if (pool.started)
        return pool.n_threads > 0 ? 0 : -EAGAIN;
    pool.started = 1;
    n = async_thread_count();
    for (int i = 0; i < n; i++) {
        rc = pthread_create(&pool.threads[pool.n_threads], NULL, worker, NULL);
        if (rc != 0)
            break;
        pool.n_threads++;
    }
    if (pool.n_threads == 0)
        return -rc;
    atexit(pool_stop);
    return 0;
}

/* The loop saw the eventfd readable: collect this thread's finished
 * calls and wake their tasks. */
static void on_done(async__watcher *watcher) {
    async__work *w, *next;
    uint64_t count;

    (void)watcher;
    (void)!read(home.efd, &count, sizeof(count));
    pthread_mutex_lock(&pool.mu);
    w = home.done;
    home.done = NULL;
    pthread_mutex_unlock(&pool.mu);
    for (; w != NULL; w = next) {
        next = w->next;
        w->next = NULL;
        w->collected = 1;
        home.outstanding--;
        if (w->detached)
            w->release(w);
        else
            async__wake(w->task);
    }
    if (home.outstanding == 0)
        async__unwatch(&home.w);
}

static void pool_abandon(void);
static _Thread_local async__loop_hook abandon_hook = {pool_abandon, NULL, 0};

int async__pool_submit(async__work *w) {
    int rc;

    pthread_mutex_lock(&pool.mu);
    rc = pool_start();
    pthread_mutex_unlock(&pool.mu);
    if (rc != 0)
        return rc;
    if (home.efd < 0) {
        home.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (home.efd < 0)
            return -errno;
    }
    async__loop_on_reset(&abandon_hook);
    if (!home.w.active) {
        home.w.fd = home.efd;
        home.w.events = ASYNC__IO_IN;
        home.w.task = NULL;
        home.w.on_ready = on_done;
        if ((rc = async__watch(&home.w)) != 0)
            return rc;
    }
    home.outstanding++;
    w->home = &home;
    w->task = async__running;
    w->collected = 0;
    pthread_mutex_lock(&pool.mu);
    w->state = WORK_QUEUED;
    w->next = NULL;
    if (pool.tail != NULL) {
        w->prev = &pool.tail->next;
        pool.tail->next = w;
    } else {
        w->prev = &pool.head;
        pool.head = w;
    }
    pool.tail = w;
    pthread_cond_signal(&pool.work_cv);
    pthread_mutex_unlock(&pool.mu);
    return 0;
}

int async__pool_withdraw(async__work *w) {
    int queued;

    pthread_mutex_lock(&pool.mu);
    queued = w->state == WORK_QUEUED;
    if (queued) {
        queue_unlink(w);
        w->state = WORK_IDLE;
    }
    pthread_mutex_unlock(&pool.mu);
    if (queued && --home.outstanding == 0)
        async__unwatch(&home.w);
    return queued;
}

void async__pool_detach(async__work *w) {
    int state;

    pthread_mutex_lock(&pool.mu);
    state = w->state;
    if (state == WORK_QUEUED) {
        queue_unlink(w);
        w->state = WORK_IDLE;
    } else if (state == WORK_RUNNING) {
        w->detached = 1;
        w->home->running--;
    } else if (state == WORK_DONE && !w->collected) {
        w->detached = 1; /* on the done list: on_done frees it */
    }
    pthread_mutex_unlock(&pool.mu);
    if (state == WORK_QUEUED || state == WORK_RUNNING) {
        if (--home.outstanding == 0)
            async__unwatch(&home.w);
    }
    if (state == WORK_QUEUED || state == WORK_IDLE ||
        (state == WORK_DONE && w->collected))
        w->release(w);
}

/* The loop's teardown (async_run returning with calls outstanding):
 * drops this thread's queued calls and waits for its running ones,
 * whose frames are about to be freed.  Calls with a `release` are freed
 * (their frames go without resuming), detached ones on the done list
 * too. */
static void pool_abandon(void) {
    async__work *w, *next, *dropped = NULL;

    if (home.efd < 0)
        return;
    async__unwatch(&home.w);
    pthread_mutex_lock(&pool.mu);
    for (w = pool.head; w != NULL; w = next) {
        next = w->next;
        if (w->home == &home) {
            queue_unlink(w);
            w->state = WORK_IDLE;
            w->next = dropped;
            dropped = w;
        }
    }
    while (home.running > 0)
        pthread_cond_wait(&pool.done_cv, &pool.mu);
    for (w = home.done; w != NULL; w = next) {
        next = w->next;
        w->next = dropped;
        dropped = w;
    }
    home.done = NULL;
    close(home.efd);
    home.efd = -1;
    pthread_mutex_unlock(&pool.mu);
    home.outstanding = 0;
    for (w = dropped; w != NULL; w = next) {
        next = w->next;
        if (w->release != NULL)
            w->release(w);
    }
}

void async_to_thread__init(struct async_to_thread__frame *f,
                           void *(*fn)(void *), void *arg) {
    f->_state = 0;
    f->cancelled = 0;
    f->work.fn = fn;
    f->work.arg = arg;
    f->work.result = NULL;
    f->work.next = NULL;
    f->work.prev = NULL;
    f->work.home = NULL;
    f->work.task = NULL;
    f->work.state = WORK_IDLE;
    f->work.collected = 0;
    f->work.detached = 0;
    f->work.release = NULL;
    f->_ret = NULL;
}

/* States: 0 = not started; 1 = submitted, waiting for the loop to
 * collect it; -1 = done.  `cancelled` remembers a cancellation that came
 * while fn was running. */
int async_to_thread__resume(void *frame) {
    struct async_to_thread__frame *f = frame;
    int rc;

    switch (f->_state) {
    case 0:
        assert(async__running != NULL && "async_to_thread outside a task");
        if (f->work.fn == NULL) {
            f->_state = -1;
            return async__raise(ASYNC_EINVAL);
        }
        if (async__cancel_seen()) {
            f->_state = -1;
            return ASYNC__FAILED;
        }
        if ((rc = async__pool_submit(&f->work)) != 0) {
            f->_state = -1;
            return async__raise(rc);
        }
        f->_state = 1;
        return ASYNC__PENDING;
    case 1:
        if (!f->work.collected) {
            if (!f->cancelled && async__cancel_seen()) {
                if (async__pool_withdraw(&f->work)) {
                    f->_state = -1;
                    return ASYNC__FAILED;
                }
                /* Running: wait for it, then fail. */
                f->cancelled = 1;
            }
            return ASYNC__PENDING;
        }
        f->_state = -1;
        if (f->cancelled)
            return async__raise(ASYNC_ECANCELED);
        f->_ret = f->work.result;
        return ASYNC__READY;
    default:
        return ASYNC__READY;
    }
}

/* ------------------------------------------------------------------ */
/* Regular files                                                       */
/* ------------------------------------------------------------------ */

static void *file_read_call(void *arg) {
    struct async_file_read__frame *f = arg;
    ssize_t r;

    do
        r = pread(f->fd, f->buf, f->n, f->offset);
    while (r < 0 && errno == EINTR);
    f->got = r < 0 ? -errno : r;
    return NULL;
}

void async_file_read__init(struct async_file_read__frame *f, int fd, void *buf,
                           size_t n, off_t offset) {
    f->_state = 0;
    f->fd = fd;
    f->buf = buf;
    f->n = n;
    f->offset = offset;
    f->got = 0;
    f->_ret = 0;
}

/* The poll shared by the file awaitables: run `call` (fn(frame)) on a
 * worker, then turn its outcome (`*outcome`: a count or -errno) into the
 * await's result. */
static int file_op_resume(int *state, struct async_to_thread__frame *call,
                          void *(*fn)(void *), void *frame, const void *buf,
                          const ssize_t *outcome, ssize_t *ret) {
    int rc;

    switch (*state) {
    case 0:
        if (buf == NULL) {
            *state = -1;
            return async__raise(ASYNC_EINVAL);
        }
        async_to_thread__init(call, fn, frame);
        *state = 1;
        /* fall through */
    case 1:
        rc = async_to_thread__resume(call);
        if (rc == ASYNC__PENDING)
            return rc;
        *state = -1;
        if (rc == ASYNC__FAILED)
            return rc;
        if (*outcome < 0)
            return async__raise((int)*outcome);
        *ret = *outcome;
        return ASYNC__READY;
    default:
        return ASYNC__READY;
    }
}

int async_file_read__resume(void *frame) {
    struct async_file_read__frame *f = frame;

    return file_op_resume(&f->_state, &f->call, file_read_call, f, f->buf,
                          &f->got, &f->_ret);
}

static void *file_write_call(void *arg) {
    struct async_file_write__frame *f = arg;
    const char *p = f->buf;
    size_t left = f->n;

    while (left > 0) {
        ssize_t w = pwrite(f->fd, p, left, f->offset + (off_t)(f->n - left));

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            f->done = w < 0 ? -errno : -EIO;
            return NULL;
        }
        p += w;
        left -= (size_t)w;
    }
    f->done = (ssize_t)f->n;
    return NULL;
}

void async_file_write__init(struct async_file_write__frame *f, int fd,
                            const void *buf, size_t n, off_t offset) {
    f->_state = 0;
    f->fd = fd;
    f->buf = buf;
    f->n = n;
    f->offset = offset;
    f->done = 0;
    f->_ret = 0;
}

int async_file_write__resume(void *frame) {
    struct async_file_write__frame *f = frame;

    return file_op_resume(&f->_state, &f->call, file_write_call, f, f->buf,
                          &f->done, &f->_ret);
}
