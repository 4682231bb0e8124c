/*
 * no_trip.c -- an await whose callee completes without suspending goes on
 * in the same resume call: a ticker task that counts loop passes does
 * not advance while the main task awaits 1000 such calls, and advances
 * once per real suspension.
 */
#include <async.h>
#include <stdio.h>

static int ticks, stop;

async void ticker(void) {
    while (!stop) {
        ticks++;
        await(async_sleep(0));
    }
}

async int plain(int x) { return x + 1; }

async int amain(void) {
    async_task *t = async_spawn(ticker());
    await(async_sleep(0)); /* the ticker starts */
    int before = ticks, v = 0;
    for (int i = 0; i < 1000; i++)
        v = await(plain(v));
    printf("v = %d, ticks during 1000 non-suspending awaits: %d\n", v,
           ticks - before);
    before = ticks;
    for (int i = 0; i < 3; i++)
        await(async_sleep(0));
    printf("ticks during 3 yields: %d\n", ticks - before);
    stop = 1;
    await(t);
    async_task_release(t);
    return 0;
}

int main(void) { return async_run(amain()); }
