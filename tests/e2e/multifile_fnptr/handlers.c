#include "handlers.h"

#include <string.h>

async int echo_len(int x, const char *tag) {
    await(async_sleep(0));
    return x + (int)strlen(tag);
}

async int slow_double(int x, const char *tag) {
    (void)tag;
    await(async_sleep(0.001));
    return 2 * x;
}

static async int hidden(int x, const char *tag) {
    (void)tag;
    return -x;
}

const struct route routes[] = {
    {"echo_len", echo_len},
    {"slow_double", slow_double},
    {"hidden", hidden},
};
const int nroutes = sizeof routes / sizeof routes[0];

handler_fn *secret_handler(void) { return hidden; }

async int call_plus_one(handler_fn *h, int x) {
    return await(h(x, "plus")) + 1;
}
