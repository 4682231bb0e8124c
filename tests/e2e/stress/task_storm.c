/*
 * task_storm.c -- a million tasks with random sleeps (0 to 20 ms),
 * spawns from inside tasks, async_cancel of random live tasks, and
 * async_wait_for / async_timeout deadlines that expire.  Every task that
 * starts reports its own outcome once (it catches every failure, records
 * it, then raises it again), and whoever holds its handle reports what
 * it observed once: both must agree for every task, no task may be
 * missing and none reported twice.  A task cancelled before its first
 * step never runs, so never reports: its holder must have seen it
 * cancelled or timed out.  At most SLOTS tasks held by the driver are
 * alive at a time, so the million is spread over a few seconds.  The
 * random choices come from a fixed seed; which tasks are cancelled or
 * time out still depends on timing, so the checks are on the accounts,
 * not on exact counts.
 */
#include <async.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { TOTAL = 1000000, SLOTS = 8192, CANCELS_PER_ROUND = 256 };
enum { NONE = 0, OK = 1, CANCELLED = 2, TIMED_OUT = 3, OTHER = 4 };
enum { K_SLEEP, K_WAIT_FOR, K_TIMEOUT, K_PARENT, K_KINDS };

static unsigned char reported[TOTAL]; /* what each task said of itself */
static unsigned char observed[TOTAL]; /* what its handle's holder saw */
static long reported_n[5], observed_n[5];
static long twice, wrong_value, spawn_failed, cancel_requests;
static int next_id;
static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* 0 to 20 ms, half of them 0 (a yield), so timers and plain yields mix. */
static double random_sleep(void) {
    return rnd() % 2 ? 0.0 : (rnd() % 21) / 1000.0;
}

static int value_of(int id) { return (int)((unsigned)id * 2654435761u >> 8); }

static int outcome_of(int err) {
    switch (err) {
    case 0:
        return OK;
    case ASYNC_ECANCELED:
        return CANCELLED;
    case ASYNC_ETIMEDOUT:
        return TIMED_OUT;
    default:
        return OTHER;
    }
}

static void record(unsigned char *table, long *counts, int id, int err) {
    int o = outcome_of(err);

    if (table[id] != NONE)
        twice++;
    table[id] = (unsigned char)o;
    counts[o]++;
}

/* The holder of finished task `t` (task `id`) reads its outcome. */
static void observe(async_task *t, int id) {
    int err = async_task_error(t);

    record(observed, observed_n, id, err);
    if (err == 0 && async_task_result(t, int) != value_of(id))
        wrong_value++;
    async_task_release(t);
}

/* Every kind of task ends here: reports itself, then fails with the
 * code it caught or returns its value. */
static int report(int id, int err) {
    record(reported, reported_n, id, err);
    return err;
}

async int sleeper(int id, double seconds) {
    int err;
    async_try(await(async_sleep(seconds)), &err);
    if (report(id, err))
        async_raise(err);
    return value_of(id);
}

/* A sleep under async_wait_for: the limit may pass first. */
async int waiter(int id, double seconds, double limit) {
    int err;
    async_try(await(async_wait_for(async_sleep(seconds), limit)), &err);
    if (report(id, err))
        async_raise(err);
    return value_of(id);
}

/* A sleep in an async_timeout block: its deadline may pass first.  A
 * cancellation from outside goes on out of the block, as ASYNC_ECANCELED. */
async int timed_sleep(double seconds, double limit) {
    int late;
    async_timeout(limit, &late) { await(async_sleep(seconds)); }
    if (late)
        async_raise(late);
    return 0;
}

async int bounded(int id, double seconds, double limit) {
    int err;
    async_try(await(timed_sleep(seconds, limit)), &err);
    if (report(id, err))
        async_raise(err);
    return value_of(id);
}

async int child_of_kind(int id, int kind) {
    double s = random_sleep();

    if (kind == K_WAIT_FOR)
        return await(waiter(id, s, (1 + rnd() % 15) / 1000.0));
    if (kind == K_TIMEOUT)
        return await(bounded(id, s, (1 + rnd() % 15) / 1000.0));
    return await(sleeper(id, s));
}

