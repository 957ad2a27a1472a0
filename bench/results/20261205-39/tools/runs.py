#!/usr/bin/env python3
# runs.py DIR COMM [MIN_US]: COMM's on-CPU runs (switch-in to switch-out) in DIR/sched.txt: count, total, and those >= MIN
import re, sys
d, comm = sys.argv[1], sys.argv[2]; MIN = float(sys.argv[3]) if len(sys.argv) > 3 else 1000
on = {}; runs = []
for l in open(d + '/sched.txt'):
    m = re.search(r'\[(\d+)\] (\d+\.\d+):\s+sched:sched_switch: prev_comm=(.*?) prev_pid=.*prev_state=(\S+) ==> next_comm=(.*?) next_pid', l)
    if not m: continue
    cpu, t = m[1], float(m[2])
    if m[3] == comm and cpu in on: runs.append((on.pop(cpu), (t - on_t[cpu]) * 1e6, m[4]))
    if m[5] == comm: on[cpu] = t; on_t = globals().setdefault('on_t', {}); on_t[cpu] = t
big = [r for r in runs if r[1] >= MIN]
print(f"{comm}: {len(runs)} runs, {sum(r[1] for r in runs)/1e3:.1f} ms; >= {MIN:.0f} us: {len(big)}: " + ' '.join(f"{r[1]:.0f}" for r in big))
