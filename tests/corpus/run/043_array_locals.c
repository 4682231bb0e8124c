/*
 * Arrays as locals across awaits: initialized, 2-D, char arrays holding
 * strings, arrays of pointers, and an array sized by a constant.
 */
#include <async.h>
#include <stdio.h>
#include <string.h>

#define N 5

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    int a[N] = {5, 4, 3};
    for (int i = 0; i < N; i++)
        a[i] += await(val(i));
    printf("a=%d %d %d %d %d\n", a[0], a[1], a[2], a[3], a[4]);
    double m[2][2] = {{1.5, 2.5}, {3.5, 4.5}};
    await(async_sleep(0));
    m[1][0] *= 2;
    printf("m=%.1f %.1f %.1f %.1f\n", m[0][0], m[0][1], m[1][0], m[1][1]);
    char buf[32] = "hello";
    await(async_sleep(0));
    strcat(buf, ", world");
    await(async_sleep(0));
    printf("buf=%s len=%zu\n", buf, strlen(buf));
    char word[] = "abc";
    await(async_sleep(0));
    word[await(val(1))] = 'X';
    printf("word=%s size=%zu\n", word, sizeof word);
    const char *names[] = {"zero", "one", "two"};
    printf("name=%s\n", names[await(val(2))]);
    int copy[N];
    memcpy(copy, a, sizeof a);
    await(async_sleep(0));
    printf("copy sum=%d\n", copy[0] + copy[1] + copy[2] + copy[3] + copy[4]);
    return 0;
}

int main(void) { return async_run(amain()); }
