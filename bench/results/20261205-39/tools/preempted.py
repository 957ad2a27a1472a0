#!/usr/bin/env python3
# preempted.py DIR [COMM]: each time COMM (default apus-loop-1) was switched out still runnable (prev_state R/R+), how
# long until it ran again, by the task that took the CPU; waits >= MIN us (env, default 500) listed with their time.
import re, sys, os, collections
d = sys.argv[1]; comm = sys.argv[2] if len(sys.argv) > 2 else 'apus-loop-1'; MIN = float(os.environ.get('MIN', 500))
pend = None; agg = collections.defaultdict(list)
for l in open(d + '/sched.txt'):
    if 'sched:sched_switch' not in l: continue
    m = re.search(r'\[(\d+)\] (\d+\.\d+):\s+sched:sched_switch: prev_comm=(.*?) prev_pid=\d+ prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*?) next_pid', l)
    if not m: continue
    t = float(m[2])
    if m[3] == comm and m[4].startswith('R'): pend = (t, m[5], m[1]); continue
    if pend and m[5] == comm:
        w = (t - pend[0]) * 1e6; agg[pend[1]].append(w)
        if w >= MIN: print(f"{pend[0]:.6f} cpu{pend[2]} waited {w:7.0f}us behind {pend[1]} (back on cpu{m[1]} after {m[3]})")
        pend = None
print('--- by the task that took the CPU: n, total us, max us')
for k, v in sorted(agg.items(), key=lambda kv: -sum(kv[1]))[:12]: print(f"{len(v):6} {sum(v):9.0f} {max(v):7.0f}  {k}")
