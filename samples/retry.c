/*
 * retry.c -- not one of the seed's programs: its "calling APIs" use case
 * with the control flow real code has around awaits.  A client reads
 * records from a simulated flaky server, retrying with a growing delay,
 * while a spawned task computes a checksum in the background.  Awaits sit
 * in while, for and do-while bodies, in if/else branches and in nested
 * blocks; locals and parameters live across them.  The output is the same
 * on every run, and the program sleeps for well under a second in total.
 *
 *     async def fetch_with_retry(id, max_attempts):
 *         for attempt in range(max_attempts):
 *             value = await fetch(id, attempt)
 *             if value >= 0:
 *                 return value
 *             await asyncio.sleep(delay)
 *         return -1
 */
#include <async.h>
#include <stdio.h>

/* One request for record `id` to a server that fails the first `id`
 * attempts at it.  Returns the record's value, or -1 on failure. */
async int fetch(int id, int attempt) {
    double latency = 0.001 * (id + 1);

    await(async_sleep(latency));
    if (attempt < id) {
        printf("  fetch(%d) attempt %d: error\n", id, attempt);
        return -1;
    }
    printf("  fetch(%d) attempt %d: ok\n", id, attempt);
    return id * 100 + attempt;
}

/* Tries up to `max_attempts` times, waiting 1 ms, then 2 ms, 4 ms... in
 * between.  Returns the value, or -1 once every attempt has failed. */
async int fetch_with_retry(int id, int max_attempts) {
    int attempt = 0;
    int delay_ms = 1;
    int value = -1;

    while (attempt < max_attempts) {
        value = await(fetch(id, attempt));
        if (value >= 0)
            break;
        attempt++;
        if (attempt < max_attempts) {
            printf("  retry in %d ms\n", delay_ms);
            await(async_sleep(delay_ms / 1000.0));
            delay_ms *= 2;
        } else {
            printf("  giving up on record %d\n", id);
        }
    }
    return value;
}

async int fetch_record(int id) {
    printf("record %d:\n", id);
    return await(fetch_with_retry(id, 3));
}

/* The value of record `id`, or `fallback` when it cannot be fetched. */
async int fetch_or_default(int id, int fallback) {
    int value = await(fetch_with_retry(id, 2));

    if (value < 0) {
        printf("  using default %d for record %d\n", fallback, id);
        return fallback;
    }
    return value;
}

/* Sums 1..n, skipping multiples of 3, yielding to other tasks at each
 * step.  Runs as a spawned background task. */
async int checksum(int n) {
    int sum = 0;

    printf("checksum: start\n");
    for (int i = 1; i <= n; i++) {
        if (i % 3 == 0)
            continue;
        await(async_sleep(0));
        sum += i;
    }
    return sum;
}

/* Counts down from `from`, one tick per millisecond.  Returns the number
 * of ticks. */
async int countdown(int from) {
    int ticks = 0;

    do {
        printf("%d...\n", from);
        await(async_sleep(0.001));
        ticks++;
    } while (--from > 0);
    printf("liftoff\n");
    return ticks;
}

async int amain(void) {
    int records = 4;
    int total = 0;
    async_task *background = async_spawn(checksum(10));

    if (background == NULL) {
        printf("cannot spawn the checksum task\n");
        return 1;
    }
    printf("main: checksum spawned\n");
    await(async_sleep(0)); /* yield: the checksum task starts now */

    for (int id = 0; id < records; id++) {
        int value = await(fetch_record(id));

        if (value >= 0) {
            total += value;
            printf("record %d = %d\n", id, value);
        } else {
            printf("record %d is unavailable\n", id);
        }
    }
    printf("total = %d\n", total);

    int sum = await(background);
    async_task_release(background);
    printf("checksum = %d\n", sum);

    /* Sibling blocks whose locals share a name but not a type. */
    {
        int n = await(countdown(3));
        printf("countdown took %d ticks\n", n);
    }
    {
        const char *n = total > 300 ? "over" : "not over";
        {
            int extra;

            printf("record 9:\n");
            extra = await(fetch_or_default(9, 7));
            total += extra;
        }
        printf("records 0-3: %s 300; with record 9: %d\n", n, total);
    }
    return 0;
}

int main(void) { return async_run(amain()); }
