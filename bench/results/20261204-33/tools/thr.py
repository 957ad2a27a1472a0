#!/usr/bin/env python3
# thr.py SCHED_TXT PID: per thread of PID, on-CPU runs in each second of the trace: count / total µs
import sys, collections
from schedtrace import events, Switch
pid = sys.argv[2]; cur = {}; t_first = None; tids = set()
agg = collections.defaultdict(lambda: [0, 0.0])
for task, e in events(sys.argv[1]):
    if task.pid == pid: tids.add(task.tid)
    if not isinstance(e, Switch): continue
    if t_first is None: t_first = e.t
    if e.cpu in cur and cur[e.cpu][1] == e.prev_tid:
        a = agg[(e.prev_comm + '/' + e.prev_tid, int((e.t - t_first) / 1e6))]
        a[0] += 1; a[1] += e.t - cur[e.cpu][0]
    cur[e.cpu] = (e.t, e.next_tid)
names = sorted({k[0] for k in agg if k[0].split('/')[1] in tids})
for n in names:
    print(n, " ".join(f"{s}:{agg[(n, s)][0]}/{agg[(n, s)][1]:.0f}" for s in range(16) if (n, s) in agg))
