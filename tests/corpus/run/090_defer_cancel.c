/* corpus: no-sync */
/*
 * Cancelling a task runs its defers: the await it is suspended in fails
 * with ASYNC_ECANCELED, each defer's body runs (and may await, e.g. a
 * graceful close), and the task finishes cancelled.  A cancellation
 * while a body awaits replaces the failure in flight.  A lock held with
 * async_defer (Python's `async with lock:`) is released on every way out.
 */
#include <async.h>
#include <stdio.h>

static const char *name(int code) {
    return code == 0                 ? "0"
           : code == ASYNC_ECANCELED ? "ECANCELED"
           : code == -ENOENT         ? "ENOENT"
                                     : "other";
}

static async_lock lock;

async void worker(int id) {
    await(async_lock_acquire(&lock));
    async_defer {
        async_lock_release(&lock);
        printf("worker %d released the lock\n", id);
    }
    async_defer {
        printf("worker %d closing, failing %s\n", id, name(async_failing()));
        await(async_sleep(0.001)); /* a graceful close */
        printf("worker %d closed\n", id);
    }
    printf("worker %d working\n", id);
    await(async_sleep(id == 1 ? 10 : 0.001));
    printf("worker %d done\n", id);
}

async void slow_close(void) {
    async_defer { printf("slow_close outer sees %s\n", name(async_failing())); }
    async_defer {
        printf("slow_close body starts\n");
        await(async_sleep(10)); /* cancelled here: replaces the ENOENT */
        printf("not reached\n");
    }
    await(async_sleep(0));
    async_raise(-ENOENT);
}

async int amain(void) {
    async_lock_init(&lock);
    async_task *t1 = async_spawn(worker(1));
    async_task *t2 = async_spawn(worker(2));
    await(async_sleep(0.01)); /* worker 1 holds the lock, 2 waits */
    async_cancel(t1);
    int err;
    async_try(await(t1), &err);
    printf("worker 1 finished with %s\n", name(async_task_error(t1)));
    async_try(await(t2), &err);
    printf("worker 2 finished with %s, lock %s\n", name(async_task_error(t2)),
           async_lock_locked(&lock) ? "held" : "free");

    async_task *t3 = async_spawn(slow_close());
    await(async_sleep(0.01));
    async_cancel(t3);
    async_try(await(t3), &err);
    printf("slow_close finished with %s\n", name(async_task_error(t3)));
    return 0;
}

int main(void) { return async_run(amain()); }
