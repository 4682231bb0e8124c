/*
 * alloc_faults.c -- allocation failure injection.  malloc, calloc,
 * realloc and aligned_alloc (the task allocator's 2 MiB chunks) are
 * wrapped at link time, free too.  The same scenario runs once per k =
 * 1, 2, ...: the k-th allocation of the run fails, until a run makes
 * fewer than k allocations; then again with every allocation from the
 * k-th on failing.  The scenario spawns small and large-frame tasks
 * that sleep (task chunks, split frames, timer arrays), producers and
 * consumers on a queue, gathers, async_wait_for and async_timeout
 * deadlines (hundreds at once, most stopped early), async_to_thread calls (the
 * loop's descriptor table), an async_serve echo server with clients (a node per
 * connection) and a task dump.  Each run must end, with every operation either
 * succeeding with the right result or failing with the code its API documents
 * for a lack of memory, and with every block freed once async_run returns.
 */
#include <async.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t a, size_t n);
void __wrap_free(void *p);

/* Worker threads may allocate too: the counters are atomic. */
static long calls;     /* allocation calls in this run */
static long fail_from; /* the first call to fail; 0: none */
static int fail_once;  /* fail that call only, not the ones after it */
static long injected;  /* calls failed */
static long live;      /* blocks allocated and not freed */

static int fail_now(void) {
    long n = __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);

    if (fail_from == 0 || n < fail_from || (fail_once && n > fail_from))
        return 0;
    __atomic_add_fetch(&injected, 1, __ATOMIC_RELAXED);
    errno = ENOMEM;
    return 1;
}

static void *counted(void *p) {
    if (p != NULL)
        __atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
    return p;
}

void *__wrap_malloc(size_t n) {
    return fail_now() ? NULL : counted(__real_malloc(n));
}

void *__wrap_calloc(size_t k, size_t n) {
    return fail_now() ? NULL : counted(__real_calloc(k, n));
}

void *__wrap_aligned_alloc(size_t a, size_t n) {
    return fail_now() ? NULL : counted(__real_aligned_alloc(a, n));
}

void *__wrap_realloc(void *p, size_t n) {
    void *q;

    if (fail_now())
        return NULL;
    q = __real_realloc(p, n);
    if (p == NULL)
        counted(q);
    else if (q == NULL && n == 0)
        __atomic_sub_fetch(&live, 1, __ATOMIC_RELAXED);
    return q;
}

void __wrap_free(void *p) {
    if (p != NULL)
        __atomic_sub_fetch(&live, 1, __ATOMIC_RELAXED);
    __real_free(p);
}

/* What went against the documented outcomes in this run. */
static int violations;
static char first_violation[160];

static int degraded; /* operations that did not fully succeed */

static void violation(const char *what, int code) {
    if (violations++ == 0)
        snprintf(first_violation, sizeof first_violation, "%s: %s (%d)", what,
                 async_strerror(code), code);
}

enum {
    SMALL = 200,
    LARGE = 4,
    PRODUCERS = 4,
    ITEMS = 16,
    JOBS = 8,
    CHURN = 300
};

async int small(int i) {
    await(async_sleep((i % 5) / 1000.0));
    return i * 3;
}

/* A frame over 1 KiB: it lives apart from its task. */
async long large(int i) {
    char pad[2000];

    memset(pad, i, sizeof pad);
    await(async_sleep(0.001));
    return pad[7] + 1000;
}

/* Every spawned task is either NULL (out of memory: joining it fails
 * with ASYNC_EINVAL) or runs to its result. */
async void spawns(void) {
    static async_task *t[SMALL + LARGE];
    int err, v;

    /* Large first: the frame is allocated, then its task's chunk. */
    for (int i = 0; i < LARGE; i++)
        t[SMALL + i] = async_spawn(large(i));
    for (int i = 0; i < SMALL; i++)
        t[i] = async_spawn(small(i));
    for (int i = 0; i < SMALL + LARGE; i++) {
        v = async_try(await(t[i]), &err);
        degraded += err != 0;
        if (t[i] == NULL
                ? err != ASYNC_EINVAL
                : err != 0 || v != (i < SMALL ? i * 3 : 1000 + i - SMALL))
            violation("join of a spawned task", err);
        async_task_release(t[i]);
    }
}

