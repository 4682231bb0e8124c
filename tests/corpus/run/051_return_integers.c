/*
 * Integer results of every kind: int, long long near its limits,
 * unsigned with wrap-around, short, char, signed char, unsigned char,
 * _Bool and an enum.
 */
#include <async.h>
#include <limits.h>
#include <stdio.h>

enum level { LOW = -1, MID = 5, HIGH = 100 };

async int r_int(int v) {
    await(async_sleep(0));
    return v;
}

async long long r_ll(long long v) {
    await(async_sleep(0));
    return v;
}

async unsigned r_unsigned(unsigned v) {
    await(async_sleep(0));
    return v - 1u;
}

async unsigned long r_ulong(void) {
    await(async_sleep(0));
    return ULONG_MAX;
}

async short r_short(int v) {
    await(async_sleep(0));
    return (short)v;
}

async char r_char(int i) {
    await(async_sleep(0));
    return "async"[i];
}

async signed char r_schar(void) {
    await(async_sleep(0));
    return -100;
}

async unsigned char r_uchar(void) {
    await(async_sleep(0));
    return 250;
}

async _Bool r_bool(int v) {
    await(async_sleep(0));
    return v;
}

async enum level r_enum(int v) {
    await(async_sleep(0));
    return v < 0 ? LOW : v < 50 ? MID : HIGH;
}

async int amain(void) {
    printf("int: %d %d\n", await(r_int(INT_MAX)), await(r_int(INT_MIN)));
    printf("long long: %lld %lld\n", await(r_ll(LLONG_MAX)),
           await(r_ll(-1234567890123LL)));
    printf("unsigned: %u %u\n", await(r_unsigned(0)), await(r_unsigned(10)));
    printf("unsigned long max: %d\n", await(r_ulong()) == ULONG_MAX);
    printf("short: %d\n", await(r_short(40000)) == (short)40000);
    printf("char: %c%c\n", await(r_char(0)), await(r_char(4)));
    printf("schar: %d uchar: %d\n", await(r_schar()), await(r_uchar()));
    printf("bool: %d %d %d\n", await(r_bool(0)), await(r_bool(7)),
           await(r_bool(-1)));
    printf("enum: %d %d %d\n", await(r_enum(-5)), await(r_enum(10)),
           await(r_enum(60)));
    enum level lv = await(r_enum(99));
    printf("is high: %d\n", lv == HIGH);
    return 0;
}

int main(void) { return async_run(amain()); }
