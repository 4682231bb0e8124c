/*
 * loop_storm.c -- channels between loops under load: MESSAGES ids (the
 * first argument, 2000000 by default) sent by 8 producer tasks (2 on
 * each of 4 loops) and a plain thread (try_send), through 4 channels of
 * capacities 1 to 4096, to 8 consumer tasks (2 per channel, on two
 * loops).  Sends and receives are cancelled at random: an
 * async_wait_for of a few microseconds (or none), or a task spawned for
 * the operation and cancelled (before its first step, or after one
 * pass).  One channel is closed halfway through; the last producer
 * closes the others, and consumers of a closed channel may leave it
 * before it is empty.  Fixed seeds.
 *
 * The account, once the loops have returned and the channels have been
 * drained with try_recv: every id was sent once, and it was received
 * exactly once, or its send failed and nobody received it, or it was
 * left in its channel -- never two of these, never none.  Counts that
 * depend on timing go to stderr; stdout has only what must hold.
 */
#include <async.h>
#include <async/loops.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum {
    LOOPS = 4,
    PRODUCERS = 2, /* per loop */
    CONSUMERS = 2, /* per loop */
    CHANNELS = 4,
    TASK_PRODUCERS = LOOPS * PRODUCERS,
    ALL_PRODUCERS = TASK_PRODUCERS + 1, /* and the thread */
    EARLY_CLOSED = 2                    /* the channel closed halfway */
};

static const size_t capacity[CHANNELS] = {1, 16, 256, 4096};
static async_channel *chan[CHANNELS];
static int closed[CHANNELS];

static int messages = 2000000;
static unsigned char *attempts, *sent, *received, *left;
static int attempted; /* sends begun, all producers */
static int producers_done;

/* What each producer and consumer counts (one writer each). */
struct counts {
    long ok, failed, cancelled, timed_out, broken_pipe, other;
};
static struct counts prod[ALL_PRODUCERS], cons[LOOPS * CONSUMERS];
static int gave_up; /* consumers that left a closed channel early */

static int load(int *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }

