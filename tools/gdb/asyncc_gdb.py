# asyncc_gdb.py -- debugging asyncc programs in gdb.
#
# Load it with `source PREFIX/share/asyncc/gdb/asyncc_gdb.py` (or let gdb
# auto-load it for programs linked with libasyncrt.so).  It reads memory
# only, never calls into the program, so it works on core files too.
#
# An async function NAME runs as NAME__resume(void *_frame): its
# parameters and the locals that live across awaits are fields of the
# frame struct that the generated code reaches as _f.  This file gives
#
#   info locals, bt full   in a NAME__resume frame, the frame's fields by
#                          the user's names, besides the C locals;
#   $NAME                  convenience variables for those fields, set
#                          whenever the program stops and by the async
#                          commands (`print $body`);
#   async print EXPR       EXPR with the selected async frame's fields
#                          in scope by their names (`async print body`);
#   async bt [TASK]        the chain of awaiting async functions, from
#                          the innermost to the task's root, each with
#                          its source line; TASK is a number from
#                          `async tasks` or an async_task * expression,
#                          by default the task running in the selected
#                          thread;
#   async tasks            every task of the loop with its state and the
#                          line it waits at, and the awaits below it.
#
# The chain of a suspended task comes from the NAME__where tables asyncc
# emits (runtime/include/async.h): per state, the await's line and where
# the awaited call's frame is.  The chain of the running task comes from
# the C stack, whose NAME__resume frames are its awaits.

import re

import gdb
from gdb.FrameDecorator import FrameDecorator

RESUME = "__resume"
WHERE_FRAME, WHERE_POINTER, WHERE_AFN = 1, 2, 3
TASK_DONE, TASK_HEAP, TASK_CANCEL, TASK_SPLIT = 1 << 1, 1 << 2, 1 << 4, 1 << 6
DEPTH_MAX = 64
# Names gdb reads as registers: never set as convenience variables.
REGISTERS = {"pc", "sp", "fp", "ps"}


def _async_name(frame):
    """NAME when `frame` runs NAME__resume, else None."""
    try:
        fn = frame.function()
    except RuntimeError:
        return None
    if fn is None or not fn.name.endswith(RESUME):
        return None
    return fn.name[: -len(RESUME)]


def _frame_struct(frame):
    """The frame struct (a gdb.Value) that the resume function `frame`
    works on, or None (a runtime awaitable's resume function, or no
    debug information)."""
    try:
        f = frame.read_var("_f")
    except (ValueError, RuntimeError):
        return None
    ptr_type = f.type
    try:
        # _frame is right from the first instruction; _f only once set.
        raw = frame.read_var("_frame")
        if not raw.is_optimized_out:
            f = raw.cast(ptr_type)
    except (ValueError, RuntimeError):
        pass
    if f.is_optimized_out or int(f) == 0:
        return None
    target = ptr_type.target().strip_typedefs()
    if target.code != gdb.TYPE_CODE_STRUCT:
        return None
    return f.dereference()


def _user_fields(struct):
    """(name, value) of each field of a generated frame that is the
    user's: parameters and kept locals (the frame's own fields start with
    an underscore)."""
    out = []
    for field in struct.type.strip_typedefs().fields():
        if field.name is None or field.name.startswith("_"):
            continue
        out.append((field.name, struct[field.name]))
    return out


class _Var:
    """A local for the frame decorator's frame_locals."""

    def __init__(self, name, value):
        self._name = name
        self._value = value

    def symbol(self):
        return self._name

    def value(self):
        return self._value


class AsyncFrameDecorator(FrameDecorator):
    """Adds an async frame's fields to its locals (bt full, info
    locals)."""

    def __init__(self, fobj):
        super().__init__(fobj)
        self._fobj = fobj

    def frame_locals(self):
        native = list(super().frame_locals() or [])
        struct = _frame_struct(self.inferior_frame())
        if struct is None:
            return native
        hidden = {"_f", "asyncc_r"}
        kept = [v for v in native if str(v.symbol()) not in hidden]
        return [_Var(n, v) for n, v in _user_fields(struct)] + kept


class AsyncFrameFilter:
    def __init__(self):
        self.name = "asyncc"
        self.priority = 100
        self.enabled = True
        gdb.frame_filters[self.name] = self

    def filter(self, frame_iter):
        return map(
            lambda d: AsyncFrameDecorator(d)
            if _async_name(d.inferior_frame()) is not None
            else d,
            frame_iter,
        )


# --- convenience variables ----------------------------------------------

_set_names = set()


