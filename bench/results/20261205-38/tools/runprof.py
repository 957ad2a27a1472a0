#!/usr/bin/env python3
# runprof.py FILE [COMM [MAX_US]]: cpu-clock samples of COMM (default apus-loop-1) grouped by the length of the run
# (switch-in to switch-out) they fell in: the top symbols of long runs (>= 100 us, under MAX_US) against short ones (< 40 us).
import re, sys, collections
f = sys.argv[1]; comm = sys.argv[2] if len(sys.argv) > 2 else 'apus-loop-1'
max_us = float(sys.argv[3]) if len(sys.argv) > 3 else float('inf')
runs = []; cur = {}; samples = []
for l in open(f):
    m = re.search(r'\[(\d+)\]\s+(\d+\.\d+):\s+sched:sched_switch: prev_comm=(.*?) prev_pid=.*==> next_comm=(.*?) next_pid=', l)
    if m:
        cpu, t = m[1], float(m[2])
        if m[3] == comm and cpu in cur: runs.append((cur.pop(cpu), t, cpu))
        if m[4] == comm: cur[cpu] = t
        continue
    m = re.search(r'^\s*(\S+)\s+\S+\s+\[(\d+)\]\s+(\d+\.\d+):\s+cpu-clock:\s+(\S+)\s+(.*)$', l)
    if m and m[1] == comm: samples.append((float(m[3]), m[2], m[5].strip()))
import bisect
runs.sort(); starts = [r[0] for r in runs]
long_, short = collections.Counter(), collections.Counter(); nl = ns = 0
durs = collections.Counter()
for t, cpu, sym in samples:
    i = bisect.bisect_right(starts, t) - 1
    if i < 0 or runs[i][1] < t: continue
    d = (runs[i][1] - runs[i][0]) * 1e6
    if 100 <= d < max_us: long_[sym] += 1; nl += 1
    elif d < 40: short[sym] += 1; ns += 1
print('runs', len(runs), 'long runs', sum(1 for r in runs if 100 <= (r[1]-r[0])*1e6 < max_us), 'samples long', nl, 'short', ns)
print('--- long runs'); [print(f"{v/nl*100:5.1f}% {k}") for k, v in long_.most_common(30)]
print('--- short runs'); [print(f"{v/ns*100:5.1f}% {k}") for k, v in short.most_common(20)]
