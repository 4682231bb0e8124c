/*
 * Awaits in array subscripts: arr[await(idx())] read and written, both
 * sides of an assignment awaited, 2-D arrays, and subscripting the
 * pointer an async function returns.
 */
#include <async.h>
#include <stdio.h>

static int table[5] = {10, 20, 30, 40, 50};

async int idx(int i) {
    await(async_sleep(0));
    return i;
}

async int *table_ptr(void) {
    await(async_sleep(0));
    return table;
}

async int amain(void) {
    int arr[4] = {1, 2, 3, 4};
    printf("read: %d\n", arr[await(idx(2))]);
    arr[await(idx(0))] = 9;
    printf("write: %d %d %d %d\n", arr[0], arr[1], arr[2], arr[3]);
    arr[await(idx(1))] = await(idx(77));
    printf("both: %d %d %d %d\n", arr[0], arr[1], arr[2], arr[3]);
    arr[await(idx(3))] += arr[await(idx(2))];
    printf("compound: %d\n", arr[3]);
    int grid[2][3] = {{1, 2, 3}, {4, 5, 6}};
    printf("grid: %d\n", grid[await(idx(1))][await(idx(2))]);
    printf("ptr: %d\n", await(table_ptr())[3]);
    printf("index expr: %d\n", table[await(idx(1)) + await(idx(2))]);
    printf("reversed: %d\n", await(idx(4))[table]);
    int i = 0;
    while (i < 5) {
        table[i] += arr[await(idx(i)) % 4];
        i++;
    }
    printf("table: %d %d %d %d %d\n", table[0], table[1], table[2], table[3],
           table[4]);
    return 0;
}

int main(void) { return async_run(amain()); }
