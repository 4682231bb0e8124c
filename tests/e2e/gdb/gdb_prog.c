/*
 * gdb_prog.c -- the program the gdb extension's test drives
 * (run_gdb.sh): two tasks, each awaiting middle, which awaits leaf, so
 * that a stop finds one chain running and the other suspended three
 * frames deep.  run_gdb.sh finds its lines by the markers in comments.
 */
#include <async.h>
#include <stdio.h>
#include <string.h>

static int hits;

async int leaf(int depth) {
    int squared = depth * depth;
    await(async_sleep(0));
    await(async_sleep(0.2)); /* MARK leaf_sleep */
    return squared;          /* MARK leaf_return */
}

async int middle(const char *body, int n) {
    char tag[16];
    int err = -5;
    snprintf(tag, sizeof tag, "tag-%d", n);
    await(async_sleep(0));
    hits++;                       /* MARK after_await */
    int got = await(leaf(n + 1)); /* MARK middle_await */
    return got + err + (int)strlen(body) + (int)strlen(tag);
}

async void worker(int id) {
    int result = await(middle("worker", id)); /* MARK worker_await */
    printf("worker %d\n", result);
}

async int amain(void) {
    async_task *t = async_spawn(worker(7));
    int total = await(middle("hello", 2)); /* MARK amain_await */
    await(t);
    async_task_release(t);
    printf("amain %d, %d hits\n", total, hits);
    return total == 9 - 5 + 5 + 5 && hits == 2 ? 0 : 1;
}

int main(void) { return async_run(amain()); }
