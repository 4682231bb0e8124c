/* Condition.wait_for: waiters for different thresholds wake when a
 * counter reaches theirs; the predicate is checked first (no wait when
 * it is true already) and after each notification, with the lock held;
 * a cancelled waiter re-acquires the lock before it fails. */
#include <async.h>
#include <stdio.h>
#include <string.h>

static async_lock lock;
static async_condition cond;
static int n;
static char checks[256];

struct want {
    const char *name;
    int target;
};

static int reached(void *arg) {
    struct want *w = arg;
    strcat(checks, checks[0] ? " " : "");
    strcat(checks, w->name);
    return n >= w->target;
}

async void waiter(const char *name, int target) {
    struct want w = {name, target};
    int err;

    await(async_lock_acquire(&lock));
    int r =
        async_try(await(async_condition_wait_for(&cond, reached, &w)), &err);
    if (err) {
        printf("%s cancelled, lock held: %s\n", name,
               async_lock_locked(&lock) ? "True" : "False");
        async_lock_release(&lock);
        async_raise(err);
    }
    printf("%s reached %d at n=%d: %s\n", name, target, n,
           r ? "True" : "False");
    async_lock_release(&lock);
}

async int amain(void) {
    struct want m = {"main", 0};
    async_task *t[3];
    static const char *names[] = {"w2", "w4", "w100"};
    static const int targets[] = {2, 4, 100};

    async_lock_init(&lock);
    async_condition_init(&cond, &lock);
    await(async_lock_acquire(&lock));
    await(async_condition_wait_for(&cond, reached, &m));
    printf("main: no wait\n");
    async_lock_release(&lock);
    for (int i = 0; i < 3; i++)
        t[i] = async_spawn(waiter(names[i], targets[i]));
    for (int i = 0; i < 5; i++) {
        await(async_sleep(0.001));
        await(async_lock_acquire(&lock));
        n++;
        printf("n = %d\n", n);
        async_condition_notify_all(&cond);
        async_lock_release(&lock);
    }
    await(async_sleep(0.001));
    async_cancel(t[2]);
    for (int i = 0; i < 3; i++) {
        int err;
        async_try(await(t[i]), &err);
        async_task_release(t[i]);
    }
    printf("checks: %s\n", checks);
    return 0;
}

int main(void) { return async_run(amain()); }
