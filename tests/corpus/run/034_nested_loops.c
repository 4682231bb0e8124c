/*
 * Three levels of nested loops of different kinds, each with awaits in
 * its head and body.
 */
#include <async.h>
#include <stdio.h>

async int val(int v) {
    await(async_sleep(0));
    return v;
}

async int amain(void) {
    int total = 0, iterations = 0;
    for (int i = 0; i < await(val(3)); i++) {
        int j = 0;
        while (j < await(val(i + 1))) {
            int k = await(val(0));
            do {
                total += await(val(i * 100 + j * 10 + k));
                iterations++;
                k++;
            } while (k < await(val(2)));
            j++;
        }
    }
    printf("total=%d iterations=%d\n", total, iterations);
    int grid[3][3];
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            grid[r][c] = await(val(r * 3 + c));
    for (int r = 0; r < 3; r++)
        printf("%d %d %d\n", grid[r][0], grid[r][1], grid[r][2]);
    return 0;
}

int main(void) { return async_run(amain()); }
