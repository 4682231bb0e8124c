/*
 * async.h -- the public interface of asyncrt and the asyncc dialect.
 *
 * A source file that uses async/await includes this header and is run
 * through the asyncc transpiler.  While asyncc parses the file it defines
 * __ASYNCC__, and this header spells the dialect as valid C that libclang
 * type-checks:
 *
 *     async int fetch(int id);            -- an async function
 *     int n = await(fetch(3));            -- await a call (type: int)
 *     await(async_sleep(0.5));            -- sleep without blocking
 *     await(async_gather(a(), b(), c())); -- run calls concurrently
 *     async_task *t = async_spawn(f(1));  -- start a task
 *     int r = await(t);                   -- wait for it, get its result
 *     return async_run(amain());          -- in a plain function: run loop
 *     typedef async int handler_fn(int);  -- an async function type:
 *     handler_fn *h = fetch;              -- a pointer to an async function
 *     int m = await(h(4));                -- awaited (spawned, gathered)
 *
 * The transpiler's output includes this header again without __ASYNCC__;
 * then it declares the runtime functions and the frame types that the
 * generated state machines call and embed.  Names starting with async__
 * (two underscores) are that generated-code interface: stable between
 * asyncc and asyncrt of the same version, not meant to be called by hand.
 *
 * Threading: the loop and every function here belong to the thread that
 * called async_run(); none of them may be called from another thread.
 * Each thread may run a loop of its own (async_run_loops runs several);
 * async/loops.h declares what crosses between them: channels, calls,
 * posted callbacks.
 */
#ifndef ASYNC_H
#define ASYNC_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A running or finished task: the handle async_spawn() returns. */
typedef struct async_task async_task;

/* ------------------------------------------------------------------ */
/* The dialect                                                         */
/* ------------------------------------------------------------------ */

#ifdef __ASYNCC__
/*
 * Parse mode: only libclang, driven by asyncc, sees these definitions.
 * Each construct leaves a call to a marker function in the syntax tree,
 * as the left operand of a comma so the right operand keeps its exact
 * type (void included).  await() maps a task handle to int through
 * _Generic; asyncc reads the operand from the controlling expression.
 */
void __async_await_point(void);
void __async_gather_point(void);
void __async_gather_failfast_point(void);
void __async_spawn_point(void);
void __async_run_point(void);

#define async __attribute__((annotate("async")))
#define await(...)                                                             \
    ((void)__async_await_point(),                                              \
     _Generic((__VA_ARGS__), async_task * : 0, default                         \
              : (__VA_ARGS__)))
#define async_gather(...) ((void)__async_gather_point(), __VA_ARGS__, 0)
#define async_gather_failfast(...)                                             \
    ((void)__async_gather_failfast_point(), __VA_ARGS__, 0)
#define async_spawn(...)                                                       \
    ((void)__async_spawn_point(), (void)(__VA_ARGS__), (async_task *)0)
#define async_run(...) ((void)__async_run_point(), (void)(__VA_ARGS__), 0)
void __async_raise_point(void);
void __async_try_point(void);
void __async_wait_for_point(void);
#define async_wait_for(call, seconds)                                          \
    ((void)__async_wait_for_point(), (void)(seconds), (call))
void __async_timeout_point(void);
#define async_timeout(seconds, errp)                                           \
    if (((void)__async_timeout_point(), (void)(seconds), (void)(errp), 1))
void __async_defer_point(void);
#define async_defer if (((void)__async_defer_point(), 1))
void __async_failing_point(void);
#define async_failing() ((void)__async_failing_point(), 0)
#define async_raise(code) ((void)__async_raise_point(), (void)(code))
#define async_try(expr, errp) ((void)__async_try_point(), (void)(errp), (expr))

/* The runtime's own async functions, as the dialect sees them. */

/* Suspends the calling task for `seconds` (a double, like asyncio.sleep)
 * without blocking the thread; other tasks run meanwhile.  0 or less
 * yields once: the task goes to the back of the ready queue.  A NaN is
 * taken as 0. */
async void async_sleep(double seconds);

/* Waits until task `t` finishes; evaluates to its result converted to
 * int when the spawned function returns an integer type, else 0.
 * `await(t)` is the same as `await(async_join(t))`.  The handle stays
 * valid afterwards (see async_task_release). */
async int async_join(async_task *t);

/* What async_wait_for(t, seconds) of a task handle awaits: a join that,
 * when cancelled, cancels `t` too and waits for it to stop (as
 * asyncio.wait_for cancels the task it waits for). */
async int async__join_cancel(async_task *t);

#elif defined(ASYNCC_SYNC)
/*
 * Synchronous mode, for differential tests: the same source compiled as
 * plain C, where awaiting a call is just the call.  Valid only for
 * programs in which nothing really has to wait: sleeps return at once,
 * gathered calls run one after the other, in order.  Tasks do not exist.
 */
#define async
#define await(...) (__VA_ARGS__)
#define async_gather(...) ((void)(__VA_ARGS__), async__sync_gathered())
#define async_gather_failfast(...) ((void)(__VA_ARGS__), async__sync_gathered())
#define async_run(...) (__VA_ARGS__)
#define async_try(expr, errp) (*(errp) = 0, (expr))
#define async_wait_for(call, seconds) ((void)(seconds), (call))
#define async_timeout(seconds, errp) if ((void)(seconds), (*(errp) = 0) == 0)
static inline void async_sleep(double seconds) { (void)seconds; }
static inline int async__sync_gathered(void) { return 0; }
#if defined(__GNUC__) && !defined(__clang__) && !defined(__cplusplus)
/* async_defer { body }: a GNU C nested function that a cleanup variable
 * calls when its block is left, by any path, in reverse order of the
 * defers.  Clang has no nested functions: there, async_defer does not
 * exist in this mode. */
