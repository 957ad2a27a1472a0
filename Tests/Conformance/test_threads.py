# Conformance: an operator's `top -H` (or `ps -L`, `perf`) tells a running broker's threads apart by name: its event
# loops `apus-loop-N`, the store's flush thread `apus-flush` and its page-cache thread `apus-cache` (NIO alone would
# name every Swift process's loops `NIO-ELT-…`, the broker's and its clients' alike).
from pathlib import Path

from harness import wait_for


def thread_names(pid):
    names = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            names.append((task / "comm").read_text().strip())
        except FileNotFoundError:  # a thread that just ended
            pass
    return names


def test_broker_threads_are_named_for_operators(apus):
    wanted = {"apus-loop-1", "apus-flush", "apus-cache"}

    def named():
        names = thread_names(apus.proc.pid)
        return names if wanted <= set(names) else None

    names = wait_for(named, 10, what=f"threads named {sorted(wanted)}")
    assert not [n for n in names if n.startswith("NIO-ELT-")], names
