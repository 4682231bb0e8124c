/*
 * Macros that wrap calls: a macro expanding to an async call used inside
 * await(...), a macro forwarding to an async function with a default
 * argument, and a logging macro around a plain call with __LINE__.
 */
#include <async.h>
#include <stdio.h>

#define FETCH(id) fetch_item((id), 0)
#define FETCH_SCALED(id, k) fetch_item((id), (k))
#define LOG(v) log_value("v", (v))

async int fetch_item(int id, int scale) {
    await(async_sleep(0));
    return scale ? id * scale : id + 100;
}

static int log_value(const char *name, int v) {
    printf("log %s=%d\n", name, v);
    return v;
}

async int amain(void) {
    printf("fetch: %d\n", await(FETCH(1)));
    printf("scaled: %d\n", await(FETCH_SCALED(3, 7)));
    int v = LOG(await(FETCH(2)));
    printf("v=%d\n", v);
    LOG(await(FETCH_SCALED(4, 50)));
    return 0;
}

int main(void) { return async_run(amain()); }