def _set_convenience(frame):
    """$NAME for each field of `frame`'s async frame; the previous ones
    are cleared."""
    global _set_names
    for name in _set_names:
        gdb.set_convenience_variable(name, None)
    _set_names = set()
    struct = _frame_struct(frame) if frame is not None else None
    if struct is None:
        return {}
    fields = dict(_user_fields(struct))
    for name, value in fields.items():
        if name in REGISTERS:
            continue
        gdb.set_convenience_variable(name, value)
        _set_names.add(name)
    return fields


def _selected_frame():
    try:
        return gdb.selected_frame()
    except gdb.error:
        return None


def _on_stop(_event):
    try:
        _set_convenience(_selected_frame())
    except gdb.error:
        pass


def _before_prompt():
    # Frame selection (up, down, frame N) has no event: refresh here.
    _on_stop(None)


# --- reading the runtime's structures ------------------------------------


def _lookup(name):
    sym = gdb.lookup_static_symbol(name)
    if sym is None:
        sym = gdb.lookup_global_symbol(name)
    if sym is None:
        try:
            sym = gdb.lookup_symbol(name)[0]
        except gdb.error:
            sym = None
    return sym.value() if sym is not None else None


def _where(name):
    """NAME__where (an async__where), or None."""
    if not name:
        return None
    return _lookup(name + "__where")


def _read_int(addr):
    return int(gdb.Value(addr).cast(gdb.lookup_type("int").pointer()).dereference())


def _read_ptr(addr):
    void_pp = gdb.lookup_type("void").pointer().pointer()
    return int(gdb.Value(addr).cast(void_pp).dereference())


def _string(value):
    try:
        return value.string() if int(value) != 0 else None
    except gdb.error:
        return None


def _afn_name(frame_addr):
    """The function name of a frame from async__afn_frame (its descriptor
    precedes it)."""
    afn_pp = gdb.lookup_type("async__afn").const().pointer().pointer()
    desc = gdb.Value(frame_addr).cast(afn_pp)[-1]
    return _string(desc["fn"]["name"])


def suspended_chain(name, frame_addr):
    """[(name, state, file, line, frame address)], root first, for a
    suspended frame of NAME at frame_addr, as deep as the where tables
    go."""
    out = []
    w = _where(name)
    for _ in range(DEPTH_MAX):
        if w is None or frame_addr == 0:
            break
        state = _read_int(frame_addr)
        n = int(w["n"])
        if state <= 0 or state >= n:
            break
        st = w["states"][state]
        out.append((name, state, _string(w["file"]), int(st["line"]), frame_addr))
        kind = int(st["kind"])
        at = frame_addr + int(st["child"])
        callee = _string(st["callee"])
        if kind == WHERE_FRAME:
            child = at
        elif kind in (WHERE_POINTER, WHERE_AFN):
            child = _read_ptr(at)
            if kind == WHERE_AFN and child != 0:
                callee = _afn_name(child)
        else:
            break
        cw = st["where"]
        w = cw.dereference() if int(cw) != 0 else _where(callee)
        name, frame_addr = callee, child
        if w is None and callee:
            # A runtime awaitable (async_sleep...): no table, no lines.
            out.append((callee, None, None, None, child))
    return out


def running_chain(frame=None):
    """[(name, gdb.Frame)], innermost first: the NAME__resume frames of
    the task running in the selected thread, from `frame` (default: the
    newest) outwards."""
    out = []
    f = frame if frame is not None else gdb.newest_frame()
    while f is not None:
        name = _async_name(f)
        if name is not None:
            out.append((name, f))
        f = f.older()
    return out


def _tls(expr):
    try:
        return gdb.parse_and_eval(expr)
    except gdb.error:
        return None


def _task_frame(t):
    """The root frame's address of task `t` (an async_task *), as
    internal.h's async__task_frame_of."""
    flags = int(t["flags"])
    addr = int(t)
    if not flags & TASK_HEAP:
        child_t = gdb.lookup_type("async__child").pointer()
        return int(t.cast(child_t)["frame"])
    size = gdb.lookup_type("async_task").sizeof
    if flags & TASK_SPLIT:
        return _read_ptr(addr + size)
    return addr + size


def _task_name(t):
    fn = t["fn"]
    if int(fn) == 0:
        return "(unnamed)"
    return _string(fn["name"]) or "(unnamed)"


