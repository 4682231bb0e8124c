/*
 * Struct and union parameters by value (the callee's changes stay in its
 * copy), pointer parameters (changes reach the caller), pointers to
 * const, and array parameters.
 */
#include <async.h>
#include <stdio.h>

struct acct {
    char owner[8];
    int balance;
};

union bits {
    unsigned u;
    float f;
};

async int by_value(struct acct a, int amount) {
    await(async_sleep(0));
    a.balance += amount;
    a.owner[0] = '?';
    return a.balance;
}

async void by_pointer(struct acct *a, int amount) {
    await(async_sleep(0));
    a->balance += amount;
}

async int total(const struct acct *list, int n) {
    int t = 0;
    for (int i = 0; i < n; i++) {
        await(async_sleep(0));
        t += list[i].balance;
    }
    return t;
}

async unsigned union_copy(union bits b) {
    await(async_sleep(0));
    b.u ^= 1u;
    return b.u;
}

async int sum_array(int arr[], int n) {
    int s = 0;
    for (int i = 0; i < n; i++)
        s += arr[i];
    await(async_sleep(0));
    arr[0] = s;
    return s;
}

async int amain(void) {
    struct acct a = {"ann", 100};
    printf("by value: %d\n", await(by_value(a, 50)));
    printf("after: %s %d\n", a.owner, a.balance);
    await(by_pointer(&a, 25));
    printf("by pointer: %s %d\n", a.owner, a.balance);
    struct acct list[3] = {{"x", 1}, {"y", 2}, {"z", 3}};
    printf("total: %d\n", await(total(list, 3)));
    union bits b = {.u = 6};
    printf("union: %u then %u\n", await(union_copy(b)), b.u);
    int nums[4] = {1, 2, 3, 4};
    int s = await(sum_array(nums, 4));
    printf("array: %d first now %d\n", s, nums[0]);
    return 0;
}

int main(void) { return async_run(amain()); }
