# schedtrace.py: reads `perf script -F comm,pid,tid,cpu,time,event,trace` output of sched_switch and sched_wakeup, for
# the other scripts here
import re
from typing import NamedTuple

class Switch(NamedTuple):
    t: float      # µs
    cpu: int
    prev_comm: str
    prev_tid: str
    prev_state: str
    next_comm: str
    next_tid: str

class Wakeup(NamedTuple):
    t: float
    cpu: int
    waker: str    # what ran on `cpu` when the wake-up happened
    comm: str
    tid: str
    target: int

class Task(NamedTuple):
    pid: str
    tid: str

_line = re.compile(r'\s*(\S.*?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)')
_switch = re.compile(r'prev_comm=(.*?) prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)')
_wakeup = re.compile(r'comm=(.*?) pid=(\d+) .*target_cpu=(\d+)')

def events(path):
    """Yields (Task of the line's process, Switch or Wakeup) in file order."""
    for line in open(path):
        m = _line.match(line)
        if not m: continue
        comm, pid, tid, cpu, t, name, rest = m.groups()
        t = float(t) * 1e6; cpu = int(cpu)
        if name == 'sched:sched_switch':
            w = _switch.search(rest)
            yield Task(pid, tid), Switch(t, cpu, w.group(1), w.group(2), w.group(3), w.group(4), w.group(5))
        elif name == 'sched:sched_wakeup':
            w = _wakeup.search(rest)
            yield Task(pid, tid), Wakeup(t, cpu, comm, w.group(1), w.group(2), int(w.group(3)))
