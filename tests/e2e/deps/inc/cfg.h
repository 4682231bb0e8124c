/* A local header: the depfile must list it. */
#ifndef DEPS_CFG_H
#define DEPS_CFG_H

#define GREETING "hi"

#endif
