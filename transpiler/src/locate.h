/*
 * locate.h -- where the runtime's headers are, for an asyncc that may
 * have been installed anywhere and moved since.
 */
#ifndef AC_LOCATE_H
#define AC_LOCATE_H

/* The directory holding async.h that the parse adds to the include path
 * (after the user's flags, so a -I given after -- comes first):
 *   1. $ASYNCC_INCLUDE_DIR when set and not empty;
 *   2. the include directory of the installed tree asyncc runs from,
 *      found from the executable's own location (/proc/self/exe) and the
 *      relative path from bin/ to include/ it was installed with, when
 *      async.h is there: a prefix moved as a whole keeps working;
 *   3. the source tree's runtime/include, for the asyncc of a build tree.
 * The result is computed once and stays valid. */
const char *ac_locate_runtime_include_dir(void);

#endif