/* Spawns a child task and waits for it: half the time under
 * async_wait_for of its handle (which cancels the child when the limit
 * passes), else with a plain join that a cancellation of the parent
 * interrupts (the child goes on; the parent still waits for its end to
 * observe it).  Either way the parent observes the child exactly once. */
async int parent(int id) {
    int err = 0, e2, cid;
    async_task *child;

    if (next_id >= TOTAL)
        return await(sleeper(id, random_sleep()));
    cid = next_id++;
    child = async_spawn(child_of_kind(cid, (int)(rnd() % 3)));
    if (child == NULL) {
        spawn_failed++;
        return await(sleeper(id, 0));
    }
    if (rnd() % 2)
        async_try(await(async_wait_for(child, (1 + rnd() % 20) / 1000.0)),
                  &err);
    else
        async_try(await(child), &err);
    while (!async_task_done(child))
        async_try(await(child), &e2);
    observe(child, cid);
    if (report(id, err))
        async_raise(err);
    return value_of(id);
}

/* A new task of a random kind. */
async int any_task(int id) {
    int kind = (int)(rnd() % K_KINDS);
    double s = random_sleep();

    if (kind == K_PARENT)
        return await(parent(id));
    if (kind == K_WAIT_FOR)
        return await(waiter(id, s, (1 + rnd() % 15) / 1000.0));
    if (kind == K_TIMEOUT)
        return await(bounded(id, s, (1 + rnd() % 15) / 1000.0));
    return await(sleeper(id, s));
}

static async_task *slot[SLOTS];
static int slot_id[SLOTS];

async int amain(void) {
    int live = 0, bad = 0;
    long rounds = 0, never_started = 0;
    double start = async_time();

    while (next_id < TOTAL || live > 0) {
        for (int i = 0; i < SLOTS; i++) {
            if (slot[i] != NULL && async_task_done(slot[i])) {
                observe(slot[i], slot_id[i]);
                slot[i] = NULL;
                live--;
            }
            if (slot[i] == NULL && next_id < TOTAL) {
                slot_id[i] = next_id++;
                slot[i] = async_spawn(any_task(slot_id[i]));
                if (slot[i] == NULL) {
                    spawn_failed++;
                    continue;
                }
                live++;
            }
        }
        for (int c = 0; c < CANCELS_PER_ROUND; c++) {
            async_task *t = slot[rnd() % SLOTS];

            if (t != NULL && async_cancel(t) == 1)
                cancel_requests++;
        }
        rounds++;
        await(async_sleep(0.001));
    }

    for (int id = 0; id < TOTAL; id++) {
        if (reported[id] == NONE &&
            (observed[id] == CANCELLED || observed[id] == TIMED_OUT))
            never_started++;
        else if (reported[id] == NONE || reported[id] != observed[id])
            bad++;
    }
    fprintf(stderr,
            "%d tasks in %.2f s, %ld rounds, %ld cancel requests: "
            "%ld finished, %ld cancelled, %ld timed out, %ld other, "
            "%ld cancelled before they started\n",
            next_id, async_time() - start, rounds, cancel_requests,
            reported_n[OK], reported_n[CANCELLED], reported_n[TIMED_OUT],
            reported_n[OTHER], never_started);
    printf("tasks: %d\n", next_id);
    printf("reported or never started: %ld, observed: %ld\n",
           reported_n[OK] + reported_n[CANCELLED] + reported_n[TIMED_OUT] +
               never_started,
           observed_n[OK] + observed_n[CANCELLED] + observed_n[TIMED_OUT]);
    printf("unaccounted or disagreeing: %d\n", bad);
    printf("reported twice: %ld, other codes: %ld, wrong values: %ld, "
           "failed spawns: %ld\n",
           twice, reported_n[OTHER] + observed_n[OTHER], wrong_value,
           spawn_failed);
    /* Each outcome happened often enough to have been tested. */
    printf("every outcome seen: %s\n", reported_n[OK] > 1000 &&
                                               reported_n[CANCELLED] > 1000 &&
                                               reported_n[TIMED_OUT] > 1000
                                           ? "yes"
                                           : "no");
    return bad || twice || wrong_value || spawn_failed || reported_n[OTHER] ||
           observed_n[OTHER];
}

int main(void) { return async_run(amain()); }
