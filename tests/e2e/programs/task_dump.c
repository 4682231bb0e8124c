/*
 * task_dump.c -- async_dump_tasks: one line per live task, with the
 * await it is suspended at (its state, numbered as asyncc --inspect
 * numbers them) and that await's source line.
 */
#include <async.h>
#include <stdio.h>
#include <unistd.h>

static async_event go;

async int sleeper(double seconds) {
    await(async_sleep(seconds));
    return 1;
}

async void waiter(void) {
    await(async_sleep(0));
    await(async_event_wait(&go));
}

async int quick(void) { return 7; }

async int amain(void) {
    async_event_init(&go);
    async_task *a = async_spawn(sleeper(10));
    async_task *b = async_spawn(waiter());
    async_task *c = async_spawn(quick());
    /* Two passes, not a timed wait, put every task where the dump
     * expects it however slowly the passes run (under valgrind). */
    await(async_sleep(0));
    await(async_sleep(0));
    async_task *d = async_spawn(quick()); /* not started yet */
    async_cancel(a);
    fflush(stdout);
    int n = async_dump_tasks(STDOUT_FILENO);
    printf("dumped %d tasks\n", n);
    async_event_set(&go);
    int err;
    async_try(await(a), &err);
    await(b);
    await(c);
    await(d);
    async_task_release(a);
    async_task_release(b);
    async_task_release(c);
    async_task_release(d);
    return 0;
}

int main(void) {
    printf("outside a loop: %d\n", async_dump_tasks(STDOUT_FILENO));
    return async_run(amain());
}
