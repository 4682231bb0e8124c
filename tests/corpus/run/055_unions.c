/*
 * Unions as results, as by-value parameters and as locals across
 * awaits, including a tagged union inside a struct.
 */
#include <async.h>
#include <stdio.h>

union num {
    int i;
    double d;
    unsigned char bytes[8];
};

struct tagged {
    enum { INT, DBL } kind;
    union num u;
};

async union num make_int(int v) {
    await(async_sleep(0));
    union num n;
    n.i = v;
    return n;
}

async union num make_dbl(double v) {
    await(async_sleep(0));
    union num n = {.d = v};
    return n;
}

async double as_double(struct tagged t) {
    await(async_sleep(0));
    return t.kind == INT ? t.u.i : t.u.d;
}

async int low_byte(union num n) {
    await(async_sleep(0));
    n.i &= 0xff;
    return n.i;
}

async int amain(void) {
    union num a = await(make_int(0x1234));
    union num b = await(make_dbl(2.75));
    printf("a.i=%d b.d=%.2f\n", a.i, b.d);
    printf("low byte: %d\n", await(low_byte(a)));
    printf("a.i unchanged: %d\n", a.i);
    struct tagged t1 = {INT, a}, t2 = {DBL, b};
    printf("tagged: %.2f %.2f\n", await(as_double(t1)), await(as_double(t2)));
    printf("member: %d\n", await(make_int(77)).i);
    union num local = {0};
    await(async_sleep(0));
    local.i = 5;
    printf("local: %d\n", local.i);
    return 0;
}

int main(void) { return async_run(amain()); }
