/*
 * loop_group.c -- async_run_loops: one loop per thread, pinned to a CPU
 * each, started together and joined together.
 *
 * Every loop's object (remote.h) exists before any loop starts, so a
 * loop reaches any other from its first step.  A loop's main is started
 * through its function pointer's starter (async.h) on the loop's own
 * thread, whose task allocator the frame comes from; the frame is moved
 * into a block of its own (nothing points into a frame before its first
 * resume) because the run frees the allocator's memory as it ends, and
 * the result is read after that.
 */
#include "internal.h"
#include "remote.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_LOOPS = 1024 };

typedef struct member {
    async__loop_group *group;
    int index;
    int cpu; /* to pin to, or -1 */
    /* The starter of the async function (async.h), called as the plain
     * function it is. */
    int (*main)(int loop, void *arg);
    void *arg;
    int result;
    pthread_t thread;
    /* The start line: no loop runs before every thread exists. */
    pthread_mutex_t *mu;
    pthread_cond_t *cv;
    int *go; /* 1: run, -1: a thread could not be started */
} member;

int async_loop_cpus(void) {
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}

/* The i-th CPU of the process's affinity mask, or -1. */
static int nth_cpu(int i) {
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return -1;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &set) && i-- == 0)
            return cpu;
    return -1;
}

static void pin(int cpu) {
    cpu_set_t set;

    if (cpu < 0)
        return;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* One loop's run in the calling thread: main(index, arg) as async_run
 * would run it. */
static int run_main(member *m) {
    const async__afn *d;
    void *frame, *own;
    size_t align;
    int rc;

    (void)m->main(m->index, m->arg);
    frame = async__afn_take();
    d = ASYNC__AFN_OF(frame);
    align = d->fn.frame_align > 16 ? d->fn.frame_align : 16;
    own = aligned_alloc(align, (d->frame_size + align - 1) / align * align);
    if (own == NULL) {
        async__afn_free(frame);
        return ASYNC_ENOMEM;
    }
    memcpy(own, frame, d->frame_size);
    async__afn_free(frame);
    rc = async__run(d->fn.poll, own, d->fn.name);
    if (rc == 0 && d->fn.result_size == sizeof(int))
        memcpy(&rc, (char *)own + d->fn.result_offset, sizeof(int));
    free(own);
    return rc;
}

static int wait_for_start(member *m) {
    int go;

    pthread_mutex_lock(m->mu);
    while (*m->go == 0)
        pthread_cond_wait(m->cv, m->mu);
    go = *m->go;
    pthread_mutex_unlock(m->mu);
    return go;
}

static void *loop_thread(void *arg) {
    member *m = arg;
    sigset_t shutdown;

    /* async_shutdown_on_signals belongs to loop 0's thread: a SIGINT or
     * SIGTERM must reach its signalfd, never end the process here. */
    sigemptyset(&shutdown);
    sigaddset(&shutdown, SIGINT);
    sigaddset(&shutdown, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &shutdown, NULL);
    pin(m->cpu);
    if (wait_for_start(m) > 0) {
        async__loop_self = m->group->loops[m->index];
        m->result = run_main(m);
    }
    return NULL;
}

int async_run_loops(int n, async_loop_main *main, void *arg, int *results) {
    async__loop_group g;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    member *members;
    int go = 0, started = 0, rc = 0, cpus = async_loop_cpus();
    const char *no_pin = getenv("ASYNCRT_NO_PIN");
    int pinning;

    if (main == NULL || n > MAX_LOOPS)
        return ASYNC_EINVAL;
    if (async__loop_root() != NULL)
        return -EBUSY;
    if (n <= 0)
        n = cpus;
    pinning = n <= cpus && !(no_pin != NULL && strcmp(no_pin, "1") == 0);
    members = calloc((size_t)n, sizeof(*members));
    g.loops = calloc((size_t)n, sizeof(*g.loops));
    g.n = n;
    atomic_init(&g.running, n);
    if (members == NULL || g.loops == NULL) {
        free(members);
        free(g.loops);
        return ASYNC_ENOMEM;
    }
    for (int i = 0; i < n && rc == 0; i++) {
        if ((g.loops[i] = async__remote_new()) == NULL) {
            rc = ASYNC_ENOMEM;
            break;
        }
        g.loops[i]->group = &g;
        g.loops[i]->index = i;
        members[i] = (member){.group = &g,
                              .index = i,
                              .cpu = pinning ? nth_cpu(i) : -1,
                              .main = (int (*)(int, void *))main,
                              .arg = arg,
                              .mu = &mu,
                              .cv = &cv,
                              .go = &go};
    }
    for (int i = 1; i < n && rc == 0; i++) {
        int err =
            pthread_create(&members[i].thread, NULL, loop_thread, &members[i]);
        if (err != 0)
            rc = -EAGAIN;
        else
            started = i;
    }
    pthread_mutex_lock(&mu);
    go = rc == 0 ? 1 : -1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    if (rc == 0) {
        int cpu0 = members[0].cpu;
        cpu_set_t before;
        int restore =
            cpu0 >= 0 && sched_getaffinity(0, sizeof(before), &before) == 0;

        pin(cpu0);
        async__loop_self = g.loops[0];
        members[0].result = run_main(&members[0]);
        async__remote_end();
        /* The calling thread goes back to the CPUs it had. */
        if (restore)
            (void)pthread_setaffinity_np(pthread_self(), sizeof(before),
                                         &before);
    }
    for (int i = 1; i <= started; i++)
        pthread_join(members[i].thread, NULL);
    for (int i = 0; i < n; i++) {
        if (rc == 0 && results != NULL)
            results[i] = members[i].result;
        if (g.loops[i] != NULL)
            async__remote_unref(g.loops[i]);
    }
    free(members);
    free(g.loops);
    return rc;
}