async int produce(async_queue *q, int base) {
    for (int i = 0; i < ITEMS; i++)
        await(async_queue_put(q, (void *)(intptr_t)(base + i + 1)));
    return 0;
}

async long consume(async_queue *q) {
    long sum = 0;
    int err;

    for (;;) {
        void *item = async_try(await(async_queue_get(q)), &err);

        if (err == -EPIPE)
            return sum;
        if (err != 0)
            async_raise(err);
        sum += (intptr_t)item;
        async_queue_task_done(q);
    }
}

/* A consumer and producers, spawned (any may be NULL): the consumer's
 * sum is that of the producers that exist.  Without a consumer the
 * queue is closed at once, and the producers fail with -EPIPE. */
async void queue_traffic(void) {
    void *slots[4];
    async_queue q;
    async_task *p[PRODUCERS];
    long sum = 0, want = 0;
    int err;

    async_queue_init(&q, slots, 4);
    async_task *c = async_spawn(consume(&q));
    if (c == NULL)
        async_queue_close(&q);
    for (int i = 0; i < PRODUCERS; i++) {
        p[i] = async_spawn(produce(&q, i * 100));
        if (p[i] != NULL)
            want += ITEMS * (i * 100) + ITEMS * (ITEMS + 1) / 2;
    }
    for (int i = 0; i < PRODUCERS; i++) {
        async_try(await(p[i]), &err);
        degraded += err != 0;
        if (p[i] == NULL ? err != ASYNC_EINVAL
            : c == NULL  ? err != -EPIPE
                         : err != 0)
            violation("producer", err);
        async_task_release(p[i]);
    }
    async_queue_close(&q);
    if (c != NULL) {
        sum = async_try(await(c), &err);
        if (err != 0 || sum != want)
            violation("consumer", err);
        async_task_release(c);
    }
}

async int step(int ms, int v) {
    await(async_sleep(ms / 1000.0));
    return v;
}

/* Deadlines whose timer cannot be armed expire at once (wait_for.c,
 * timeout.c): ASYNC_ETIMEDOUT is the only failure allowed. */
async void deadlines(void) {
    int a = 0, b = 0, err, late;

    await(async_gather(a = step(2, 1), b = step(1, 2)));
    if (a != 1 || b != 2)
        violation("gather", 0);
    a = async_try(await(async_wait_for(step(1, 5), 2.0)), &err);
    degraded += err != 0;
    if (err == 0 ? a != 5 : err != ASYNC_ETIMEDOUT)
        violation("wait_for", err);
    async_timeout(2.0, &late) { a = await(step(1, 6)); }
    degraded += late != 0;
    if (late == 0 ? a != 6 : late != ASYNC_ETIMEDOUT)
        violation("timeout block", late);
}

static void *triple(void *arg) { return (void *)(3 * (intptr_t)arg); }

async void *one_job(intptr_t i) {
    return await(async_to_thread(triple, (void *)i));
}

/* Worker threads: each call succeeds, or fails with -ENOMEM when the
 * loop cannot watch its completion descriptor. */
async void jobs(void) {
    void *r[JOBS];
    int err[JOBS];

    await(async_gather(async_try(r[0] = one_job(1), &err[0]),
                       async_try(r[1] = one_job(2), &err[1]),
                       async_try(r[2] = one_job(3), &err[2]),
                       async_try(r[3] = one_job(4), &err[3]),
                       async_try(r[4] = one_job(5), &err[4]),
                       async_try(r[5] = one_job(6), &err[5]),
                       async_try(r[6] = one_job(7), &err[6]),
                       async_try(r[7] = one_job(8), &err[7])));
    for (int i = 0; i < JOBS; i++) {
        degraded += err[i] != 0;
        if (err[i] == 0 ? (intptr_t)r[i] != 3 * (i + 1)
                        : err[i] != ASYNC_ENOMEM)
            violation("to_thread", err[i]);
    }
}

async int quick(int i) {
    return await(async_wait_for(step(1 + i % 3, i), 5.0));
}

/* Many deadlines armed at once and stopped early: the timer arrays
 * grow, fill with stale entries, are rebuilt and shrink. */
