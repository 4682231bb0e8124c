/*
 * dump.c -- where every task waits: async_dump_tasks, and the same on a
 * signal, async_dump_on_signal's or SIGQUIT in debug builds (like
 * asyncio's all_tasks and Task.print_stack, for a program that hangs;
 * ASYNCRT_DEBUG=1 turns the SIGQUIT dump on in release builds too).
 *
 * A frame starts with its state (0 before it starts, -1 done, N waiting
 * at its N-th await).  The generated NAME__run, NAME__spawn and starters
 * register, once, NAME's where table (async__where_register), so a root's state
 * can be shown as file:line; the table also says where each await's
 * callee frame is and points to the callee's table, so the dump follows
 * the chain of awaited frames to the innermost.  The register is a fixed
 * table: registering allocates nothing, and functions past its size are
 * shown by state number alone.
 */
#include "internal.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    WHERE_MAX = 1024, /* registered functions */
    DEPTH_MAX = 64    /* awaited frames shown below a root */
};

/* Written under the lock by the loops of any thread; read by the dump
 * of one of them, up to the count it loads. */
static const async__where *wheres[WHERE_MAX];
static _Atomic unsigned nwheres;
static pthread_mutex_t wheres_mu = PTHREAD_MUTEX_INITIALIZER;

void async__where_register(const async__where *w) {
    unsigned n;

    pthread_mutex_lock(&wheres_mu);
    n = atomic_load_explicit(&nwheres, memory_order_relaxed);
    for (unsigned i = 0; i < n; i++)
        if (wheres[i] == w)
            goto out;
    if (n < WHERE_MAX) {
        wheres[n] = w;
        atomic_store_explicit(&nwheres, n + 1, memory_order_release);
    }
out:
    pthread_mutex_unlock(&wheres_mu);
}

static const async__where *where_of(const char *name) {
    unsigned n = atomic_load_explicit(&nwheres, memory_order_acquire);

    for (unsigned i = 0; name != NULL && i < n; i++)
        if (strcmp(wheres[i]->name, name) == 0)
            return wheres[i];
    return NULL;
}

/* The frame and table of what `frame` (of function `w`, at `state`)
 * awaits, when that is a generated function whose table is known;
 * *frame is NULL when there is none. */
static const async__where *awaited(const async__where *w, int state,
                                   const void **frame) {
    const async__where_state *st = &w->states[state];
    const char *at = (const char *)*frame + st->child;
    const void *child = NULL;
    const char *name = st->callee;

    switch (st->kind) {
    case ASYNC__WHERE_FRAME:
        child = at;
        break;
    case ASYNC__WHERE_POINTER:
        memcpy(&child, at, sizeof child);
        break;
    case ASYNC__WHERE_AFN:
        memcpy(&child, at, sizeof child);
        name = child != NULL ? ASYNC__AFN_OF(child)->fn.name : NULL;
        break;
    default:
        break;
    }
    *frame = child;
    if (child == NULL)
        return NULL;
    return st->where != NULL ? st->where : where_of(name);
}

/* The awaits under a root frame, one line each, innermost last, as far
 * as the generated tables tell: "    in 'f': state 2, waiting at
 * file:line". */
static void dump_chain(int fd, const async__where *w, const void *frame,
                       int state) {
    for (int depth = 0; depth < DEPTH_MAX; depth++) {
        const async__where *cw = awaited(w, state, &frame);
        int cstate;

        if (cw == NULL)
            return;
        memcpy(&cstate, frame, sizeof cstate);
        if (cstate <= 0 || (unsigned)cstate >= cw->n)
            return; /* not started or done: it is not waiting */
        dprintf(fd, "    in '%s': state %d, waiting at %s:%u\n", cw->name,
                cstate, cw->file, cw->states[cstate].line);
        w = cw;
        state = cstate;
    }
}

static void dump_one(async_task *t, int is_root, void *arg) {
    int fd = *(int *)arg;
    const int *frame = (t->flags & ASYNC__TASK_DONE)
                           ? NULL
                           : (const int *)async__task_frame_of(t);
    int state = frame != NULL ? *frame : 0;
    const async__where *w = where_of(t->fn->name);
    const char *what = is_root ? "main" : "task";
    const char *cancel =
        (t->flags & ASYNC__TASK_CANCEL) ? " (cancel requested)" : "";

    if (t == async__running)
        dprintf(fd, "  %s '%s': running (this dump is its call)\n", what,
                async__task_name(t));
    else if (t->flags & ASYNC__TASK_DONE)
        dprintf(fd, "  %s '%s': finished%s\n", what, async__task_name(t),
                t->error < 0 ? " (failed)" : "");
    else if (state == 0)
        dprintf(fd, "  %s '%s': not started\n", what, async__task_name(t));
    else if (w != NULL && state > 0 && (unsigned)state < w->n) {
        dprintf(fd, "  %s '%s': state %d, waiting at %s:%u%s\n", what,
                async__task_name(t), state, w->file, w->states[state].line,
                cancel);
        dump_chain(fd, w, frame, state);
    } else
        dprintf(fd, "  %s '%s': state %d%s\n", what, async__task_name(t), state,
                cancel);
}

