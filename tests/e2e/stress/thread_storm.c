/*
 * thread_storm.c -- async_to_thread under contention: JOBS calls over
 * the default pool (4 worker threads), all queued at once.  Some tasks
 * are cancelled before they start (their call is never queued), some
 * while their call waits in the pool's queue (it must never run), and a
 * few while their call runs (the await waits for it to return, then
 * fails with ASYNC_ECANCELED).  Every call's result or cancellation is
 * reported exactly once, every job runs at most once and only when not
 * withdrawn, and after async_run the pool's descriptor is closed.
 */
#include <async.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

enum { JOBS = 2000 };

static int started[JOBS], ran[JOBS], gate[JOBS];

/* Jobs that block until the loop opens their gate: cancelled running. */
static int held(int i) { return i % 400 == 5; }
/* Tasks cancelled before their first poll: the call is never queued. */
static int early(int i) { return i % 10 == 3; }
/* Cancelled once queued; the later ones are still waiting in the queue. */
static int queued(int i) { return i % 10 == 7; }

static void pause_us(long us) {
    struct timespec ts = {0, us * 1000};

    nanosleep(&ts, NULL);
}

static void *job(void *arg) {
    int i = (int)(intptr_t)arg;

    __atomic_add_fetch(&started[i], 1, __ATOMIC_SEQ_CST);
    if (held(i))
        while (!__atomic_load_n(&gate[i], __ATOMIC_SEQ_CST))
            pause_us(200);
    else
        pause_us(20 + (i * 7919) % 100);
    __atomic_add_fetch(&ran[i], 1, __ATOMIC_SEQ_CST);
    return (void *)(intptr_t)(2 * i + 1);
}

async void *call(int i) {
    return await(async_to_thread(job, (void *)(intptr_t)i));
}

static int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1;
}

async int amain(void) {
    static async_task *t[JOBS];
    int done = 0, cancelled_early = 0, withdrawn = 0, cancelled_running = 0,
        cancelled_late = 0, finished_anyway = 0, wrong = 0, twice = 0,
        waited_for_fn = 0, err;
    void *r;

    for (int i = 0; i < JOBS; i++) {
        t[i] = async_spawn(call(i));
        if (early(i))
            async_cancel(t[i]);
    }
    await(async_sleep(0)); /* every other call is queued now */
    for (int i = 0; i < JOBS; i++)
        if (queued(i))
            async_cancel(t[i]);
    for (int i = 0; i < JOBS; i++) {
        if (!held(i))
            continue;
        for (int w = 0;
             w < 10000 && !__atomic_load_n(&started[i], __ATOMIC_SEQ_CST); w++)
            await(async_sleep(0.001));
        async_cancel(t[i]);
        await(async_sleep(0.005));
        /* Still waiting for the job, which has not returned. */
        waited_for_fn += !async_task_done(t[i]);
        __atomic_store_n(&gate[i], 1, __ATOMIC_SEQ_CST);
    }
    for (int i = 0; i < JOBS; i++) {
        async_try(await(t[i]), &err);
        r = err == 0 ? async_task_result(t[i], void *) : NULL;
        async_task_release(t[i]);
        twice += ran[i] > 1 || started[i] != ran[i];
        if (err == 0) {
            /* A queued one may have finished before its cancellation
             * came: its result is in, as the cancellation came late. */
            done++;
            finished_anyway += queued(i);
            wrong += early(i) || held(i) || ran[i] != 1 ||
                     r != (void *)(intptr_t)(2 * i + 1);
        } else if (err != ASYNC_ECANCELED) {
            wrong++;
        } else if (early(i)) {
            cancelled_early++;
            wrong += ran[i] != 0;
        } else if (held(i)) {
            cancelled_running++;
            wrong += ran[i] != 1;
        } else if (queued(i)) {
            /* Withdrawn from the queue, or a worker had it already. */
            withdrawn += ran[i] == 0;
            cancelled_late += ran[i] == 1;
        } else {
            wrong++;
        }
    }
    fprintf(stderr,
            "%d calls: %d done, %d cancelled before queued, %d withdrawn "
            "from the queue, %d cancelled running (%d of them queued ones)\n",
            JOBS, done, cancelled_early, withdrawn,
            cancelled_running + cancelled_late, cancelled_late);
    printf("calls: %d, each reported once: %s\n", JOBS,
           done + cancelled_early + withdrawn + cancelled_running +
                       cancelled_late ==
                   JOBS
               ? "yes"
               : "no");
    printf("cancelled before queued: %d, none ran\n", cancelled_early);
    printf("cancelled while queued: %s\n",
           withdrawn > 0 &&
                   withdrawn + cancelled_late + finished_anyway == JOBS / 10
               ? "some withdrawn, none ran"
               : "no");
    printf("cancelled while running: %d, the await waited for the job: %d\n",
           cancelled_running, waited_for_fn);
    printf("wrong outcomes: %d, jobs run twice: %d\n", wrong, twice);
    return wrong || twice;
}

int main(void) {
    int before = count_fds();
    int rc = async_run(amain());
    int after = count_fds();

    printf("descriptors left open: %d\n", after - before);
    return rc != 0 || after != before;
}
