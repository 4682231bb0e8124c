/* Async functions declared here and defined in lib.c: callers in other
 * files await them through NAME__new / NAME__finish, since their frame
 * types are private to lib.c's translation unit. */
#ifndef MULTIFILE_LIB_H
#define MULTIFILE_LIB_H

#include <async.h>

struct pair {
    int a, b;
};

async int fetch(int id);
async struct pair fetch_pair(int id);
async void log_line(const char *s);

#endif
