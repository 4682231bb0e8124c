/*
 * frame_size.c -- frames stay small: child frames of awaits in different
 * statements share storage, a local that is dead at every await stays on
 * the C stack, and only the values live across an await are kept.  The
 * frame types exist only in asyncc's output, so the checks are compiled
 * only there (#ifndef __ASYNCC__, in plain code).
 */
#include <async.h>
#include <stdio.h>
#include <string.h>

struct big {
    char data[1024];
};

async struct big make(int seed) {
    struct big b;
    memset(b.data, seed, sizeof b.data);
    await(async_sleep(0));
    return b;
}

/* Three awaits of a 1 KiB-result function in three statements: their
 * child frames overlap. */
async int three(void) {
    int sum = 0;
    sum += await(make(1)).data[0];
    sum += await(make(2)).data[1];
    sum += await(make(3)).data[2];
    return sum;
}

/* A big local used only before the await is not kept in the frame. */
async int scratch(int n) {
    struct big tmp;
    memset(tmp.data, n, sizeof tmp.data);
    int first = tmp.data[0] + tmp.data[1023];
    await(async_sleep(0));
    return first;
}

/* Two awaits in one expression are live together: both frames kept. */
async int pair(void) { return await(make(4)).data[0] + await(make(5)).data[0]; }

async int amain(void) {
    printf("three = %d\n", await(three()));
    printf("scratch = %d\n", await(scratch(7)));
    printf("pair = %d\n", await(pair()));
    return 0;
}

/* Plain code passes through asyncc unchanged, preprocessor conditionals
 * included; async function bodies are seen as the compiler sees them. */
#ifndef __ASYNCC__
static void report_sizes(void) {
    size_t m = sizeof(struct make__frame), t = sizeof(struct three__frame);
    size_t s = sizeof(struct scratch__frame), p = sizeof(struct pair__frame);
    /* b is live across make's await, then copied to the result. */
    printf("make's frame holds b and its result, 2 KiB: %s\n",
           m >= 2048 && m < 2150 ? "yes" : "no");
    printf("three's frame holds one child frame, not three: %s\n",
           t >= m && t < m + 64 ? "yes" : "no");
    printf("scratch's 1 KiB local is not in its frame: %s\n",
           s < 256 ? "yes" : "no");
    printf("pair's frame holds both children: %s\n",
           p >= 2 * m && p < 2 * m + 64 ? "yes" : "no");
}
#endif

int main(void) {
    int r = async_run(amain());
#ifndef __ASYNCC__
    report_sizes();
#endif
    return r;
}
