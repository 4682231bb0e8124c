/*
 * layout.c -- lookups in struct layouts (layout.h); reading them needs
 * libclang and is parse_layout.c's job.
 */
#include "layout.h"

#include <string.h>

const ac_layout_field *ac_layout_find(const ac_layout_field *fields, unsigned n,
                                      const char *name) {
    for (unsigned i = 0; i < n; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}
