/* A parameter that points to a variable-length array (int m[n][k]). */
#include <async.h>

async void tick(void) {}

async int trace(int n, int m[n][n]) {
    await(tick());
    int t = 0;
    for (int i = 0; i < n; i++)
        t += m[i][i];
    return t;
}

int main(void) {
    int m[2][2] = {{1, 2}, {3, 4}};
    return async_run(trace(2, m));
}
