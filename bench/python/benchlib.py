"""What every Python benchmark program shares: a monotonic clock, the
process's memory as the kernel counts it, the size argument and the one
line of JSON each program prints (the protocol of bench/common/bench.h,
reproduced byte for byte so that one parser reads every system).
"""

import re
import sys
import time

# time.perf_counter is CLOCK_MONOTONIC on Linux, like bench_now().
now = time.perf_counter

_NUMBER = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(.*)",
                     re.DOTALL)


def status_kb(field):
    """A field of /proc/self/status in kB ("VmRSS", "VmHWM"), or -1."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                name, _, value = line.partition(":")
                if name == field:
                    return int(value.split()[0])
    except OSError:
        pass
    return -1


def arg_n(fallback):
    """N from argv[1], or `fallback`; accepts 1e6-style and 10M-style,
    as bench_arg_n does."""
    if len(sys.argv) < 2:
        return fallback
    m = _NUMBER.match(sys.argv[1])
    v = float(m.group(1)) if m else 0.0
    suffix = m.group(2)[:1] if m else ""
    if suffix in ("k", "K"):
        v *= 1e3
    elif suffix in ("m", "M"):
        v *= 1e6
    if v < 1:
        print(f"bad N '{sys.argv[1]}'", file=sys.stderr)
        sys.exit(2)
    return int(v)


def report(workload, n, seconds, ops, rss_before_kb, check):
    """Prints the one JSON line; VmHWM is read here, at the end."""
    print(f'{{"workload":"{workload}","system":"python","n":{n},'
          f'"seconds":{seconds:.9f},"ops":{ops:.0f},'
          f'"rss_before_kb":{rss_before_kb},'
          f'"rss_peak_kb":{status_kb("VmHWM")},"check":{check:.0f}}}',
          flush=True)


def bench_rand(state):
    """xorshift32 as in bench_rand(): returns the next state, which is
    also the drawn number.  Python integers do not wrap, so the left
    shifts are masked back to 32 bits."""
    state ^= (state << 13) & 0xFFFFFFFF
    state ^= state >> 17
    state ^= (state << 5) & 0xFFFFFFFF
    return state
