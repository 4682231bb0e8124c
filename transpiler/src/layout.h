/*
 * layout.h -- struct layouts as the C compiler lays them out: the
 * generated C is parsed again by libclang (parse_layout.c), and the
 * sizes and offsets of the named structs are read from its record
 * layouts.  Computing them here instead would mean re-implementing the
 * target's ABI; they are those of the target libclang parses for (the
 * host unless the compiler flags say otherwise).
 */
#ifndef AC_LAYOUT_H
#define AC_LAYOUT_H

#include "unit.h"

/* A member of a struct, with the members of an unnamed struct or union
 * member (the _aw union, a group, a gather's slot). */
typedef struct ac_layout_field ac_layout_field;
struct ac_layout_field {
    const char *name;
    const char *type; /* as the compiler spells it; "struct {...}" and
                         "union {...}" for unnamed ones */
    long long size, offset, align; /* bytes; offset from the outermost
                                      struct's start; -1 if unknown */
    ac_layout_field *kids;
    unsigned nkids;
};

/* One struct to lay out: the caller names it, ac_layout_read fills the
 * rest (size -1 and no fields when the struct is not in the code). */
typedef struct ac_layout {
    const char *name; /* the struct's tag */
    long long size, align;
    ac_layout_field *fields;
    unsigned nfields;
} ac_layout;

/* Parses `code`, C for the unit's file, with the compiler flags, and
 * lays out each of the `n` structs named in `structs`.  Returns 0, or -1
 * after reporting why it cannot (libclang refused, or the code has an
 * error, which makes every layout suspect). */
int ac_layout_read(ac_unit *u, const char *code, int nargs,
                   const char *const *args, ac_layout *structs, unsigned n);

/* The member of `fields` named `name`, or NULL. */
const ac_layout_field *ac_layout_find(const ac_layout_field *fields, unsigned n,
                                      const char *name);

#endif
