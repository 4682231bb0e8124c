/*
 * greet_sync.c -- the seed's "Regular Function" example: a plain function
 * that returns a value at once.  There is nothing async here; asyncc
 * passes the file through unchanged.
 *
 *     def greet():
 *         return "Hello"
 *
 *     result = greet()
 *     print(result)  # "Hello"
 */
#include <stdio.h>

const char *greet(void) { return "Hello"; }

int main(void) {
    const char *result = greet();
    printf("%s\n", result);
    return 0;
}
