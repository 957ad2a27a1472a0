#!/usr/bin/env python3
# other.py SCHED_TXT PID [MIN_US]: wake-to-run delays >= MIN_US (default 300) of PID's threads, with the vCPU each was
# woken onto, the task running there (the waker: an interrupt's wake-up shows the interrupted task) and what ran on
# every vCPU at that moment (round 26's waits.py shows what ran while it waited instead)
import sys
from schedtrace import events, Switch
pid = sys.argv[2]; minimum = float(sys.argv[3]) if len(sys.argv) > 3 else 300
woken = {}; running = {}; tids = set(); out = []
for task, e in events(sys.argv[1]):
    if task.pid == pid: tids.add(task.tid)
    if isinstance(e, Switch):
        running[e.cpu] = e.next_comm
        if e.next_tid in woken:
            w, snapshot = woken.pop(e.next_tid)
            if e.next_tid in tids and e.t - w.t >= minimum: out.append((e.t - w.t, e, w, snapshot))
    else:
        woken[e.tid] = (e, dict(running))
print(f"{len(out)} waits >= {minimum} us")
for d, s, w, snapshot in sorted(out, key=lambda x: -x[0]):
    print(f"{d:7.0f} us {s.next_comm} ran on {s.cpu} (target {w.target}, waker {w.waker}); at wake-up: "
          + ", ".join(f"cpu{k}={v}" for k, v in sorted(snapshot.items())))