struct task_list {
    async_task **tasks;
    size_t n, cap;
};

static void collect_one(async_task *t, int is_root, void *arg) {
    struct task_list *l = arg;

    if (l->n < l->cap)
        l->tasks[l->n] = is_root ? NULL : t; /* NULL: the main task */
    l->n++;
}

/* By function name, then where the allocator put them; the main task
 * (NULL) first. */
static int by_name(const void *a, const void *b) {
    const async_task *x = *(async_task *const *)a;
    const async_task *y = *(async_task *const *)b;
    int c;

    if (x == NULL || y == NULL)
        return (y == NULL) - (x == NULL);
    c = strcmp(async__task_name(x), async__task_name(y));
    if (c != 0)
        return c;
    return (x > y) - (x < y);
}

int async_dump_tasks(int fd) {
    struct task_list l = {NULL, 0, 0};
    async_task *root = NULL;

    async__loop_each_task(collect_one, &l);
    if (l.n == 0)
        return 0;
    dprintf(fd, "asyncrt: %zu task%s\n", l.n, l.n == 1 ? "" : "s");
    /* Sorted when there is memory for the list; in the allocator's
     * order when not. */
    l.tasks = malloc(l.n * sizeof *l.tasks);
    if (l.tasks == NULL) {
        async__loop_each_task(dump_one, &fd);
        return (int)l.n;
    }
    l.cap = l.n;
    l.n = 0;
    async__loop_each_task(collect_one, &l);
    qsort(l.tasks, l.n, sizeof *l.tasks, by_name);
    for (size_t i = 0; i < l.n; i++) {
        if (l.tasks[i] == NULL) {
            root = async__loop_root();
            dump_one(root, 1, &fd);
        } else {
            dump_one(l.tasks[i], 0, &fd);
        }
    }
    free(l.tasks);
    return (int)l.n;
}

/* The SIGQUIT dump is on in debug builds (without NDEBUG), and in any
 * build when ASYNCRT_DEBUG is set to something other than 0. */
static int dump_on_quit(void) {
    const char *v = getenv("ASYNCRT_DEBUG");

    if (v != NULL && *v != '\0')
        return strcmp(v, "0") != 0;
#ifdef NDEBUG
    return 0;
#else
    return 1;
#endif
}

/* The signal only sets a flag: the loop, woken from its wait (epoll
 * returns EINTR), prints the dump between passes, where every task is at
 * rest.  With loops in several threads (async_run_loops) the handler is
 * installed by the first run to begin and restored by the last to end,
 * and each loop that sees the flag before one of them clears it dumps
 * its own tasks.  The flag stays a plain volatile: the loop tests it on
 * every pass, and an atomic load there costs the fastest path three
 * instructions of its 160. */
volatile sig_atomic_t async__dump_requested;
static pthread_mutex_t quit_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned quit_users; /* runs between arm and disarm */
static struct sigaction quit_before;
static int quit_armed;     /* the signal our handler is installed for */
static int dump_signo = 0; /* async_dump_on_signal's choice, -1: none */
static int dump_chosen;    /* async_dump_on_signal was called */

static void on_quit(int signo) {
    (void)signo;
    async__dump_requested = 1;
}

static void install_locked(void) {
    struct sigaction sa;
    int signo = dump_chosen ? dump_signo : (dump_on_quit() ? SIGQUIT : 0);

    if (signo <= 0 || quit_armed || sigaction(signo, NULL, &quit_before) != 0)
        return;
    /* The environment's default leaves a program's own SIGQUIT
     * disposition alone; async_dump_on_signal is the program's own. */
    if (!dump_chosen && quit_before.sa_handler != SIG_DFL)
        return;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_quit;
    sigemptyset(&sa.sa_mask);
    if (sigaction(signo, &sa, NULL) == 0)
        quit_armed = signo;
}

static void restore_locked(void) {
    if (quit_armed)
        sigaction(quit_armed, &quit_before, NULL);
    quit_armed = 0;
}

void async__dump_arm(void) {
    pthread_mutex_lock(&quit_mu);
    if (quit_users++ == 0)
        install_locked();
    pthread_mutex_unlock(&quit_mu);
}

void async__dump_disarm(void) {
    pthread_mutex_lock(&quit_mu);
    if (quit_users > 0 && --quit_users == 0) {
        restore_locked();
        async__dump_requested = 0;
    }
    pthread_mutex_unlock(&quit_mu);
}

int async_dump_on_signal(int signo) {
    if (signo < 0 || signo >= NSIG || signo == SIGKILL || signo == SIGSTOP)
        return ASYNC_EINVAL;
    pthread_mutex_lock(&quit_mu);
    dump_chosen = 1;
    dump_signo = signo;
    if (quit_users > 0) { /* runs in progress: now */
        restore_locked();
        install_locked();
    }
    pthread_mutex_unlock(&quit_mu);
    return 0;
}

void async__dump_now(void) {
    async__dump_requested = 0;
    async_dump_tasks(STDERR_FILENO);
}
