/*
 * Unary operators around awaits: dereference of an awaited pointer,
 * increments through an awaited pointer, address arithmetic.
 */
#include <async.h>
#include <stdio.h>

static int cells[4] = {1, 2, 3, 4};

async int *cell(int i) {
    await(async_sleep(0));
    return &cells[i];
}

async int amain(void) {
    printf("deref: %d\n", *await(cell(2)));
    *await(cell(0)) = 100;
    (*await(cell(1)))++;
    ++*await(cell(3));
    printf("cells: %d %d %d %d\n", cells[0], cells[1], cells[2], cells[3]);
    printf("diff: %d\n", (int)(await(cell(3)) - await(cell(0))));
    printf("next: %d\n", *(await(cell(1)) + 1));
    int post = (*await(cell(2)))--;
    printf("post: %d now %d\n", post, cells[2]);
    printf("neg deref: %d\n", -*await(cell(0)));
    return 0;
}

int main(void) { return async_run(amain()); }