#define async_defer ASYNC__SYNC_DEFER(__COUNTER__)
#define ASYNC__SYNC_DEFER(n) ASYNC__SYNC_DEFER_(n)
#define ASYNC__SYNC_DEFER_(n)                                                  \
    auto void async__sync_defer_##n(int *);                                    \
    int async__sync_defer_var_##n                                              \
        __attribute__((cleanup(async__sync_defer_##n))) = 0;                   \
    void async__sync_defer_##n(int *async__sync_unused __attribute__((unused)))
#define async_failing() 0
#endif

#else /* neither __ASYNCC__ nor ASYNCC_SYNC */
/*
 * Compile mode: generated code never uses the dialect's spellings.  If
 * they reach a compiler, the file was not transpiled; these expansions
 * make the compiler's error name the problem.
 */
#define async
#define await(...) asyncc_error_this_file_must_be_transpiled_by_asyncc
#define async_gather(...) asyncc_error_this_file_must_be_transpiled_by_asyncc
#define async_gather_failfast(...)                                             \
    asyncc_error_this_file_must_be_transpiled_by_asyncc
#define async_spawn(...) asyncc_error_this_file_must_be_transpiled_by_asyncc
#define async_run(...) asyncc_error_this_file_must_be_transpiled_by_asyncc
#define async_raise(...) asyncc_error_this_file_must_be_transpiled_by_asyncc
#define async_try(...) asyncc_error_this_file_must_be_transpiled_by_asyncc
#define async_wait_for(...) asyncc_error_this_file_must_be_transpiled_by_asyncc
#define async_timeout(...) asyncc_error_this_file_must_be_transpiled_by_asyncc
#define async_defer asyncc_error_this_file_must_be_transpiled_by_asyncc
#define async_failing(...) asyncc_error_this_file_must_be_transpiled_by_asyncc
#endif /* __ASYNCC__ */

/*
 * async_run(call) -- like asyncio.run(): runs the event loop until `call`
 * (a call to an async function returning an integer type or void)
 * completes and evaluates to its result as int, 0 for void.  Called from
 * plain (non-async) code, typically main().  When the call completes,
 * the tasks that were ready then take one more step (as asyncio.run's
 * loop ends only after the pass that follows the main task's end: a
 * task spawned by the call's last step takes its first step); then
 * every other task still pending is cancelled once (async_cancel: one
 * that has not started never runs) and the loop runs on until all of
 * them have finished -- their cancellation handling runs, and tasks
 * they spawn meanwhile run and are waited for too -- then frees them;
 * the result is still the call's.  After async_shutdown_on_signals
 * cancelled them already, they are not cancelled again.  A task that
 * catches its cancellation and keeps waiting on timers or descriptors
 * keeps async_run running (as in asyncio); one that waits for something
 * nothing will do any more (no task ready, no timer armed, no
 * descriptor watched) is destroyed without resuming, and async_run
 * prints on stderr "asyncrt: task 'NAME' did not finish after its
 * cancellation at the end of async_run, and nothing can wake it:
 * destroyed" for each, then returns the call's result.
 * Errors: when the loop is already running in this thread, or when the
 * call itself can make no progress any more (every task waits for
 * something that nothing will do), it prints a diagnostic on stderr,
 * sets errno to EBUSY or EDEADLK and evaluates to -1; after a deadlock
 * the pending tasks are destroyed without running (debug builds report
 * each on stderr).  When the environment variable ASYNCRT_BACKEND asks
 * for a backend this system cannot run, or names none (async/io.h,
 * async_backend_name), it prints why, sets errno (EPERM, ENOSYS...,
 * EINVAL) and evaluates to -1 without running the call.
 *
 * async_gather(call, call, ...) -- like asyncio.gather(): starts every
 * call as a concurrent child task in argument order; awaiting it
 * completes when all of them have, and evaluates to 0.  If children
 * fail, the others run on, and once all have finished the await fails
 * with the first failure's code (the first to happen, not the first
 * argument).  Cancelling the gathering task cancels every child and waits
 * for them before failing with ASYNC_ECANCELED.  The children's frames
 * are embedded in the caller's frame: gathering allocates nothing.
 * Each argument is one of:
 *   f(args)                        -- the result is dropped;
 *   x = f(args)                    -- when f succeeds, its result is
 *                                     stored in the lvalue x;
 *   async_try(f(args), &err)       -- f's failure is caught, like
 *   async_try(x = f(args), &err)      asyncio's return_exceptions: the
 *                                     gather does not fail because of
 *                                     it, and err receives f's code (0
 *                                     when it succeeded).
 * Stores happen once every child has finished, whether or not the gather
 * fails, in argument order; x and &err are evaluated then.  Wrapping each
 * call in async_try tells which of them failed and why.
 *
 * async_gather_failfast(call, call, ...) -- the same, except that the
 * first child failure that is not caught cancels the other children
 * (like asyncio.TaskGroup): they fail with ASYNC_ECANCELED (which their
 * async_try sees), and once all have stopped the await fails with the
 * first failure's code.
 *
 * async_wait_for(call, seconds) -- like asyncio.wait_for(): awaited,
 * runs `call` (an async call) as a child task and evaluates to its
 * result; if it has not completed after `seconds`, it is cancelled and,
 * once it has stopped, the await fails with ASYNC_ETIMEDOUT.  0, negative
 * or NaN seconds give it no time.  Cancelling the waiting task cancels
 * the call.  The child's frame is embedded: no allocation.  `call` may
 * also be a task handle (async_task *): the await then evaluates to the
 * task's result as await(t) does, and a timeout (or cancelling the
 * waiting task) cancels the task and waits until it has stopped.
 *
 * async_timeout(seconds, &err) { ... } -- like asyncio.timeout(): a
 * block with a deadline `seconds` from its start.  If the block is still
 * running then, the task is cancelled: the await it is suspended in (or
 * its next one that suspends) fails with ASYNC_ECANCELED, the failure
 * leaves the block, err is set to ASYNC_ETIMEDOUT and the function goes
 * on after the block.  err is 0 when the block ran to its end, also when
 * it passed its deadline without suspending again (it is not
 * interrupted then).  Every other failure inside the block -- an await
 * failing with another code, an async_raise, a cancellation from
 * outside or by an enclosing block's deadline -- goes on out of the
 * block as usual (catch it inside with async_try).  break, continue and
 * return may leave the block (the deadline ends there); goto and labels
 * inside it are refused.  Blocks nest; each has its own deadline.  0,
 * negative or NaN seconds: expired at once.  The deadline and err's
 * address are evaluated once, when the block starts.
 *
 * async_defer { body } -- a statement of a block in an async function,
 * like Go's defer or Python's try/finally around the rest of the block:
 * `body` runs when control leaves the part of the enclosing block after
 * the statement, by any path -- its end, return, break, continue, a goto
 * to a label outside it, or a failure leaving it (a failed await,
 * async_raise, a cancellation: ASYNC_ECANCELED).  Several defers run in
 * reverse order: { A; async_defer {D1} B; async_defer {D2} C; } is
 * A; try { B; try { C } finally { D2 } } finally { D1 }.  A defer not
 * reached does not run.  `return expr;` evaluates expr before the
 * defers run.  The body may await.  Inside it, async_failing() is the
 * failure code leaving the block (negative; ASYNC_ECANCELED for a
 * cancellation), or 0 when it is left another way (errdefer-style
 * rollback: if (async_failing()) ...).  While a failure is in flight the
 * body runs with the task's error cleared, so its awaits work as usual;
 * at its end the failure goes on to the next enclosing defer, the
 * landing of an enclosing async_timeout block, or out of the function.
 * A failure raised by the body itself (an uncaught failed await, an
 * async_raise) replaces the one in flight, as an exception raised in a
 * Python finally does: the rest of that body is skipped and enclosing
 * defers still run.  A defer costs nothing on the normal path beyond its
 * body: no allocation, no runtime call.  Refused, with a message: an
 * async_defer that is not directly a statement of a block (the body of
 * an unbraced if, a labelled statement), an else after it, return,
 * break, continue and goto out of its body, a goto from outside into
 * its scope or body, and a case or default label of an enclosing switch
 * after it in the same switch body (or in its body): each would jump
 * past the defer statement.  A goto backwards to a label before the
 * defer leaves its scope, so the body runs.  async_failing() outside a
 * defer body is refused.  Python's `async with lock:` is
 *     await(async_lock_acquire(&l)); async_defer { async_lock_release(&l); }
 * and the same with async_semaphore_acquire/async_semaphore_release.  In
 * ASYNCC_SYNC mode async_defer is a GNU C nested function run by a
 * cleanup variable (gcc only) and async_failing() is 0.
 *
 * async_spawn(call) -- like asyncio.create_task(): starts `call` as a new
 * task and returns its handle at once; the task first runs when the
 * caller next suspends.  Only inside async functions.  Returns NULL when
 * memory for the task cannot be allocated.  A task cancelled before it
 * first runs never runs at all (see async_cancel).  The call may be of an async
 * function defined in another file, written by a macro, or through an
 * async function pointer.
 *
 * Async function pointers -- a pointer whose type comes from a typedef
 * declared async (typedef async int handler_fn(int x);  handler_fn *h;
 * or typedef async int (*handler_ptr)(int x);) or a variable, parameter,
 * struct field or array declared async (async int (*h)(int x);) points
 * to an async function: `f` or `&f` of an async function of exactly
 * that signature, defined in a file that asyncc transpiles (not one of
 * the runtime's).  It is stored, passed, returned and compared like any
 * function pointer, and called only as an async function: await(h(x)),
 * await((*h)(x)), async_spawn(h(x)), in async_gather(...) and
 * async_gather_failfast(...) (also x = h(...), async_try(h(...), &e))
 * and async_wait_for(h(x), s).  The callee's frame is allocated from the
 * runtime's task allocator for the duration of the call (a direct call's
 * is embedded): in a steady state that reuses freed blocks, no malloc.
 * asyncc reports as errors a plain function or plain function pointer
 * where an async one is expected and the reverse (initialisation,
 * assignment, argument, return value, cast), an async function whose
 * type is not the pointer's, and a call through an async function
 * pointer that is not awaited, spawned or gathered.  With ASYNCC_SYNC
 * they are plain function pointers.
 */

/* Seconds on the loop's monotonic clock (like loop.time()); only
 * differences between two readings are meaningful. */
double async_time(void);

/* Writes to descriptor `fd` (2 for stderr) one line per live task of
 * the running loop -- the main task, then the spawned ones by function
 * name -- with its function, its state (the await it is suspended at,
 * numbered as `asyncc --inspect` numbers them) and that await's source
 * file:line, or "not started" / "finished"; like asyncio.all_tasks()
 * with Task.print_stack().  Under a task's line, one line per async
 * function it is awaiting, down to the innermost one,
 *     "    in 'NAME': state N, waiting at FILE:LINE",
 * as far as the frames are generated in files of this program (an await
 * of the runtime's own functions ends the chain; so does a function of
 * another file whose table was never registered: one never started by
 * async_run, async_spawn or a pointer).  The line is known for root
 * functions started by async_run, async_spawn or through a pointer; a
 * task waiting in a gather child shows the gathering await.  Returns the
 * number of tasks (0 outside a loop: nothing is written).  Reads memory
 * only and allocates one array; safe to call from a task (it shows
 * itself as running), not from a signal handler (see
 * async_dump_on_signal). */
int async_dump_tasks(int fd);

/* Makes signal `signo` (SIGQUIT for Ctrl-\\, SIGUSR1...) print
 * async_dump_tasks on stderr while async_run runs, after which the
 * program goes on: the handler only sets a flag, and the loop prints the
 * dump between passes.  The handler is installed, whatever the signal's
 * disposition was, at the start of each async_run (at once when one is
 * running), and the previous disposition is put back when the run ends.
 * 0 turns the dump off, the SIGQUIT default below included.  Without
 * this call, SIGQUIT prints the dump in builds of asyncrt without
 * NDEBUG, or when the environment variable ASYNCRT_DEBUG is set to
 * anything but 0, unless the program has a SIGQUIT disposition of its
 * own; otherwise SIGQUIT keeps its default action (the program ends with
 * a core dump).  Returns 0, or ASYNC_EINVAL (changing nothing) for a
 * negative or unknown signal number, SIGKILL or SIGSTOP.  Do not choose
 * a signal that async_signal_wait or async_shutdown_on_signals
 * handles. */
int async_dump_on_signal(int signo);

/* Nonzero once task `t` has finished. */
int async_task_done(const async_task *t);

/* The finished task's result, as an lvalue of type T: for results that
 * are not integers (pointers, structs, floating point).  T must have the
 * size of the spawned function's return type and `t` must be finished;
 * otherwise the program stops with a message on stderr (a contract
 * violation, like an assertion). */
#define async_task_result(t, T) (*(T *)async__task_result((t), sizeof(T)))

/* Gives up the handle: the task keeps running, and its memory is freed
 * as soon as it has finished (at once when it has finished already).
 * `t` must not be used afterwards.  Tasks whose handles are never
 * released are freed when async_run() returns.  Until then a finished
 * task holds one block of the runtime's task allocator, for the handle
 * and the result: the 32-byte task header followed by its frame when
 * the frame is 1 KiB or smaller (the result is in it), or by the result
 * alone when the frame is larger (that frame was freed when the task
 * finished).  Nothing else is kept for it.  A freed block goes back to
 * the allocator, which keeps one empty 2 MiB chunk per block size for
 * reuse and gives further empty chunks back to the system.  A group
 * releases each member when it finishes (async/group.h); async_wait,
 * async_as_completed and async_gather_tasks (async/wait.h) release
 * nothing.  NULL is accepted and ignored. */
void async_task_release(async_task *t);

/* ------------------------------------------------------------------ */
/* Errors and cancellation                                             */
/* ------------------------------------------------------------------ */

/*
 * The error model.  C has no exceptions, so asyncrt has one rule for
 * every async function, awaitable and task:
 *
 * - A failure is a negative int code: an OS error is -errno (like libuv),
 *   and asyncrt's own are the ASYNC_E* codes below.
 * - An async function fails with the statement `async_raise(code);`: it
 *   stops there, and the await that awaited it fails with that code.
 * - A failed await makes the awaiting function fail with the same code,
 *   up the chain of awaits, like an exception: no result is produced.
 * - `async_try(expr, &err)` stops that: each await inside `expr` that
 *   fails stores its code in `err` and gives a zero result instead
 *   (err is 0 when none failed); the function goes on.
 * - A task that fails finishes with the code (async_task_error); an
 *   await of it fails with the same code.  async_run() of a failing call
 *   evaluates to -1 with errno set to the code's errno value.
 * - Cancelling a task (async_cancel) makes the await it is suspended in
 *   fail with ASYNC_ECANCELED; if nothing catches it, the task finishes
 *   cancelled.  A timeout is a cancellation that the caller sees as
 *   ASYNC_ETIMEDOUT.
 */
enum {
    ASYNC_ECANCELED = -ECANCELED, /* the task was cancelled */
    ASYNC_ETIMEDOUT = -ETIMEDOUT, /* a deadline passed */
    ASYNC_ENOMEM = -ENOMEM,       /* out of memory */
    ASYNC_EINVAL = -EINVAL        /* an invalid argument (NULL task...) */
};

/* A message for an error code: asyncrt's own (the resolver's
 * ASYNC_EAI_* of async/net.h too), or strerror(-code) for an
 * OS error.  Never NULL; unknown codes get "unknown error". */
const char *async_strerror(int code);

/* Requests the cancellation of task `t`: the await it is suspended in
 * fails with ASYNC_ECANCELED when the task next runs.  Cancellation takes
 * effect only at awaits that suspend.  A task that has not started yet
 * (spawned, added to a group, a gather child...: its first step has not
 * run) never runs its body, as asyncio never starts a task cancelled
 * before its first step: where it would have taken that step, it
 * finishes with ASYNC_ECANCELED (async_task_error, and awaiting it fails
 * with it); until then async_task_done(t) is 0.  The price is one test
 * of a flag bit each time the loop polls a task.  Returns 1 when
 * requested (again: still 1), 0 when `t` has finished already,
 * ASYNC_EINVAL when `t` is NULL. */
int async_cancel(async_task *t);

/* The code a finished task failed with, or 0 when it succeeded or has
 * not finished.  ASYNC_EINVAL for NULL. */
int async_task_error(const async_task *t);

/* ------------------------------------------------------------------ */
/* Generated-code interface (asyncc output calls these)                */
/* ------------------------------------------------------------------ */

/* What a frame's poll (resume) function returns: done, waiting (it
 * arranged to be woken), or failed (the code is in the task's error). */
enum { ASYNC__READY = 0, ASYNC__PENDING = 1, ASYNC__FAILED = 2 };

/* async_raise: stores `code` as the current task's error (ASYNC_EINVAL
 * if code is not negative) and returns ASYNC__FAILED. */
int async__raise(int code);
/* async_try: returns the current task's error and clears it. */
int async__take_error(void);
/* For awaitables of the runtime: when the current task has a pending
 * cancellation request, consumes it, stores ASYNC_ECANCELED as the
 * task's error and returns 1; otherwise 0. */
int async__cancelled(void);

/* Resumes a frame until it completes (ASYNC__READY), must wait
 * (ASYNC__PENDING, after arranging to be woken) or fails (ASYNC__FAILED). */
typedef int (*async__poll_fn)(void *frame);

/* How async_join converts a task's result to int. */
enum {
    ASYNC__RESULT_NONE = 0,     /* void */
    ASYNC__RESULT_SIGNED = 1,   /* signed integer or enum */
    ASYNC__RESULT_UNSIGNED = 2, /* unsigned integer or _Bool */
    ASYNC__RESULT_OTHER = 3     /* anything else: async_task_result */
};

typedef struct async__waiter async__waiter;

/* What the end of task `t` does for `node`, one of the nodes on t's
 * list of waiters: called once, by the loop, with the node unlinked
 * already.  It may wake tasks, cancel others and mark t released, but
 * must not free t. */
typedef void (*async__done_fn)(async__waiter *node, async_task *t);

/* A node on a task's list of waiters: 24 bytes.  The node itself says
 * what the task's end does for it (wake a joining task, tell a group or
 * a gather...), so the runtime's core calls on_done and knows nothing of
 * who put it there.  A task's header has no room for the list (most
 * tasks are never waited for): the loop keeps the lists of spawned
 * tasks in a table keyed by `of`, chained through the nodes themselves
 * (task_waiters.c), so linking one never allocates. */
struct async__waiter {
    async__done_fn on_done;
    struct async__waiter *next; /* next node on the same chain */
    async_task *of;             /* the task whose end it waits for */
};

/* The node of a task that waits for another one to finish (a join):
 * its on_done wakes `task`. */
typedef struct async__joiner {
    async__waiter node;
    async_task *task; /* the joining task */
} async__joiner;

typedef struct async__gather async__gather;

/* What the runtime knows of an async function, for its tasks: one
 * constant per function (asyncc emits it with NAME__spawn), so a task
 * keeps one pointer to it rather than a copy of each field. */
typedef struct async__fn {
    async__poll_fn poll;    /* polls the root frame: NAME__resume */
    const char *name;       /* the async function's name */
    uint32_t result_offset; /* where the result sits in the frame */
    uint32_t result_size;   /* 0: no result to keep (void, or a child) */
    uint8_t result_kind;    /* ASYNC__RESULT_* */
    uint8_t frame_align;    /* _Alignof the frame; 0: any type's */
} async__fn;

/* A task: 24 bytes.  A spawned task's frame follows it in the same
 * block of the runtime's task allocator (a frame aligned to more than 8
 * bytes lives apart, as a large one does); a task embedded in a frame
 * (a gather or wait_for child, or async_run's main task) is the first
 * member of an async__child.  Fields are private to asyncrt. */
struct async_task {
    const async__fn *fn;    /* the root frame's function */
    async_task *next_ready; /* link in the ready queue */
    int error;              /* the failure being propagated, or 0 */
    unsigned flags;         /* private state bits */
};

/* A task embedded in another frame: a gather or wait_for child. */
typedef struct async__child {
    async_task task;
    async__fn fn;              /* the child's poll and name */
    void *frame;               /* the child's frame */
    async__gather *group;      /* the gather it belongs to, or NULL */
    struct async__child *next; /* the gather's next child */
    async__waiter *waiters;    /* nodes waiting for its end */
} async__child;

/* A gather in progress, embedded in the gathering frame. */
struct async__gather {
    unsigned remaining;     /* children not finished yet */
    int error;              /* the first child's failure, or 0 */
    uint8_t cancelling;     /* the gathering task was cancelled */
    uint8_t failfast;       /* a failure cancels the other children */
    async_task *waiter;     /* the gathering task */
    async__child *children; /* in argument order, linked through next */
    async__child *last;     /* the last child added */
};

/* A timer, embedded in the frame of whatever waits on it: 16 bytes, of
 * which the timer uses 12.  The loop's timer heap keeps its own copy of
 * the key (deadline and start order), so the heap's work never touches
 * the frame; a timer is read or written only when it is started,
 * stopped or fires.  While it is armed, what firing does takes the
 * deadline's place (the heap has the deadline, and puts it back when
 * the timer fires): the task to wake, or a function to call, as `kind`
 * says.  kind takes one bit of the slot number: 2^31 - 1 slots are more
 * timers than fit in memory.  The first 4 bytes, `owner`, are never
 * read or written by the runtime's timer code: they would be padding,
 * so the frame that holds the timer keeps an int of its own there
 * (async_sleep's frame keeps its state, which makes that frame the timer
 * alone). */
typedef struct async__timer async__timer;
typedef void (*async__timer_fn)(async__timer *timer);
struct async__timer {
    int owner;               /* the owner's: untouched by timers */
    unsigned int index : 31; /* slot in the loop's timer table while armed;
                                ASYNC__TIMER_NONE when not (internal.h) */
    unsigned int kind : 1;   /* ASYNC__TIMER_WAKE or _CALL (internal.h),
                                set when started */
    union {
        uint64_t deadline_ns;    /* on the monotonic clock, when not armed;
                                    before the timer is started, its owner
                                    may keep a length here */
        async_task *task;        /* armed, ASYNC__TIMER_WAKE: task to wake */
        async__timer_fn on_fire; /* armed, ASYNC__TIMER_CALL: what to call */
    };
};
/* An async_timeout block in progress, embedded in the frame.  Its timer
 * calls back into the runtime, which cancels `task`, rather than waking
 * it. */
typedef struct async__timeout {
    async__timer timer; /* its owner int holds the block's state: whether
                           the deadline passed, and whether the task's
                           cancellation request is the deadline's own
                           (timeout.c) */
    async_task *task;   /* the block's task (NULL outside a task) */
} async__timeout;
/* async_timeout: enter starts the deadline for the current task; exit
 * ends it and returns `code`, turned into ASYNC_ETIMEDOUT when it is the
 * deadline's ASYNC_ECANCELED, after withdrawing a cancellation request
 * of the deadline that no await has seen yet. */
void async__timeout_enter(async__timeout *s, double seconds);
int async__timeout_exit(async__timeout *s, int code);
/* Where a failure inside the block lands: ends the deadline; when the
 * failure is the deadline's, stores ASYNC_ETIMEDOUT in *errp and returns
 * ASYNC__READY (the function goes on after the block); any other failure
 * stays the task's error and it returns ASYNC__FAILED (it goes on
 * failing, out of the block). */
int async__timeout_land(async__timeout *s, int *errp);

/* async_wait_for in progress, embedded in the waiting frame. */
typedef struct async__wait_for {
    async__gather g;    /* the call, as a gather of one child */
    async__timer timer; /* the waiting task's deadline; until the first
                           poll, its deadline_ns holds the time allowed
                           in nanoseconds (0: none); its owner int says
                           whether it was started (first poll) and
                           whether the deadline passed, cancelling the
                           child (wait_for.c) */
} async__wait_for;

/* The task being polled right now, or NULL outside the loop. */
async_task *async__current(void);

/* async__wake(t): queues `t` to be polled on the loop's next pass,
 * unless it is queued already or finished (inline: see "Fast paths" at
 * the end of this header). */

/* Runs the loop until the root frame completes.  Returns 0, the root's
 * error code when it failed, or -EBUSY (loop already running),
 * -EDEADLK (nothing can progress) or the backend's refusal
 * (ASYNCRT_BACKEND: -EPERM, -ENOSYS..., -EINVAL) after printing a
 * diagnostic. */
int async__run(async__poll_fn poll, void *frame, const char *name);

/* async_run() for one async function: init the frame, run, convert. */
/* (generated per function as NAME__run; see asyncc's output) */

/* Allocates a spawned task of function `fn` (which must outlive it)
 * with room for a frame of `frame_size` bytes.  The caller initialises
 * the frame (async__task_frame) and then calls async__task_start.
 * Returns NULL when out of memory. */
async_task *async__task_new(const async__fn *fn, size_t frame_size);
/* async__task_frame(t) and async__task_start(t) are inline (see "Fast
 * paths" at the end of this header). */

/* Pointers to async functions.  In generated code an async function
 * NAME that may be pointed to (every one with external linkage, a static
 * one whose address is taken, spawned through a macro or from another
 * file) also exists as a plain C function of the same name and type, its
 * starter, so a pointer to it is an ordinary function pointer of exactly
 * that type: stored, passed, compared and called as C allows.  Calling
 * the starter does not run NAME: it takes a frame of NAME from
 * async__afn_frame(&descriptor), initialises it with the arguments and
 * returns a zero value; the code around the call takes the frame at once
 * with async__afn_take (to await it) or async__afn_spawn.  So an indirect
 * await is
 *     (void)p(args); frame = async__afn_take();
 *     ... async__afn_poll(frame) until ASYNC__READY ...
 *     result = *(R *)async__afn_result(frame); async__afn_free(frame);
 * and allocates nothing from malloc once the task allocator has a free
 * block of the frame's size. */
typedef struct async__afn {
    async__fn fn;      /* NAME__resume, name, result, alignment */
    size_t frame_size; /* sizeof(struct NAME__frame) */
} async__afn;
/* The descriptor of a frame from async__afn_frame, stored just before
 * the frame. */
#define ASYNC__AFN_OF(frame) (((const async__afn *const *)(frame))[-1])
/* This thread's pending frame (started, not yet taken), and the frame
 * block the last indirect await freed, kept for the next frame of its
 * size (the loop's teardown forgets it).  Only the inline functions
 * below and asyncrt touch them. */
#ifdef __cplusplus
#define ASYNC__THREAD_LOCAL thread_local
#define ASYNC__NORETURN [[noreturn]]
#else
#define ASYNC__THREAD_LOCAL _Thread_local
#define ASYNC__NORETURN _Noreturn
#endif
extern ASYNC__THREAD_LOCAL void *async__afn_pending;
extern ASYNC__THREAD_LOCAL void *async__afn_spare;
void *async__afn_frame_slow(const async__afn *d);
void async__afn_free_slow(void *frame);
ASYNC__NORETURN void async__afn_none(void);
/* For starters: a frame of `d`'s function (uninitialised), the spare
 * block or one from the task allocator, recorded as this thread's
 * pending frame.  Prints a message and aborts when a frame is pending
 * already (a starter was called without await or async_spawn around
 * it) or memory is exhausted. */
static inline void *async__afn_frame(const async__afn *d) {
    void *frame = async__afn_spare;
    if (frame == NULL || ASYNC__AFN_OF(frame) != d ||
        async__afn_pending != NULL)
        return async__afn_frame_slow(d);
    async__afn_spare = NULL;
    async__afn_pending = frame;
    return frame;
}
/* Returns the pending frame and clears it; prints a message and aborts
 * when there is none (the pointer called was no async function's). */
static inline void *async__afn_take(void) {
    void *frame = async__afn_pending;
    if (frame == NULL)
        async__afn_none();
    async__afn_pending = NULL;
    return frame;
}
/* On a frame from async__afn_frame: polls it, its function's name,
 * where its result is, and frees it (kept as the spare, or back to the
 * task allocator).  async__afn_poll_fn is async__afn_poll as one
 * function for every file (an async__poll_fn). */
static inline int async__afn_poll(void *frame) {
    return ASYNC__AFN_OF(frame)->fn.poll(frame);
}
static inline const char *async__afn_name(void *frame) {
    return ASYNC__AFN_OF(frame)->fn.name;
}
static inline void *async__afn_result(void *frame) {
    return (char *)frame + ASYNC__AFN_OF(frame)->fn.result_offset;
}
int async__afn_poll_fn(void *frame);
static inline void async__afn_free(void *frame) {
    if (async__afn_spare == NULL) {
        async__afn_spare = frame;
        return;
    }
    async__afn_free_slow(frame);
}
/* async_spawn of an indirect call: moves the pending frame into a new
 * task and starts it (as async__task_new and async__task_start do);
 * returns the task, or NULL when out of memory (the frame is freed). */
async_task *async__afn_spawn(void);

/* Where an async function waits, for async_dump_tasks and debuggers
 * (tools/gdb/asyncc_gdb.py reads the same tables from memory, in a live
 * process or a core file).  asyncc emits one constant NAME__where per
 * async function it defines: states[s] for each state 0 < s < n says
 * the source line of that await and where the awaited call's frame is,
 * so the chain of awaits from a task's root frame down to the innermost
 * one can be walked.  Every generated frame starts with its int state
 * (0 not started, -1 done, s waiting at states[s]). */
enum {
    ASYNC__WHERE_NONE = 0,    /* no frame to follow (a join, a gather) */
    ASYNC__WHERE_FRAME = 1,   /* the callee's frame is at offset `child` */
    ASYNC__WHERE_POINTER = 2, /* a pointer to it is at offset `child` */
    ASYNC__WHERE_AFN = 3      /* likewise, a frame of async__afn_frame,
                                 which names its function itself */
};
typedef struct async__where async__where;
typedef struct async__where_state {
    unsigned line;             /* the await's line in `file` */
    unsigned child;            /* offset of the callee's frame (pointer) */
    unsigned kind;             /* ASYNC__WHERE_* */
    const char *callee;        /* the awaited function, or NULL */
    const async__where *where; /* its table when defined in this file */
} async__where_state;
struct async__where {
    const char *name;                 /* the async function */
    const char *file;                 /* its source file's base name */
    const async__where_state *states; /* states[0] is unused */
    unsigned n;
};
/* Keeps a table in the program even when nothing refers to it, for a
 * debugger. */
#if defined(__GNUC__) || defined(__clang__)
#define ASYNC__WHERE_KEEP __attribute__((used))
#else
#define ASYNC__WHERE_KEEP
#endif
/* Generated NAME__run, NAME__spawn and starters register their function's
 * table once, so that async_dump_tasks finds a root frame's table by its
 * task's function name.  Registering the same table again does
 * nothing. */
void async__where_register(const async__where *w);

/* Backs async_task_result(): checks size and completion. */
void *async__task_result(async_task *t, size_t size);

/* Memory for a frame that cannot be embedded in its caller's: a
 * recursive await, or an async function defined in another file (its
 * NAME__new allocates, NAME__finish frees).  Never returns NULL: when
 * memory is exhausted it prints which frame could not be allocated and
 * aborts. */
void *async__frame_alloc(size_t size, const char *name);
void async__frame_free(void *frame);

/* gather: init the group, add each child (initialised frame), then poll
 * until it returns ASYNC__READY or ASYNC__FAILED. */
void async__gather_init(async__gather *g);
void async__gather_add(async__gather *g, async__child *child,
                       async__poll_fn poll, void *frame, const char *name);
int async__gather_poll(async__gather *g);
/* async_gather_failfast: call after init, before adding children. */
void async__gather_failfast(async__gather *g);
/* A child inside async_try: its failure is not the gather's (call after
 * adding it); async_task_error(&child->task) reads the code afterwards. */
void async__gather_catch(async__child *child);

/* async_wait_for: init with the timeout, add the call's child task (as
 * for gather), then poll until it returns ASYNC__READY. */
void async__wait_for_init(async__wait_for *w, double seconds);
void async__wait_for_add(async__wait_for *w, async__child *child,
                         async__poll_fn poll, void *frame, const char *name);
int async__wait_for_poll(async__wait_for *w);

/* The runtime's async functions, in the frame convention that asyncc
 * generates for every async function NAME:
 *   struct NAME__frame { int _state; ...; RESULT _ret; };
 *   void NAME__init(struct NAME__frame *f, PARAMS...);
 *   int NAME__resume(void *frame);   -- an async__poll_fn
 * _state is 0 before the first resume and -1 once complete. */
struct async_sleep__frame {
    /* The frame is its timer alone, 16 bytes: _state (0 before the first
     * resume, -1 once complete) is the timer's owner int under the
     * frame convention's name, and until the first resume
     * timer.deadline_ns holds the length of the sleep in nanoseconds,
     * rounded up (0: yield once); from then on, the deadline.  So the
     * frame keeps one 8-byte time, not two.  The runtime writes the
     * state as timer.owner; _state reads the same int. */
    union {
        int _state;
        async__timer timer;
    };
};
void async_sleep__init(struct async_sleep__frame *f, double seconds);
int async_sleep__resume(void *frame);

/* The joined task is waiter.node.of, from the start of the join. */
struct async_join__frame {
    int _state;
    int _ret;
    async__joiner waiter; /* on its waiters while the join waits */
};
/* async_join__init and async_join__resume: inline ("Fast paths"). */

struct async__join_cancel__frame {
    int _state; /* 2: cancelled, so t was too; waiting for its end */
    int _ret;
    async__joiner waiter; /* waiter.node.of: the task joined */
};
void async__join_cancel__init(struct async__join_cancel__frame *f,
                              async_task *t);
int async__join_cancel__resume(void *frame);

#ifdef __cplusplus
}
#endif

/* The rest of the runtime's API, by subject. */
#include "async/group.h"
#include "async/io.h"
#include "async/loops.h"
#include "async/net.h"
#include "async/process.h"
#include "async/signal.h"
#include "async/sync.h"
#include "async/ticker.h"
#include "async/wait.h"

/* ------------------------------------------------------------------ */
/* Fast paths (inline)                                                 */
/* ------------------------------------------------------------------ */

/*
 * The common case of a hand-over between tasks -- a wake, the start of
 * a spawned task, a join of a finished task, a queue put with room and
 * no putter waiting, a get with an item there or a get that must wait --
 * is a few loads and stores, and calling into asyncrt for each cost more
 * than the work itself.  So these are inline here, in the generated code
 * that calls them; every other case (cancellation, closing, waiting
 * behind others, errors) goes to the function in runtime/src that
 * handles all cases (the *_slow ones below).  The ready queue and the
 * running task are the loop's thread-local state, exported by asyncrt
 * (static or shared) and reached here as asyncrt reaches them.  Like
 * every async__ name, private to generated code and asyncrt.
 */

#ifdef __cplusplus
extern "C" {
#endif

/* async_task.flags */
enum {
    ASYNC__TASK_QUEUED = 1 << 0,   /* in the ready queue */
    ASYNC__TASK_DONE = 1 << 1,     /* its root frame returned READY/FAILED */
    ASYNC__TASK_HEAP = 1 << 2,     /* from async__task_new: freed by asyncrt */
    ASYNC__TASK_RELEASED = 1 << 3, /* handle given up: free once done */
    ASYNC__TASK_CANCEL = 1 << 4,   /* async_cancel requested, not yet seen */
    ASYNC__TASK_CAUGHT = 1 << 5,   /* gather child whose failure is caught */
    ASYNC__TASK_SPLIT = 1 << 6,    /* heap task with its frame apart */
    ASYNC__TASK_BIG = 1 << 7,      /* heap task from malloc (task_alloc.c) */
    ASYNC__TASK_WAITED = 1 << 8 /* heap task with nodes in the waiter table */
};

/* The loop's ready queue: tasks to poll, FIFO through next_ready. */
typedef struct async__ready_queue {
    async_task *head;
    async_task *tail; /* for O(1) appends */
} async__ready_queue;
extern ASYNC__THREAD_LOCAL async__ready_queue async__ready;

/* The task being polled right now, or NULL (async__current). */
extern ASYNC__THREAD_LOCAL async_task *async__running;

/* Queues `t` to be polled on the loop's next pass, unless it is queued
 * already or finished. */
static inline void async__wake(async_task *t) {
    if (t->flags & (ASYNC__TASK_QUEUED | ASYNC__TASK_DONE))
        return;
    t->flags |= ASYNC__TASK_QUEUED;
    t->next_ready = NULL;
    if (async__ready.tail != NULL)
        async__ready.tail->next_ready = t;
    else
        async__ready.head = t;
    async__ready.tail = t;
}

/* async__cancelled(), inline: consumes a pending cancellation request
 * of the running task into its error. */
static inline int async__cancel_seen(void) {
    async_task *t = async__running;

    if (t == NULL || !(t->flags & ASYNC__TASK_CANCEL))
        return 0;
    t->flags &= ~(unsigned)ASYNC__TASK_CANCEL;
    t->error = ASYNC_ECANCELED;
    return 1;
}

/* t's root frame.  A heap task's follows its header, unless the frame
 * lives apart (ASYNC__TASK_SPLIT: its address is right after the
 * header, see task.c); an embedded task is an async__child (async_run's
 * main task too). */
static inline void *async__task_frame(async_task *t) {
    if (!(t->flags & ASYNC__TASK_HEAP))
        return ((async__child *)t)->frame;
    if (t->flags & ASYNC__TASK_SPLIT)
        return *(void **)(void *)(t + 1);
    return t + 1;
}

/* A spawned task is polled on the loop's next pass (outside a loop, it
 * waits in the ready queue for the next async_run). */
static inline void async__task_start(async_task *t) { async__wake(t); }

/* async_join: the frame starts idle (the slow path sets the waiter
 * node's on_done when the join waits)... */
static inline void async_join__init(struct async_join__frame *f,
                                    async_task *t) {
    f->_state = 0;
    f->waiter.node.on_done = NULL;
    f->waiter.node.next = NULL;
    f->waiter.node.of = t;
    f->waiter.task = NULL;
    f->_ret = 0;
}
int async__join_slow(void *frame);
/* ...and a join of a task that finished with success and an int result,
 * or none, in a frame beside its header, completes here. */
static inline int async_join__resume(void *frame) {
    struct async_join__frame *f = (struct async_join__frame *)frame;
    async_task *t = f->waiter.node.of;
    const unsigned mask =
        ASYNC__TASK_DONE | ASYNC__TASK_HEAP | ASYNC__TASK_SPLIT;

    if (f->_state == 0 && t != NULL &&
        (t->flags & mask) == (ASYNC__TASK_DONE | ASYNC__TASK_HEAP) &&
        t->error == 0) {
        if (t->fn->result_kind == ASYNC__RESULT_NONE) {
            f->_state = -1;
            return ASYNC__READY;
        }
        if (t->fn->result_kind == ASYNC__RESULT_SIGNED &&
            t->fn->result_size == sizeof(int)) {
            memcpy(&f->_ret, (char *)(t + 1) + t->fn->result_offset,
                   sizeof(int));
            f->_state = -1;
            return ASYNC__READY;
        }
    }
    return async__join_slow(frame);
}

/* async_queue_put and async_queue_get: the frames start idle.  Their
 * wait nodes are set when they are first used: by the wait itself, or
 * at the start of the slow path. */
static inline void async_queue_put__init(struct async_queue_put__frame *f,
                                         async_queue *q, void *item) {
    f->_state = 0;
    f->queue = q;
    f->item = item;
    f->_ret = 0;
}
static inline void async_queue_get__init(struct async_queue_get__frame *f,
                                         async_queue *q) {
    f->_state = 0;
    f->queue = q;
    f->_ret = NULL;
}
int async__queue_put_slow(void *frame);
int async__queue_get_slow(void *frame);

/* async_queue_get's state once a put has handed it an item (in _ret)
 * and taken its node off the getters, beyond the states of the
 * wait-list skeleton (runtime/src/wait_list.h).  The hand-over leaves
 * the node's fields as they were: the get reads only this state, and
 * its slow path makes the node GRANTED (state 1) before anything else
 * when it sees it. */
enum { ASYNC__QUEUE_GET_HANDED = 2 };

/* The get whose node `w` is: every node on a queue's getters list is
 * the waiter of an async_queue_get frame. */
static inline struct async_queue_get__frame *
async__queue_getter(async__sync_waiter *w) {
    return (struct async_queue_get__frame
                *)(void *)((char *)w -
                           offsetof(struct async_queue_get__frame, waiter));
}

/* Hands `item` to `w`, the first waiting getter: its node leaves the
 * list, the item lands in its frame's _ret, the frame says HANDED and
 * its task is woken. */
static inline void async__queue_hand(async_queue *q, async__sync_waiter *w,
                                     void *item) {
    struct async_queue_get__frame *getter = async__queue_getter(w);
    async__sync_waiter *next = w->next;

    if (async__wait_is_end(next)) {
        q->getters.head = q->getters.tail = NULL;
    } else {
        q->getters.head = next;
        next->prev = w->prev; /* the list's end */
    }
    getter->_ret = item;
    getter->_state = ASYNC__QUEUE_GET_HANDED;
    async__wake(w->task);
}

/* A put into an open queue with room: the item goes straight to the
 * first waiting getter (getters wait only while the queue is empty),
 * else to the back of the ring.  Putters wait only while all the room
 * is taken, so with room none waits ahead of this one.  An unbounded
 * queue has no putters: the same test says its ring has a free slot. */
static inline int async_queue_put__resume(void *frame) {
    struct async_queue_put__frame *f = (struct async_queue_put__frame *)frame;
    async_queue *q = f->queue;

    if (q == NULL || f->_state != 0 || q->closed || q->used >= q->capacity)
        return async__queue_put_slow(frame);
    q->used++;
    if (q->getters.head != NULL) {
        async__queue_hand(q, q->getters.head, f->item);
    } else {
        size_t i = q->head + q->count;

        q->slots[i >= q->capacity ? i - q->capacity : i] = f->item;
        q->count++;
    }
    q->unfinished++;
    f->_state = -1;
    return ASYNC__READY;
}

/* A get's wait on an empty open queue, for a task not cancelled: its
 * node joins the back of the getters (putters waiting meanwhile do not
 * matter: the slow path would wait the same way). */
static inline int async__queue_get_wait(async_queue *q,
                                        struct async_queue_get__frame *f,
                                        async_task *self) {
    async__sync_waiter *w = &f->waiter;

    w->task = self;
    w->next = async__wait_end(&q->getters);
    if (q->getters.tail != NULL) {
        w->prev = q->getters.tail;
        q->getters.tail->next = w;
    } else {
        w->prev = async__wait_end(&q->getters);
        q->getters.head = w;
    }
    q->getters.tail = w;
    f->_state = 1;
    return ASYNC__PENDING;
}

/* A get that, handed an item, completes, or that takes the front item,
 * in both cases when no putter waits for the room it frees; or that
 * waits on an empty open queue.  Cancellation, closing and putters
 * waiting for room go the slow way. */
static inline int async_queue_get__resume(void *frame) {
    struct async_queue_get__frame *f = (struct async_queue_get__frame *)frame;
    async_queue *q = f->queue;
    async_task *self = async__running;

    if (f->_state == 0 && q != NULL) {
        if (q->count == 0) {
            if (!q->closed && self != NULL &&
                !(self->flags & ASYNC__TASK_CANCEL))
                return async__queue_get_wait(q, f, self);
        } else if (q->putters.head == NULL) {
            f->_ret = q->slots[q->head];
            q->slots[q->head] = NULL;
            if (++q->head == q->capacity)
                q->head = 0;
            q->count--;
            q->used--;
            f->_state = -1;
            return ASYNC__READY;
        }
    } else if (f->_state == ASYNC__QUEUE_GET_HANDED) {
        if (q->putters.head == NULL && self != NULL &&
            !(self->flags & ASYNC__TASK_CANCEL)) {
            q->used--;
            f->_state = -1;
            return ASYNC__READY;
        }
    }
    return async__queue_get_slow(frame);
}

#ifdef __cplusplus
}
#endif

#endif /* ASYNC_H */
