# Conformance: an operator's `top -H` (or `ps -L`, `perf`) tells a running broker's threads apart by name: its event
# loops `apus-loop-N`, the store's flush thread `apus-flush` and its page-cache thread `apus-cache` (NIO alone would
# name every Swift process's loops `NIO-ELT-…`, the broker's and its clients' alike). The cache thread runs at
# SCHED_IDLE (`chrt -p` shows it), so it never takes a CPU from them; the event loops keep the normal policy.
# On Linux 6.12 and later an idle event loop asks for a short time slice (`loopSliceMicros`, 100 µs: woken, it runs
# ahead of longer-slice threads on its CPU) and a busy one goes back to the kernel's default; `/proc/<pid>/task/<tid>/
# sched` shows the slice as `se.slice`.
import platform
import re
import time
import subprocess
from pathlib import Path

import pytest

from harness import apus_bin, wait_for

SCHED_OTHER, SCHED_IDLE = 0, 5


def tasks(pid, file):
    """(name, text of /proc/<pid>/task/<tid>/<file>) of each of the process's threads."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            yield (task / "comm").read_text().strip(), (task / file).read_text()
        except FileNotFoundError:  # a thread that just ended
            continue


def threads(pid):
    """{name: scheduling policy} of the process's threads."""
    # The fields after the parenthesised name (which may hold spaces) start at field 3; the policy is field 41.
    return {name: int(stat.rsplit(")", 1)[1].split()[41 - 3]) for name, stat in tasks(pid, "stat")}


def test_broker_threads_are_named_for_operators(apus):
    wanted = {"apus-loop-1", "apus-flush", "apus-cache"}

    def named():
        found = threads(apus.proc.pid)
        return found if wanted <= set(found) else None

    found = wait_for(named, 10, what=f"threads named {sorted(wanted)}")
    assert not [name for name in found if name.startswith("NIO-ELT-")], found
    assert found["apus-loop-1"] == SCHED_OTHER, found
    assert found["apus-flush"] == SCHED_OTHER, found
    assert found["apus-cache"] == SCHED_IDLE, found


def thread_slices(pid):
    """{name: se.slice in ns} of the process's threads (empty where /proc does not show it)."""
    found = {}
    for name, sched in tasks(pid, "sched"):
        if m := re.search(r"^se\.slice\s*:\s*(\d+)", sched, re.M):
            found[name] = int(m.group(1))
    return found


def kernel_takes_slices():
    version = tuple(int(part) for part in re.findall(r"\d+", platform.release())[:2])
    return version >= (6, 12)


def test_event_loop_asks_for_a_short_slice_while_idle_and_the_default_while_busy(apus):
    if not kernel_takes_slices() or "apus-loop-1" not in wait_for(lambda: thread_slices(apus.proc.pid) or None, 10,
                                                                   what="se.slice in /proc"):
        pytest.skip(f"Linux {platform.release()} keeps no per-thread slice request")
    pid = apus.proc.pid
    idle = wait_for(lambda: (s := thread_slices(pid)).get("apus-loop-1") == 100_000 and s, 10,
                    what="the idle loop's 100 µs slice")
    default = idle["apus-flush"]
    assert default != 100_000, idle  # the store's threads keep the kernel's default

    def bench(*args):
        return subprocess.Popen([apus_bin(), "bench", "--namesrv", apus.namesrv, "--time-limit", "60", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    # W1 keeps the loop busy (it sends as fast as the broker acknowledges): back to the default within a look.
    w1 = bench("--workloads", "w1", "--count", "2000000")
    try:
        wait_for(lambda: thread_slices(pid).get("apus-loop-1") == default or w1.poll() is not None, 30,
                 interval=0.02, what="the busy loop's default slice")
        assert thread_slices(pid).get("apus-loop-1") == default, (w1.poll(), w1.stdout.read() if w1.poll() is not None else "")
    finally:
        w1.kill()
        w1.wait()
    # Quiet after the burst, with no read to look after: short again on the loop's own timer.
    wait_for(lambda: thread_slices(pid).get("apus-loop-1") == 100_000, 10, interval=0.02,
             what="the quiet loop's 100 µs slice")
    # A paced stream (W4 at 200 msg/s, a look after each read) is mostly idle: short while it runs.
    w4 = bench("--workloads", "w4", "--rate", "200", "--duration", "5")
    started = time.monotonic()
    try:
        wait_for(lambda: time.monotonic() - started > 2 and w4.poll() is None
                 and thread_slices(pid).get("apus-loop-1") == 100_000, 30, interval=0.02,
                 what="the paced loop's 100 µs slice")
    finally:
        w4.kill()
        w4.wait()
