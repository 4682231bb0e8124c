/*
 * version.c -- `asyncc --version` (see version.h).  The libclang found at
 * run time may differ from the one asyncc was built against (another
 * minor release, or LD_LIBRARY_PATH), so both are shown.
 */
#include "version.h"

#include <clang-c/Index.h>
#include <stdio.h>

#ifndef ASYNCC_VERSION
#define ASYNCC_VERSION "0.0.0"
#endif
#ifndef ASYNCC_LIBCLANG_VERSION
#define ASYNCC_LIBCLANG_VERSION "unknown"
#endif

void ac_version_print(void *stream) {
    FILE *out = stream;
    CXString running = clang_getClangVersion();
    fprintf(out,
            "asyncc %s\n"
            "built with libclang %s (C API %d.%d)\n"
            "running with libclang: %s\n",
            ASYNCC_VERSION, ASYNCC_LIBCLANG_VERSION, CINDEX_VERSION_MAJOR,
            CINDEX_VERSION_MINOR, clang_getCString(running));
    clang_disposeString(running);
}
