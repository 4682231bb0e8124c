/*
 * second_signal.c -- signals that arrive while cancelled tasks clean up,
 * and a main task that catches the cancellation.
 *
 * The driver sends a first signal once "ready" is printed: every task is
 * cancelled, spawned ones first.  "stubborn" catches it, prints that it
 * is cleaning up and starts a 5 s cleanup sleep; "patient" catches it
 * and goes on for 0.2 s, which nothing interrupts.  The main task
 * catches its cancellation too and returns 7.  The driver sends a
 * second signal when stubborn's line appears: the process must not die
 * of it (SIGINT and SIGTERM stay consumed until async_run returns);
 * instead it cancels the unfinished tasks again, which cuts stubborn's
 * cleanup short.  async_run returns 7, main's own result, once both
 * tasks have ended.  Lines are printed as they happen: the order in
 * which the shutdown cancels tasks is part of what is checked.
 */
#define _GNU_SOURCE
#include <async.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static int ended;

static void say(const char *who, const char *what, int err) {
    printf("%s: %s (%d %s)\n", who, what, err,
           err != 0 ? async_strerror(err) : "no error");
    fflush(stdout); /* the driver waits for these lines */
}

async void stubborn(void) {
    int err, err2;

    async_try(await(async_sleep(60)), &err);
    say("stubborn", "cancelled, cleaning up for 5 s", err);
    async_try(await(async_sleep(5)), &err2);
    say("stubborn",
        err2 == ASYNC_ECANCELED ? "cleanup cut short" : "cleanup finished",
        err2);
    ended++;
    if (err != 0)
        async_raise(err);
}

async void patient(void) {
    int err, err2;

    async_try(await(async_sleep(60)), &err);
    say("patient", "cancelled, cleaning up for 0.2 s", err);
    async_try(await(async_sleep(0.2)), &err2);
    say("patient", err2 == 0 ? "cleanup finished" : "cleanup cut short", err2);
    ended++;
    if (err != 0)
        async_raise(err);
}

async int amain(void) {
    int err;

    async_task_release(async_spawn(stubborn()));
    async_task_release(async_spawn(patient()));
    await(async_sleep(0.05)); /* both are asleep */
    printf("ready\n");
    fflush(stdout);
    async_try(await(async_sleep(60)), &err);
    say("main", "cancelled, returning 7", err);
    return err == ASYNC_ECANCELED ? 7 : 1;
}

int main(void) {
    sigset_t mask;

    if (async_shutdown_on_signals() != 0) {
        printf("async_shutdown_on_signals failed\n");
        return 1;
    }
    int rc = async_run(amain());
    printf("async_run: %d, tasks ended: %d of 2\n", rc, ended);
    pthread_sigmask(SIG_BLOCK, NULL, &mask);
    int blocked = sigismember(&mask, SIGINT) || sigismember(&mask, SIGTERM);
    printf("SIGINT, SIGTERM blocked after the run: %s\n",
           blocked ? "yes" : "no");
    return rc == 7 && ended == 2 && !blocked ? 0 : 1;
}
