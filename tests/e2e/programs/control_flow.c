/*
 * control_flow.c -- awaits in every statement position asyncc handles:
 * conditions of while, do/while, for (condition and increment) and
 * switch; continue and break across restructured loops; switch
 * fall-through around an await; goto across an await; struct, pointer
 * and int results; hoisted arrays, structs, const locals, address-taken
 * locals and shadowed names; several awaits in one declaration; an async
 * function defined before the functions it awaits; spawned tasks.  The
 * expected output was checked by hand against C's semantics.
 */
#include <async.h>
#include <stdio.h>
#include <string.h>

struct point {
    int x, y;
};

static async int parent(int n);
async int add1(int v);

/* parent is defined before the children it awaits */
static async int parent(int n) {
    int total = 0;
    for (int i = 0; i < n; i++)
        total += await(add1(i));
    return total;
}

async int add1(int v) {
    await(async_sleep(0));
    return v + 1;
}

async struct point mkpoint(int x, int y) {
    await(async_sleep(0));
    struct point p = {x, y};
    return p;
}

async const char *name_of(int i) {
    static const char *names[] = {"zero", "one", "two"};
    await(async_sleep(0));
    return names[i % 3];
}

async int loops(void) {
    int sum = 0, k = 0;
    /* while with await in condition */
    while (await(add1(k)) < 5) {
        k++;
        if (k == 2)
            continue;
        sum += k;
    }
    printf("while: k=%d sum=%d\n", k, sum);
    /* do-while with await in condition and a continue */
    int j = 0;
    do {
        j++;
        if (j % 2)
            continue;
        sum += 100;
    } while (await(add1(j)) < 6);
    printf("do: j=%d sum=%d\n", j, sum);
    /* for with awaits in condition and increment */
    int c = 0;
    for (int i = 0; i < await(add1(3)); i = await(add1(i))) {
        if (i == 1)
            continue;
        c += i;
    }
    printf("for: c=%d\n", c);
    /* switch with await in head and case bodies, fall-through */
    for (int s = 0; s < 4; s++) {
        switch (await(add1(s))) {
        case 1:
            printf("case 1\n");
            await(async_sleep(0));
            /* fall through */
        case 2:
            printf("case 2 (s=%d)\n", s);
            break;
        default:
            printf("default %d\n", await(add1(s * 10)));
        }
    }
    /* goto across an await */
    int tries = 0;
again:
    tries++;
    await(async_sleep(0));
    if (tries < 3)
        goto again;
    printf("goto: tries=%d\n", tries);
    return sum + c;
}

async int locals(void) {
    int arr[4] = {1, 2, 3, 4};
    struct point p = {7, 8};
    const int k = 5;
    char buf[16] = "hi";
    int *ptr = &arr[2];
    int a = await(add1(1)), b = await(add1(a));
    await(async_sleep(0.001));
    *ptr += 10;
    strcat(buf, "!");
    struct point q = await(mkpoint(a, b));
    int qx = await(mkpoint(3, 4)).x;
    printf(
        "locals: %d %d %d %d | %d %d | k=%d | %s | a=%d b=%d | q=%d,%d qx=%d\n",
        arr[0], arr[1], arr[2], arr[3], p.x, p.y, k, buf, a, b, q.x, q.y, qx);
    {
        int shadow = 1;
        await(async_sleep(0));
        {
            int shadow = 2;
            await(async_sleep(0));
            printf("inner shadow %d\n", shadow);
        }
        printf("outer shadow %d\n", shadow);
    }
    printf("name %s\n", await(name_of(2)));
    return k;
}

async void bg(int id) {
    await(async_sleep(0.002));
    printf("bg %d done\n", id);
}

async int amain(void) {
    int p = await(parent(4));
    printf("parent=%d\n", p);
    int l = await(loops());
    printf("loops=%d\n", l);
    int k = await(locals());
    async_task *t1 = async_spawn(bg(1));
    async_task *t2 = async_spawn(async_sleep(0.001));
    await(t2);
    await(t1);
    async_task_release(t1);
    async_task_release(t2);
    return k + p;
}

int main(void) {
    int r = async_run(amain());
    printf("result %d\n", r);
    return 0;
}
