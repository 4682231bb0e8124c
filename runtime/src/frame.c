/*
 * frame.c -- allocated frames, for the awaits whose child frame cannot be
 * embedded in the caller's frame: recursion (a cycle of embedded frames
 * would be infinitely large) and async functions defined in another
 * translation unit (their frame's size is not known to the caller).
 * Every other await allocates nothing.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

void *async__frame_alloc(size_t size, const char *name) {
    void *p = malloc(size ? size : 1);
    if (p == NULL) {
        fprintf(stderr,
                "asyncrt: out of memory allocating the frame of '%s' "
                "(%zu bytes)\n",
                name ? name : "?", size);
        abort();
    }
    return p;
}

void async__frame_free(void *frame) { free(frame); }
