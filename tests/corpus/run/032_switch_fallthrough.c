/*
 * switch fall-through chains with awaits in every case, entered at each
 * label in turn.
 */
#include <async.h>
#include <stdio.h>

async void mark(char c) {
    await(async_sleep(0));
    printf("%c", c);
}

async int amain(void) {
    for (int i = 0; i < 6; i++) {
        printf("%d: ", i);
        switch (i) {
        case 0:
            await(mark('a'));
            /* fall through */
        case 1:
            await(mark('b'));
            /* fall through */
        case 2:
            printf("-");
            /* fall through */
        case 3:
            await(mark('c'));
            break;
        case 4:
            await(mark('d'));
            /* fall through */
        default:
            await(mark('z'));
        }
        printf("\n");
    }
    return 0;
}

int main(void) { return async_run(amain()); }
