/*
 * switch on an awaited value: cases, default, and a default that is not
 * the last label.
 */
#include <async.h>
#include <stdio.h>

enum color { RED, GREEN, BLUE, OTHER };

async int code(int v) {
    await(async_sleep(0));
    return v;
}

async enum color color_of(int v) {
    await(async_sleep(0));
    return v < 3 ? (enum color)v : OTHER;
}

async int amain(void) {
    for (int i = 0; i < 5; i++) {
        switch (await(code(i * 10))) {
        case 0:
            printf("zero\n");
            break;
        case 10:
        case 20:
            printf("ten or twenty\n");
            break;
        default:
            printf("other %d\n", i * 10);
            break;
        case 30:
            printf("thirty\n");
        }
    }
    for (int i = 0; i < 5; i++) {
        switch (await(color_of(i))) {
        case RED:
            printf("red\n");
            break;
        case GREEN:
            printf("green\n");
            break;
        case BLUE:
            printf("blue\n");
            break;
        case OTHER:
            printf("other\n");
            break;
        }
    }
    switch (await(code(7)) + await(code(1))) {
    case 8:
        printf("sum is 8\n");
    }
    return 0;
}

int main(void) { return async_run(amain()); }
