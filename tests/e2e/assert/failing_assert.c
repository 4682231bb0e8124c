/* An assert that fails in an async function, after awaits, on locals
 * kept in the frame: its message names the function and the locals as
 * written. */
#include <assert.h>
#include <async.h>

async int id(int x) {
    await(async_sleep(0));
    return x;
}

async int check_total(int expected) {
    int total = await(id(2)) + await(id(3));
    await(id(0));
    assert(total == expected);
    return total;
}

int main(void) { return async_run(check_total(6)); }
