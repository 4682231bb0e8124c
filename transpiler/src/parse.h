/*
 * parse.h -- the front end: libclang parses the file with <async.h> in
 * parse mode, and asyncc's IR is built from the syntax tree.
 */
#ifndef AC_PARSE_H
#define AC_PARSE_H

#include "unit.h"

#include <stddef.h>

/* Parses `path` with the compiler flags `args` and fills `u`: the source,
 * every async function definition as IR, callees, and the edits needed
 * in plain code (async_run).  Misuse of the dialect and compiler errors
 * are reported as diagnostics.  Returns 0, or -1 when any error was
 * reported. */
int ac_parse(ac_unit *u, const char *path, int nargs, const char *const *args);

/* The same for `len` bytes of `text` taken as the contents of `path`,
 * which need not exist (the fuzzer): nothing of the input is read from
 * disk, headers are. */
int ac_parse_text(ac_unit *u, const char *path, const char *text, size_t len,
                  int nargs, const char *const *args);

/* The directory holding async.h that the parse adds to the include path
 * (see ac_locate_runtime_include_dir in locate.h). */
const char *ac_parse_runtime_include_dir(void);

#endif
