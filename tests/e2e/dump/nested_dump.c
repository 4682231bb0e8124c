/*
 * nested_dump.c -- the task dump down to the innermost await, through
 * the API and through async_dump_on_signal without ASYNCRT_DEBUG: each
 * task waits two async functions deep.  run_nested_dump.sh checks the
 * lines (found by the MARK comments).
 */
#include <async.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

async void inner(double s) { await(async_sleep(s)); /* MARK inner_sleep */ }

async void outer(void) { await(inner(60)); /* MARK outer_await */ }

async int waiter(void) {
    return await(async_signal_wait(SIGUSR1)); /* MARK waiter_wait */
}

async int amain(void) {
    async_task *t = async_spawn(outer());
    await(async_sleep(0));
    /* The API: the running task, and the other one down to its sleep. */
    printf("dump returned %d\n", async_dump_tasks(STDOUT_FILENO));
    printf("ready\n");
    fflush(stdout);
    int signo = await(waiter()); /* MARK amain_await */
    async_cancel(t);
    int err;
    async_try(await(t), &err);
    async_task_release(t);
    printf("done %d\n", signo);
    return 0;
}

int main(void) {
    /* Bad signal numbers are refused. */
    if (async_dump_on_signal(-1) != ASYNC_EINVAL ||
        async_dump_on_signal(SIGKILL) != ASYNC_EINVAL ||
        async_dump_on_signal(1 << 20) != ASYNC_EINVAL)
        return 3;
    if (async_dump_on_signal(SIGUSR2) != 0)
        return 4;
    return async_run(amain());
}
