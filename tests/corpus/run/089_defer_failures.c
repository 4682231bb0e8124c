/* corpus: no-sync */
/*
 * async_defer and failures: a failure leaving the scope runs the body
 * with async_failing() giving its code and the task's error cleared (the
 * body may await, and use async_try), then goes on out; a failure raised
 * by the body replaces it; errdefer-style rollback; defers with
 * async_timeout blocks around and inside them.
 */
#include <async.h>
#include <stdio.h>

static const char *name(int code) {
    switch (code) {
    case 0:
        return "0";
    case ASYNC_ECANCELED:
        return "ECANCELED";
    case ASYNC_ETIMEDOUT:
        return "ETIMEDOUT";
    case ASYNC_EINVAL:
        return "EINVAL";
    case -ENOENT:
        return "ENOENT";
    case -EPERM:
        return "EPERM";
    default:
        return "other";
    }
}

async int fails(int code) {
    await(async_sleep(0));
    if (code)
        async_raise(code);
    return 1;
}

async int open_and_fail(int code) {
    printf("open %d\n", code);
    async_defer {
        /* The error is cleared while the body runs: awaits work. */
        await(async_sleep(0));
        printf("  close, failing %s\n", name(async_failing()));
    }
    int v = await(fails(code));
    printf("  got %d\n", v);
    return v;
}

async int raise_in_scope(int n) {
    async_defer { printf("  outer sees %s\n", name(async_failing())); }
    {
        async_defer { printf("  inner sees %s\n", name(async_failing())); }
        if (n)
            async_raise(-ENOENT);
        printf("  no raise\n");
    }
    printf("  after block\n");
    return n;
}

/* A failure raised by a body replaces the one in flight; the rest of
 * that body is skipped and enclosing defers still run. */
async int replaced(int how) {
    async_defer { printf("  outer sees %s\n", name(async_failing())); }
    async_defer {
        printf("  body sees %s\n", name(async_failing()));
        if (how == 0)
            async_raise(-EPERM);
        if (how == 1)
            await(fails(ASYNC_EINVAL));
        int err;
        async_try(await(fails(-EPERM)), &err);
        printf("  body caught %s\n", name(err));
    }
    await(fails(-ENOENT));
    return 0;
}

/* errdefer: roll back only when failing. */
async int transfer(int *from, int *to, int amount, int fail) {
    *from -= amount;
    async_defer {
        if (async_failing()) {
            *from += amount;
            printf("  rolled back\n");
        }
    }
    await(fails(fail));
    *to += amount;
    return 0;
}

async int with_timeouts(int which) {
    int err = 1, inner_err = 1;
    if (which == 0) {
        /* A defer inside the block: the deadline's cancellation runs it. */
        async_timeout(0.01, &err) {
            async_defer {
                printf("  defer in timeout sees %s\n", name(async_failing()));
                await(async_sleep(0)); /* the body may still await */
            }
            await(async_sleep(10));
            printf("  not reached\n");
        }
    } else if (which == 1) {
        /* A timeout block inside the defer's scope, caught there. */
        async_defer {
            printf("  defer around timeout sees %s\n", name(async_failing()));
        }
        async_timeout(0.01, &inner_err) { await(async_sleep(10)); }
        printf("  inner_err %s\n", name(inner_err));
        await(fails(-ENOENT));
    } else {
        /* continue, break and return leaving both a timeout block and
         * a defer. */
        for (int i = 0;; i++) {
            async_defer { printf("  iteration %d defer\n", i); }
            async_timeout(5, &err) {
                async_defer { printf("  timeout %d defer\n", i); }
                await(async_sleep(0));
                if (i == 1)
                    continue;
                if (i == 2)
                    break;
            }
            printf("  err %s\n", name(err));
        }
        for (int i = 0;; i++) {
            async_defer { printf("  second loop %d defer\n", i); }
            async_timeout(5, &err) {
                async_defer { await(async_sleep(0)); }
                if (i == 1)
                    return 30 + i;
            }
        }
    }
    printf("  err %s\n", name(err));
    return which;
}

static int show(const char *what, int r, int err) {
    printf("%s: result %d, error %s\n", what, r, name(err));
    return 0;
}

async int amain(void) {
    int err, r;
    r = async_try(await(open_and_fail(0)), &err);
    show("open_and_fail(0)", r, err);
    r = async_try(await(open_and_fail(-ENOENT)), &err);
    show("open_and_fail(ENOENT)", r, err);
    r = async_try(await(raise_in_scope(0)), &err);
    show("raise_in_scope(0)", r, err);
    r = async_try(await(raise_in_scope(1)), &err);
    show("raise_in_scope(1)", r, err);
    for (int how = 0; how < 3; how++) {
        r = async_try(await(replaced(how)), &err);
        show("replaced", r, err);
    }
    int a = 100, b = 0;
    r = async_try(await(transfer(&a, &b, 30, 0)), &err);
    printf("transfer ok: %d %d %s\n", a, b, name(err));
    r = async_try(await(transfer(&a, &b, 30, -EPERM)), &err);
    printf("transfer failed: %d %d %s\n", a, b, name(err));
    for (int which = 0; which < 3; which++) {
        r = async_try(await(with_timeouts(which)), &err);
        show("with_timeouts", r, err);
    }
    return 0;
}

int main(void) { return async_run(amain()); }
