#!/usr/bin/env python3
# thr.py SCHED_TXT PID: per thread of PID, on-CPU runs: count and total µs per second of the trace
import re, sys, collections
rx = re.compile(r'\s*(\S.*?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)')
pid = sys.argv[2]; cur = {}; t_first = None; tids = {}
agg = collections.defaultdict(lambda: [0, 0.0])
for line in open(sys.argv[1]):
    m = rx.match(line)
    if not m or m.group(6) != 'sched:sched_switch': continue
    if m.group(2) == pid: tids[m.group(3)] = m.group(1)
    cpu = int(m.group(4)); t = float(m.group(5)) * 1e6
    if t_first is None: t_first = t
    w = re.search(r'prev_comm=(.*?) prev_pid=(\d+) .*==> next_comm=(.*?) next_pid=(\d+)', m.group(7))
    if cpu in cur and cur[cpu][1] == w.group(2):
        a = agg[(w.group(1) + '/' + w.group(2), int((t - t_first) / 1e6))]
        a[0] += 1; a[1] += t - cur[cpu][0]
    cur[cpu] = (t, w.group(4))
names = sorted({k[0] for k in agg if k[0].split('/')[1] in tids})
for n in names:
    print(n, " ".join(f"{s}:{agg[(n, s)][0]}/{agg[(n, s)][1]:.0f}" for s in range(16) if (n, s) in agg))
