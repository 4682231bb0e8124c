/* Awaits of narrow, floating, unsigned, bool, enum and pointer results in
 * every position: initializers, compound assignments, bit-fields,
 * subscripts, conditions, ?:, switch heads, loop heads, returns.  The
 * generated code must be as free of -Wconversion warnings as this is. */
#include <async.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum color { RED, GREEN };
struct bits {
    unsigned a : 3;
    unsigned b : 5;
};

async unsigned char uc(int v) { return (unsigned char)v; }
async short sh(int v) { return (short)v; }
async float fl(int v) { return (float)v / 2.0f; }
async double db(int v) { return v * 0.5; }
async size_t sz(int v) { return (size_t)v; }
async int64_t i64(int v) { return v; }
async bool bo(int v) { return v != 0; }
async enum color col(int v) { return v ? GREEN : RED; }
async unsigned un(int v) { return (unsigned)v; }
async char *str(void) { return "x"; }

async int probe(int n) {
    unsigned char c = await(uc(n));
    short s = await(sh(n));
    float f = await(fl(n));
    double d = await(db(n));
    size_t z = await(sz(n));
    int64_t w = await(i64(n));
    bool b = await(bo(n));
    enum color k = await(col(n));
    unsigned u = await(un(n));
    struct bits bits = {0, 0};
    int arr[4] = {0};
    int total = 0;
    c += await(uc(1));
    s = (short)(s + await(sh(1)));
    f += await(fl(1));
    d *= await(db(2));
    z += await(sz(3));
    w -= await(i64(4));
    u |= await(un(5));
    bits.a = await(uc(2)) & 7u;
    arr[await(uc(1))] = 3;
    if (await(uc(n)) && await(sh(n)) > 2)
        total++;
    total += await(bo(n)) ? 1 : 2;
    total += b ? (int)await(sh(1)) : 0;
    unsigned char m = n > 1 ? await(uc(1)) : c;
    double q = n > 1 ? await(db(1)) : d;
    float r = await(bo(1)) || await(bo(0)) ? f : 0.0f;
    switch (await(col(1))) {
    case RED:
        total++;
        break;
    case GREEN:
        total += 2;
        break;
    }
    switch (await(uc(2))) {
    case 2:
        total++;
        break;
    default:
        break;
    }
    while (await(sz(0)) > 0)
        total++;
    for (size_t i = 0; i < await(sz(2)); i++)
        total++;
    do {
        total++;
    } while (await(bo(0)));
    char *p = await(str());
    total += (int)(c + s + (int)f + (int)d + (int)z + (int)w + b + (int)k +
                   (int)u + bits.a + arr[1] + m + (int)q + (int)r + p[0]);
    (await(uc(1)), total++);
    return await(bo(1)) ? total : -1;
}

async short ret_short(int n) { return await(sh(n)); }
async unsigned char ret_uc(int n) { return n ? await(uc(n)) : 0; }
async float ret_f(int n) { return await(fl(n)); }

int main(void) {
    printf("%d\n", async_run(probe(2)));
    printf("%d\n", async_run(ret_short(3)) + async_run(ret_uc(1)));
    return 0;
}
