/*
 * quit_dump.c -- a program that waits for SIGUSR1 with a second task
 * asleep; the test sends SIGQUIT first, which must print where each task
 * waits on stderr and let the program go on.
 */
#include <async.h>
#include <signal.h>
#include <stdio.h>

async void napper(void) { await(async_sleep(60)); }

async int amain(void) {
    async_task *t = async_spawn(napper());
    await(async_sleep(0));
    printf("ready\n");
    fflush(stdout);
    await(async_signal_wait(SIGUSR1));
    async_cancel(t);
    int err;
    async_try(await(t), &err);
    async_task_release(t);
    printf("done\n");
    return 0;
}

int main(void) { return async_run(amain()); }
