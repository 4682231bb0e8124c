/* async_timeout blocks nested 65 deep: the state machine keeps at most
 * 64 around a point. */
#include <async.h>

async void amain(void) {
    int err;
    /* 65 levels of indentation would not fit: written flat. */
    // clang-format off
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    async_timeout(1.0, &err) {
    await(async_sleep(0));
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    }
    // clang-format on
}

int main(void) { return async_run(amain()); }
