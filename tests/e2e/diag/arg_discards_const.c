/* A const char * passed where an async function takes a char *: the
 * qualifier is dropped (clang's -Wincompatible-pointer-types-discards-
 * qualifiers is gcc's -Wdiscarded-qualifiers). */
#include <async.h>
#include <stdio.h>

async void upcase(char *s) {
    await(async_sleep(0));
    if (s[0] >= 'a' && s[0] <= 'z')
        s[0] = (char)(s[0] - 'a' + 'A');
}

async void amain(void) {
    const char *name = "fixed";
    await(upcase(name));
}

int main(void) { return async_run(amain()); }