async void churn(void) {
    static async_task *t[CHURN];
    int err, v;

    for (int i = 0; i < CHURN; i++)
        t[i] = async_spawn(quick(i));
    for (int i = 0; i < CHURN; i++) {
        v = async_try(await(t[i]), &err);
        degraded += err != 0;
        if (t[i] == NULL ? err != ASYNC_EINVAL
            : err == 0   ? v != i
                         : err != ASYNC_ETIMEDOUT)
            violation("deadline churn", err);
        async_task_release(t[i]);
    }
}

/* Echoes one read.  A connection without a handler (no memory for its
 * task) is closed by the server at once: the client sees end of file. */
async void echo_once(int fd, void *arg) {
    char buf[16];
    ssize_t n;
    int err;

    (void)arg;
    n = async_try(await(async_read(fd, buf, sizeof buf)), &err);
    if (n > 0)
        async_try(await(async_write(fd, buf, (size_t)n)), &err);
}

/* A client's outcomes: its echo; end of file (its connection dropped);
 * ASYNC_ETIMEDOUT (nobody accepts: the server could not be spawned or
 * stopped for lack of memory); -ENOMEM (the loop could not watch its
 * socket). */
async void client(int port) {
    char back[8] = {0};
    ssize_t n = 0;
    int err,
        fd = async_try(await(async_tcp_connect("127.0.0.1", port, 1.0)), &err);

    if (err == 0) {
        async_try(await(async_write(fd, "ping", 4)), &err);
        if (err == 0)
            n = async_try(
                await(async_wait_for(async_read(fd, back, sizeof back), 0.2)),
                &err);
        close(fd);
    }
    if (err == 0 && n == 4 && memcmp(back, "ping", 4) == 0)
        return;
    degraded++;
    if (!(err == 0 && n == 0) && err != ASYNC_ETIMEDOUT && err != -ENOMEM &&
        err != -ECONNRESET)
        violation("echo client", err);
}

/* The server ends with ASYNC_ECANCELED when cancelled, or -ENOMEM when
 * it could not watch the listening socket. */
async void serving(void) {
    int err, lfd = async_tcp_listen("127.0.0.1", 0, 16);

    if (lfd < 0) {
        violation("listen", lfd);
        return;
    }
    int port = async_local_port(lfd);
    async_task *srv = async_spawn(async_serve(lfd, echo_once, NULL));
    await(async_gather(client(port), client(port), client(port)));
    async_cancel(srv);
    async_try(await(srv), &err);
    if (srv == NULL ? err != ASYNC_EINVAL
                    : err != ASYNC_ECANCELED && err != -ENOMEM)
        violation("server", err);
    async_task_release(srv);
    close(lfd);
}

async int scenario(void) {
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

    await(async_gather(spawns(), queue_traffic(), deadlines(), jobs(),
                       serving(), churn()));
    /* The dump sorts in memory it allocates, or in the allocator's
     * order when there is none. */
    if (async_dump_tasks(devnull) != 1)
        violation("task dump", 0);
    close(devnull);
    return 0;
}

static int run_all(int once) {
    int runs = 0, bad = 0;

    for (long k = 1;; k++) {
        long live_before = live;
        int rc;

        calls = injected = 0;
        violations = degraded = 0;
        fail_once = once;
        fail_from = k;
        alarm(20); /* a hang fails loudly */
        rc = async_run(scenario());
        alarm(0);
        fail_from = 0;
        runs++;
        if (injected == 0 && degraded > 0)
            violation("degraded without a failed allocation", 0);
        if (rc != 0 || violations > 0 || live != live_before) {
            if (bad++ < 5)
                printf("k=%ld: async_run %d, %ld blocks leaked, %d "
                       "violations, first: %s\n",
                       k, rc, live - live_before, violations,
                       violations ? first_violation : "none");
        }
        if (injected == 0)
            break;
    }
    fprintf(stderr, "%s failure: %d runs\n", once ? "one" : "every later",
            runs);
    printf("%s: %s\n",
           once ? "the k-th allocation fails"
                : "every allocation from the k-th on fails",
           bad == 0
               ? "every run ended with documented codes and freed everything"
               : "FAILED");
    return bad;
}

int main(void) {
    int bad = run_all(1);

    bad += run_all(0);
    return bad != 0;
}