static uint64_t next(uint64_t *s) {
    /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void close_channel(int c) {
    async_channel_close(chan[c]);
    __atomic_store_n(&closed[c], 1, __ATOMIC_SEQ_CST);
}

/* A producer's turn: counts the attempt, closes the early channel at
 * half the messages. */
static void begin_send(int id) {
    __atomic_add_fetch(&attempts[id], 1, __ATOMIC_SEQ_CST);
    if (__atomic_add_fetch(&attempted, 1, __ATOMIC_SEQ_CST) == messages / 2)
        close_channel(EARLY_CLOSED);
}

/* The last producer to finish closes every channel. */
static void producer_done(void) {
    if (__atomic_add_fetch(&producers_done, 1, __ATOMIC_SEQ_CST) ==
        ALL_PRODUCERS)
        for (int c = 0; c < CHANNELS; c++)
            close_channel(c);
}

static void tally(struct counts *k, int err) {
    switch (err) {
    case 0:
        k->ok++;
        return;
    case ASYNC_ECANCELED:
        k->cancelled++;
        break;
    case ASYNC_ETIMEDOUT:
        k->timed_out++;
        break;
    case -EPIPE:
        k->broken_pipe++;
        break;
    default:
        k->other++;
        break;
    }
    k->failed++;
}

static async void put(async_channel *c, void *item, int *err) {
    async_try(await(async_channel_send(c, item)), err);
}

static async void take(async_channel *c, void **item, int *err) {
    *item = async_try(await(async_channel_recv(c)), err);
}

/* Cancels `t` (a put or a take), after a yield when `yield_first` so
 * that it may have started, waits for it and releases it.  Returns its
 * failure when it never ran -- a task cancelled before its first step
 * fails itself, and its operation never happened -- else 0: the task
 * stored its operation's outcome itself. */
static async int cancel_soon(async_task *t, int yield_first) {
    int never;

    if (yield_first)
        await(async_sleep(0));
    async_cancel(t);
    async_try(await(t), &never);
    async_task_release(t);
    return never;
}

/* Sends ids g, g + ALL_PRODUCERS, ... each once, on a random channel, in
 * a random way. */
static async void producer(int g) {
    uint64_t rng = 0x5eed0000u + (uint64_t)g;
    async_task *t;
    int err, never;

    for (int id = g; id < messages; id += ALL_PRODUCERS) {
        uint64_t r = next(&rng);
        async_channel *c = chan[r % CHANNELS];
        void *item = (void *)(intptr_t)id;
        int how = (int)(r >> 8) % 100;

        begin_send(id);
        err = 0;
        if (how < 80) {
            async_try(await(async_channel_send(c, item)), &err);
        } else if (how < 88) {
            double tiny = (double)((r >> 16) % 20) * 1e-6;
            async_try(await(async_wait_for(async_channel_send(c, item), tiny)),
                      &err);
        } else if (how < 96) {
            t = async_spawn(put(c, item, &err));
            if (t == NULL) {
                err = ASYNC_ENOMEM;
            } else {
                never = await(cancel_soon(t, (r >> 24) & 1));
                if (never != 0)
                    err = never;
            }
        } else {
            t = async_spawn(put(c, item, &err));
            if (t == NULL) {
                err = ASYNC_ENOMEM;
            } else {
                await(t);
                async_task_release(t);
            }
        }
        if (err == 0)
            __atomic_store_n(&sent[id], 1, __ATOMIC_SEQ_CST);
        tally(&prod[g], err);
    }
    producer_done();
}

/* Receives from channel `c` until it is closed and empty, or, once it is
 * closed, until it decides to leave. */
static async void consumer(int j, int c) {
    uint64_t rng = 0xc0de0000u + (uint64_t)j;
    async_task *t;
    void *item;
    int err, never;

    for (;;) {
        uint64_t r = next(&rng);
        int how = (int)(r % 100);

        item = NULL;
        err = 0;
        if (how < 85) {
            item = async_try(await(async_channel_recv(chan[c])), &err);
        } else if (how < 93) {
            double tiny = (double)((r >> 16) % 20) * 1e-6;
            item = async_try(
                await(async_wait_for(async_channel_recv(chan[c]), tiny)), &err);
        } else {
            t = async_spawn(take(chan[c], &item, &err));
            if (t == NULL) {
                err = ASYNC_ENOMEM;
            } else {
                never = await(cancel_soon(t, (r >> 24) & 1));
                if (never != 0)
                    err = never;
            }
        }
        tally(&cons[j], err);
        if (err == -EPIPE)
            return;
        if (err == 0) {
            intptr_t id = (intptr_t)item;
            if (id >= 0 && id < messages)
                __atomic_add_fetch(&received[id], 1, __ATOMIC_SEQ_CST);
            else
                cons[j].other++;
        }
        if (load(&closed[c]) && (r >> 40) % 8 == 0) {
            __atomic_add_fetch(&gave_up, 1, __ATOMIC_SEQ_CST);
            return;
        }
    }
}

static async int per_loop(int loop, void *arg) {
    async_task *t[PRODUCERS + CONSUMERS];
    int n = 0, failed = 0, err;
    (void)arg;

    for (int k = 0; k < CONSUMERS; k++) {
        int j = loop * CONSUMERS + k;
        t[n++] = async_spawn(consumer(j, j % CHANNELS));
    }
    for (int k = 0; k < PRODUCERS; k++)
        t[n++] = async_spawn(producer(loop * PRODUCERS + k));
    for (int i = 0; i < n; i++) {
        if (t[i] == NULL) {
            failed++;
            continue;
        }
        async_try(await(t[i]), &err);
        failed += err != 0;
    }
    return failed;
}

/* The plain thread's share: try_send, yielding the CPU while full (and
 * sleeping 20 us at a time when that lasts). */
static void *thread_producer(void *arg) {
    int g = TASK_PRODUCERS;
    uint64_t rng = 0x5eed0000u + (uint64_t)g;
    struct timespec pause = {0, 20000};
    (void)arg;

    for (int id = g; id < messages; id += ALL_PRODUCERS) {
        async_channel *c = chan[next(&rng) % CHANNELS];
        int err;

        begin_send(id);
        for (int tries = 0;
             (err = async_channel_try_send(c, (void *)(intptr_t)id)) == -EAGAIN;
             tries++)
            if (tries < 100)
                sched_yield();
            else
                nanosleep(&pause, NULL);
        if (err == 0)
            __atomic_store_n(&sent[id], 1, __ATOMIC_SEQ_CST);
        tally(&prod[g], err);
    }
    producer_done();
    return NULL;
}

int main(int argc, char **argv) {
    int results[LOOPS] = {-99, -99, -99, -99}, rc, wrong = 0, twice = 0,
        lost = 0, not_once = 0;
    long delivered = 0, undelivered = 0, in_channels = 0, other = 0;
    long send_failed = 0, drained_to_zero = 0;
    pthread_t thread;

    if (argc > 1)
        messages = atoi(argv[1]);
    if (messages < 1000) {
        fprintf(stderr, "usage: %s [MESSAGES >= 1000]\n", argv[0]);
        return 2;
    }
    attempts = calloc((size_t)messages, 1);
    sent = calloc((size_t)messages, 1);
    received = calloc((size_t)messages, 1);
    left = calloc((size_t)messages, 1);
    if (!attempts || !sent || !received || !left)
        return 1;
    for (int c = 0; c < CHANNELS; c++)
        if ((chan[c] = async_channel_create(capacity[c])) == NULL)
            return 1;
    if (pthread_create(&thread, NULL, thread_producer, NULL) != 0)
        return 1;
    rc = async_run_loops(LOOPS, per_loop, NULL, results);
    if (rc != 0) /* the thread must not wait for consumers that never ran */
        for (int c = 0; c < CHANNELS; c++)
            close_channel(c);
    pthread_join(thread, NULL);

    /* What the consumers left behind. */
    for (int c = 0; c < CHANNELS; c++) {
        void *item;
        int err;

        while ((err = async_channel_try_recv(chan[c], &item)) == 0) {
            intptr_t id = (intptr_t)item;
            if (id >= 0 && id < messages)
                left[id]++;
            else
                other++;
        }
        other += err != -EPIPE;
        drained_to_zero += async_channel_destroy(chan[c]) == 0;
    }

    for (int id = 0; id < messages; id++) {
        int r = received[id], l = left[id];

        not_once += attempts[id] != 1;
        twice += r + l > 1;
        if (sent[id]) {
            delivered += r == 1 && l == 0;
            in_channels += r == 0 && l == 1;
            lost += r + l == 0;
        } else {
            undelivered++;
            wrong += r + l != 0;
        }
    }
    for (int g = 0; g < ALL_PRODUCERS; g++) {
        send_failed += prod[g].failed;
        other += prod[g].other;
        fprintf(stderr,
                "producer %d: %ld sent, %ld failed (%ld cancelled, %ld timed "
                "out, %ld closed)\n",
                g, prod[g].ok, prod[g].failed, prod[g].cancelled,
                prod[g].timed_out, prod[g].broken_pipe);
    }
    for (int j = 0; j < LOOPS * CONSUMERS; j++) {
        other += cons[j].other;
        fprintf(stderr,
                "consumer %d: %ld received, %ld cancelled, %ld timed out\n", j,
                cons[j].ok, cons[j].cancelled, cons[j].timed_out);
    }
    fprintf(stderr,
            "%d messages: %ld delivered, %ld undelivered, %ld left in "
            "channels; %d consumers left a closed channel early\n",
            messages, delivered, undelivered, in_channels, load(&gave_up));

    printf("loops: %d ran, results %d %d %d %d\n", rc == 0 ? LOOPS : 0,
           results[0], results[1], results[2], results[3]);
    printf("every id sent once: %s\n", not_once == 0 ? "yes" : "no");
    printf("received once, undelivered or left in a channel: %s\n",
           delivered + undelivered + in_channels == messages ? "yes" : "no");
    printf("received twice: %d, lost: %d, failed sends received: %d\n", twice,
           lost, wrong);
    printf("failed sends counted: %s\n",
           send_failed == undelivered && undelivered > 0 ? "yes" : "no");
    printf("unexpected errors or items: %ld\n", other);
    printf("channels empty when destroyed: %ld of %d\n", drained_to_zero,
           CHANNELS);
    free(attempts);
    free(sent);
    free(received);
    free(left);
    return rc != 0 || not_once || twice || lost || wrong || other ||
           delivered + undelivered + in_channels != messages;
}
