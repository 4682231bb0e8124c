/* Helpers shared by the transpiler unit tests. */
#ifndef TEST_SUPPORT_H
#define TEST_SUPPORT_H

#include "diag.h"

#include <stdio.h>

/* Diagnostics captured in memory while a test runs. */
static char test_diags[16384];
static FILE *test_diag_stream;

static inline void diags_begin(void) {
    test_diag_stream = fmemopen(test_diags, sizeof test_diags, "w");
    ac_diag_set_stream(test_diag_stream);
    ac_diag_reset();
}

static inline const char *diags_end(void) {
    fputc('\0', test_diag_stream);
    fclose(test_diag_stream);
    ac_diag_set_stream(NULL);
    return test_diags;
}

#endif
