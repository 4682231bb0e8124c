/*
 * The seed's "Common Mistake": calling an async function without await
 * would only create a coroutine, so asyncc rejects the call.
 *
 *     result = say_hi()
 *     print(result)  # <coroutine object say_hi at ...>
 */
#include <async.h>
#include <stdio.h>

async const char *say_hi(void) { return "Hi"; }

int main(void) {
    const char *result = say_hi();
    printf("%s\n", result);
    return 0;
}
