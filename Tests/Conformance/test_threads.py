# Conformance: an operator's `top -H` (or `ps -L`, `perf`) tells a running broker's threads apart by name: its event
# loops `apus-loop-N`, the store's flush thread `apus-flush` and its page-cache thread `apus-cache` (NIO alone would
# name every Swift process's loops `NIO-ELT-…`, the broker's and its clients' alike). The cache thread runs at
# SCHED_IDLE (`chrt -p` shows it), so it never takes a CPU from them; the event loops keep the normal policy.
from pathlib import Path

from harness import wait_for

SCHED_OTHER, SCHED_IDLE = 0, 5


def threads(pid):
    """{name: scheduling policy} of the process's threads."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            stat = (task / "stat").read_text()
        except FileNotFoundError:  # a thread that just ended
            continue
        # The fields after the parenthesised name (which may hold spaces) start at field 3; the policy is field 41.
        found[name] = int(stat.rsplit(")", 1)[1].split()[41 - 3])
    return found


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
