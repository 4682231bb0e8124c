/* Defines the async functions of lib.h. */
#include "lib.h"

#include <stdio.h>

async int fetch(int id) {
    await(async_sleep(0.001));
    return id * 10;
}

async struct pair fetch_pair(int id) {
    struct pair p = {await(fetch(id)), await(fetch(id + 1))};
    return p;
}

async void log_line(const char *s) {
    await(async_sleep(0));
    printf("log: %s\n", s);
}