def all_tasks():
    """[(async_task * Value, is_root)] of the selected thread's loop: the
    main task, then the spawned tasks by name and address, as
    async_dump_tasks orders them."""
    tasks = []
    root = _tls("'loop.c'::the_loop.root")
    if root is not None and int(root) != 0:
        tasks.append((root, True))
    heap = []
    classes = _tls("'task_alloc.c'::classes")
    task_p = gdb.lookup_type("async_task").pointer()
    if classes is not None:
        lo, hi = classes.type.range()
        grain = 8  # task_alloc.c's GRAIN
        # Blocks start after the chunk's header, aligned for any type
        # (task_alloc.c's BLOCKS_OFFSET).
        align = 16
        start = (gdb.lookup_type("chunk").sizeof + align - 1) // align * align
        for cls in range(lo, hi + 1):
            size = cls * grain
            c = classes[cls]["first"]
            guard = 0
            while int(c) != 0 and guard < 1 << 20:
                p = int(c) + start
                bump = int(c["bump"])
                while size > 0 and p < bump:
                    t = gdb.Value(p).cast(task_p)
                    if int(t["fn"]) != 0:
                        heap.append(t)
                    p += size
                c = c["next"]
                guard += 1
    big = _tls("'task_alloc.c'::bigs")
    if big is not None:
        guard = 0
        while int(big) != 0 and guard < 1 << 20:
            t = (big + 1).cast(task_p)
            if int(t["fn"]) != 0:
                heap.append(t)
            big = big["next"]
            guard += 1
    heap.sort(key=lambda t: (_task_name(t), int(t)))
    return tasks + [(t, False) for t in heap]


# --- commands ------------------------------------------------------------


class AsyncPrefix(gdb.Command):
    """Commands for asyncc programs: async bt, async tasks, async print."""

    def __init__(self):
        super().__init__("async", gdb.COMMAND_STACK, prefix=True)


def _chain_lines(name, frame_addr, indent):
    lines = []
    for cname, state, file, line, _addr in suspended_chain(name, frame_addr)[1:]:
        if state is None:
            continue
        lines.append(
            "%sin '%s': state %d, waiting at %s:%d" % (indent, cname, state, file, line)
        )
    return lines


def _running_task():
    t = _tls("async__running")
    if t is None or int(t) == 0:
        return None
    return t


