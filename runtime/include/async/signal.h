/*
 * async/signal.h -- awaiting signals and shutting down cleanly, included
 * by async.h; do not include directly.
 */
#ifndef ASYNC_API_SIGNAL_H
#define ASYNC_API_SIGNAL_H
#endif
