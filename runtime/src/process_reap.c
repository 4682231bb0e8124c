/*
 * process_reap.c -- the registry of the children asyncrt started, one
 * per loop thread, and their reaping.
 *
 * Every child is reaped as soon as it exits, whether a task waits for
 * it or not, so none stays a zombie.  With a pidfd, a plain watcher on
 * it (readable once the child has exited) reaps from its on_ready; it is
 * quiet (io.h) while no task waits for the child, so a child nobody
 * awaits neither hides a deadlock nor keeps async_run from ending.
 * Without pidfds, one timer polls every running child with
 * waitpid(WNOHANG), backing off from 1 ms to 50 ms.
 *
 * The teardown (async_run returning) kills what still runs with SIGKILL,
 * reaps it with a blocking waitpid (a killed child goes at once), and
 * frees every process object of the run.
 */
#include "process.h"
#include "wait_list.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define POLL_MIN_NS 1000000u  /* 1 ms */
#define POLL_MAX_NS 50000000u /* 50 ms */

typedef struct registry {
    async_process *head;
    async__timer poll; /* the fallback's polling, a call timer */
    uint64_t poll_ns;  /* its current period */
    size_t n_polled;   /* running children without a pidfd */
} registry;

static _Thread_local registry R = {NULL, {.index = ASYNC__TIMER_NONE}, 0, 0};

int async__process_status(int wstatus) {
    if (WIFSIGNALED(wstatus))
        return -WTERMSIG(wstatus);
    return WEXITSTATUS(wstatus);
}

static void on_poll(async__timer *timer);

static void poll_arm(void) {
    async__timer_stop(&R.poll);
    /* Out of memory, the next spawn or wait tries again. */
    (void)async__timer_start_call(&R.poll, async__deadline_in(R.poll_ns),
                                  on_poll);
}

void async__process_poll_soon(void) {
    if (R.n_polled == 0)
        return;
    R.poll_ns = POLL_MIN_NS;
    poll_arm();
}

static void on_poll(async__timer *timer) {
    async_process *p, *next;

    (void)timer;
    for (p = R.head; p != NULL; p = next) {
        next = p->next; /* p may be freed */
        if (p->pidfd < 0 && p->state == ASYNC__PROC_RUNNING)
            (void)async__process_reap(p);
    }
    if (R.n_polled == 0)
        return;
    R.poll_ns = R.poll_ns * 2 < POLL_MAX_NS ? R.poll_ns * 2 : POLL_MAX_NS;
    poll_arm();
}

static void unwatch(async_process *p) {
    async__unwatch(&p->w);
    if (p->pidfd >= 0) {
        close(p->pidfd);
        p->pidfd = -1;
    } else if (p->state == ASYNC__PROC_RUNNING) {
        R.n_polled--;
    }
}

/* The child is gone: its status is known (or lost), its waiters go. */
static void settle(async_process *p, int state, int status) {
    unwatch(p);
    p->state = (unsigned char)state;
    p->status = status;
    while (async__wait_settle_first(&p->waiters, ASYNC__SYNC_GRANTED) != NULL)
        ;
    if (p->released)
        async__process_free(p);
}

int async__process_reap(async_process *p) {
    int wstatus;
    pid_t r;

    if (p->state != ASYNC__PROC_RUNNING)
        return 1;
    while ((r = waitpid(p->pid, &wstatus, WNOHANG)) < 0 && errno == EINTR)
        ;
    if (r == 0)
        return 0;
    if (r < 0)
        settle(p, ASYNC__PROC_LOST, 0);
    else
        settle(p, ASYNC__PROC_REAPED, async__process_status(wstatus));
    return 1;
}

static void on_ready(async__watcher *w) {
    async_process *p =
        (async_process *)((char *)w - offsetof(async_process, w));

    (void)async__process_reap(p);
}

void async__process_watch_update(async_process *p) {
    uint8_t events = ASYNC__IO_IN;

    if (p->pidfd < 0 || p->state != ASYNC__PROC_RUNNING)
        return;
    if (p->waiters.head == NULL)
        events |= ASYNC__IO_QUIET;
    if (p->w.active && p->w.events == events)
        return;
    async__unwatch(&p->w);
    p->w.events = events;
    /* The watch of a pidfd fails only out of memory: then reaping falls
     * back to the polling. */
    if (async__watch(&p->w) != 0) {
        close(p->pidfd);
        p->pidfd = -1;
        R.n_polled++;
        async__process_poll_soon();
    }
}

void async__process_free(async_process *p) {
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        R.head = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    if (p->state == ASYNC__PROC_RUNNING)
        unwatch(p);
    for (int i = 0; i < 3; i++)
        if (p->fds[i] >= 0)
            close(p->fds[i]);
    free(p);
}

/* The end of async_run: the frames of the waiters are going, and so are
 * the children that still run. */
static void teardown(void) {
    while (R.head != NULL) {
        async_process *p = R.head;
        int wstatus;
        pid_t r;

        p->waiters.head = p->waiters.tail = NULL;
        if (p->state == ASYNC__PROC_RUNNING) {
            int killed = -1;
#ifdef SYS_pidfd_send_signal
            if (p->pidfd >= 0)
                killed = (int)syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL,
                                      NULL, 0);
#endif
            if (killed != 0)
                (void)kill(p->pid, SIGKILL);
            while ((r = waitpid(p->pid, &wstatus, 0)) < 0 && errno == EINTR)
                ;
            unwatch(p);
            p->state = ASYNC__PROC_REAPED;
        }
        async__process_free(p);
    }
    /* The loop has freed its timers. */
    R.poll.index = ASYNC__TIMER_NONE;
    R.n_polled = 0;
}

static _Thread_local async__loop_hook hook = {teardown, NULL, 0};

void async__process_add(async_process *p) {
    p->prev = NULL;
    p->next = R.head;
    if (R.head != NULL)
        R.head->prev = p;
    R.head = p;
    async__wait_list_init(&p->waiters);
    async__loop_on_reset(&hook);
    p->w.fd = p->pidfd;
    p->w.events = 0;
    p->w.ready = 0;
    p->w.active = 0;
    p->w.task = NULL;
    p->w.on_ready = on_ready;
    if (p->pidfd >= 0) {
        async__io_fresh(p->pidfd);
        async__process_watch_update(p);
    } else {
        R.n_polled++;
        async__process_poll_soon();
    }
}