class AsyncTasks(gdb.Command):
    """List every task of the loop in the selected thread: its number (for
    `async bt N`), function, state and the line it waits at, then one line
    per async function it is awaiting, innermost last.  Reads memory only:
    works on a core file."""

    def __init__(self):
        super().__init__("async tasks", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        tasks = all_tasks()
        if not tasks and _tls("'loop.c'::the_loop") is None:
            print("asyncrt: the runtime has no debug information (stripped?): "
                  "async tasks reads the loop through it")
            return
        if not tasks:
            print("asyncrt: no loop is running in this thread")
            return
        running = _running_task()
        print("asyncrt: %d task%s" % (len(tasks), "" if len(tasks) == 1 else "s"))
        for i, (t, is_root) in enumerate(tasks, 1):
            what = "main" if is_root else "task"
            head = "  #%d %s '%s' (%s)" % (i, what, _task_name(t), t)
            flags = int(t["flags"])
            cancel = " (cancel requested)" if flags & TASK_CANCEL else ""
            if running is not None and int(running) == int(t):
                chain = running_chain()
                where = ""
                if chain:
                    sal = chain[0][1].find_sal()
                    if sal.symtab is not None:
                        where = ", in '%s' at %s:%d" % (
                            chain[0][0],
                            sal.symtab.filename.rsplit("/", 1)[-1],
                            sal.line,
                        )
                print("%s: running%s%s" % (head, where, cancel))
                continue
            if flags & TASK_DONE:
                failed = " (failed)" if int(t["error"]) < 0 else ""
                print("%s: finished%s" % (head, failed))
                continue
            frame = _task_frame(t)
            state = _read_int(frame)
            w = _where(_task_name(t))
            if state == 0:
                print("%s: not started" % head)
            elif w is not None and 0 < state < int(w["n"]):
                line = int(w["states"][state]["line"])
                print(
                    "%s: state %d, waiting at %s:%d%s"
                    % (head, state, _string(w["file"]), line, cancel)
                )
                for text in _chain_lines(_task_name(t), frame, "      "):
                    print(text)
            else:
                print("%s: state %d%s" % (head, state, cancel))


class AsyncBt(gdb.Command):
    """Print the chain of awaiting async functions, innermost first, each
    with its source line: async bt [TASK].
    Without TASK, the task running in the selected thread, from its C stack
    (the program must be stopped inside it).  TASK is a number that `async
    tasks` shows, or an expression giving an async_task *: a suspended
    task's chain is read from its frames."""

    def __init__(self):
        super().__init__("async bt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        arg = arg.strip()
        if not arg:
            chain = running_chain()
            if not chain:
                raise gdb.GdbError(
                    "async bt: no async function on the stack; "
                    "give a task (async tasks lists them)"
                )
            for i, (name, f) in enumerate(chain):
                sal = f.find_sal()
                where = (
                    "%s:%d" % (sal.symtab.filename.rsplit("/", 1)[-1], sal.line)
                    if sal.symtab is not None
                    else "??"
                )
                struct = _frame_struct(f)
                addr = " (frame %s)" % struct.address if struct is not None else ""
                print("#%-2d %s at %s%s" % (i, name, where, addr))
            return
        task = self._task(arg)
        frame = _task_frame(task)
        chain = suspended_chain(_task_name(task), frame)
        if not chain:
            state = _read_int(frame)
            raise gdb.GdbError(
                "async bt: task '%s' is not waiting at an await (state %d)"
                % (_task_name(task), state)
            )
        for i, (name, state, file, line, addr) in enumerate(reversed(chain)):
            if state is None:
                print("#%-2d %s (frame 0x%x)" % (i, name, addr))
            else:
                print(
                    "#%-2d %s (state %d) at %s:%d (frame 0x%x)"
                    % (i, name, state, file, line, addr)
                )

    @staticmethod
    def _task(arg):
        if arg.isdigit():
            tasks = all_tasks()
            k = int(arg)
            if not 1 <= k <= len(tasks):
                raise gdb.GdbError(
                    "async bt: no task %d (async tasks lists %d)" % (k, len(tasks))
                )
            return tasks[k - 1][0]
        value = gdb.parse_and_eval(arg)
        return value.cast(gdb.lookup_type("async_task").pointer())


_IDENT = re.compile(r"(\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*')|([A-Za-z_]\w*)")


def _rewrite(expr, names):
    """EXPR with each identifier that names a field turned into $NAME,
    except in literals and after `.`, `->` or `$`."""
    out = []
    pos = 0
    for m in _IDENT.finditer(expr):
        out.append(expr[pos : m.start()])
        pos = m.end()
        text = m.group(0)
        before = expr[: m.start()].rstrip()
        if (
            m.group(2)
            and text in names
            and not before.endswith((".", "->", "$"))
            and not (m.start() > 0 and expr[m.start() - 1] == "$")
        ):
            out.append("$" + text)
        else:
            out.append(text)
    out.append(expr[pos:])
    return "".join(out)


class AsyncPrint(gdb.Command):
    """Print an expression in the selected async function's frame:
    async print EXPR.  The parameters and locals that live in the frame
    struct (_f->NAME) are named as in the source, e.g. `async print body`
    or `async print tag[0]`; other names are gdb's."""

    def __init__(self):
        super().__init__("async print", gdb.COMMAND_DATA, gdb.COMPLETE_EXPRESSION)

    def invoke(self, arg, from_tty):
        if not arg.strip():
            raise gdb.GdbError("async print: an expression is needed")
        frame = _selected_frame()
        fields = _set_convenience(frame) if frame is not None else {}
        if not fields:
            raise gdb.GdbError(
                "async print: the selected frame is not in an async function"
            )
        gdb.execute("print " + _rewrite(arg, set(fields) - REGISTERS), from_tty)


class InfoLocals(gdb.Command):
    """Local variables of the selected frame: info locals [-q] [NAMEREGEXP].
    In an async function (NAME__resume), its parameters and the locals kept
    in its frame struct come first, by their names in the source, then the
    C locals (asyncc_gdb.py replaces gdb's own command)."""

    def __init__(self):
        super().__init__("info locals", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        words = arg.split()
        quiet = "-q" in words
        words = [w for w in words if w != "-q"]
        pattern = re.compile(words[-1]) if words else None
        frame = _selected_frame()
        if frame is None:
            raise gdb.GdbError("No frame selected.")
        rows = []
        struct = _frame_struct(frame) if _async_name(frame) else None
        if struct is not None:
            rows += _user_fields(struct)
        try:
            block = frame.block()
        except RuntimeError:
            block = None
        seen = set()
        while block is not None:
            for sym in block:
                if not sym.is_variable or sym.is_argument or sym.name in seen:
                    continue
                if struct is not None and sym.name in ("_f", "asyncc_r"):
                    continue
                seen.add(sym.name)
                try:
                    rows.append((sym.name, sym.value(frame)))
                except (gdb.error, RuntimeError) as e:
                    rows.append((sym.name, "<error: %s>" % e))
            if block.function is not None:
                break
            block = block.superblock
        rows = [r for r in rows if pattern is None or pattern.search(r[0])]
        if not rows:
            if not quiet:
                print("No locals.")
            return
        for name, value in rows:
            print("%s = %s" % (name, value))


def register():
    AsyncFrameFilter()
    AsyncPrefix()
    AsyncTasks()
    AsyncBt()
    AsyncPrint()
    InfoLocals()
    gdb.events.stop.connect(_on_stop)
    gdb.events.before_prompt.connect(_before_prompt)


if not getattr(gdb, "_asyncc_gdb_loaded", False):
    gdb._asyncc_gdb_loaded = True
    register()
