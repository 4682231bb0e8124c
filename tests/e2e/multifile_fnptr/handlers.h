/* Async function pointers across files: the type, a table and a struct
 * with a handler field are declared here; handlers.c defines the
 * functions and the table, main.c awaits, gathers and spawns through
 * them, and spawns handlers.c's functions by name. */
#ifndef MULTIFILE_FNPTR_HANDLERS_H
#define MULTIFILE_FNPTR_HANDLERS_H

#include <async.h>

typedef async int handler_fn(int x, const char *tag);

struct route {
    const char *name;
    handler_fn *run;
};

extern const struct route routes[];
extern const int nroutes;

async int echo_len(int x, const char *tag);
async int slow_double(int x, const char *tag);
/* A static handler of handlers.c, reached only through the pointer. */
handler_fn *secret_handler(void);
/* Calls `h` and adds one: a pointer passed into another file. */
async int call_plus_one(handler_fn *h, int x);

#endif
