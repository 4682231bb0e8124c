/*
 * version.h -- what `asyncc --version` prints.
 */
#ifndef AC_VERSION_H
#define AC_VERSION_H

/* Prints asyncc's version, the libclang it was built against (its
 * version and the C API version of its headers) and the libclang it is
 * running with (clang_getClangVersion), one per line, to `out` (a FILE *). */
void ac_version_print(void *out);

#endif
