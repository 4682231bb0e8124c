/*
 * json.h -- a small JSON reader, enough for compile_commands.json.
 *
 * The whole document becomes a tree in an arena; strings are decoded
 * (escapes, \u sequences as UTF-8) and NUL-terminated.  Numbers are kept
 * as doubles: the database never needs more.
 */
#ifndef AC_JSON_H
#define AC_JSON_H

#include "buf.h"

#include <stddef.h>

typedef enum {
    AC_JSON_NULL,
    AC_JSON_BOOL,
    AC_JSON_NUMBER,
    AC_JSON_STRING,
    AC_JSON_ARRAY,
    AC_JSON_OBJECT
} ac_json_kind;

typedef struct ac_json ac_json;
struct ac_json {
    ac_json_kind kind;
    int boolean;
    double number;
    const char *string; /* AC_JSON_STRING */
    size_t len;         /* the string's length (it may hold NUL bytes) */
    /* AC_JSON_ARRAY: items; AC_JSON_OBJECT: values, named by keys. */
    ac_json **items;
    const char **keys;
    size_t count;
};

/* Parses `text` (`n` bytes).  Returns the root, or NULL with a message
 * such as "line 3, column 7: expected ':'" in `err`. */
ac_json *ac_json_parse(ac_arena *a, const char *text, size_t n, char *err,
                       size_t errlen);

/* The value of `key` in object `o`, or NULL (also when `o` is not an
 * object). */
const ac_json *ac_json_get(const ac_json *o, const char *key);

#endif
