/*
 * Structs as locals across awaits: initialized, designated, nested,
 * struct assignment and arrays of structs.
 */
#include <async.h>
#include <stdio.h>

struct point {
    int x, y;
};

struct stats {
    int count;
    double avg;
};

struct rect {
    struct point min, max;
    const char *name;
};

async struct point shift(struct point p, int d) {
    await(async_sleep(0));
    p.x += d;
    p.y += d;
    return p;
}

async int amain(void) {
    struct point p = {1, 2};
    struct rect r = {.min = {0, 0}, .max = {.x = 4, .y = 3}, .name = "box"};
    await(async_sleep(0));
    printf("p=%d,%d r=%s %d,%d-%d,%d\n", p.x, p.y, r.name, r.min.x, r.min.y,
           r.max.x, r.max.y);
    r.min = await(shift(r.min, 1));
    p = r.max;
    r.max = await(shift(p, 10));
    printf("r=%d,%d-%d,%d p=%d,%d\n", r.min.x, r.min.y, r.max.x, r.max.y, p.x,
           p.y);
    struct point pts[3] = {{1, 1}, {2, 2}};
    for (int i = 0; i < 3; i++)
        pts[i] = await(shift(pts[i], i));
    printf("pts=%d,%d %d,%d %d,%d\n", pts[0].x, pts[0].y, pts[1].x, pts[1].y,
           pts[2].x, pts[2].y);
    struct stats stats = {0, 0.0};
    for (int i = 1; i <= 4; i++) {
        stats.count++;
        stats.avg += (await(shift(p, i)).x - stats.avg) / stats.count;
    }
    printf("stats=%d %.2f\n", stats.count, stats.avg);
    return 0;
}

int main(void) { return async_run(amain()); }
