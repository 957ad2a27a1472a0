#!/usr/bin/env python3
# longruns.py DIR...: the broker loop's runs (switch-in to switch-out) of 1 ms or more in DIR/sched.txt: count, total, longest.
import re, sys
for d in sys.argv[1:]:
    cur = {}; runs = []
    for l in open(d + '/sched.txt'):
        m = re.search(r'\[(\d+)\] (\d+\.\d+): sched:sched_switch: prev_comm=(.*?) prev_pid=.*==> next_comm=(.*?) next_pid=', l)
        if not m: continue
        cpu, t = m[1], float(m[2])
        if m[3] == 'apus-loop-1' and cpu in cur: runs.append((t - cur.pop(cpu)) * 1e3)
        if m[4] == 'apus-loop-1': cur[cpu] = t
    long_ = sorted(r for r in runs if r >= 1)
    print(f"{d}: runs {len(runs)}, >= 1 ms: {len(long_)} totalling {sum(long_):.1f} ms, longest {[round(x, 1) for x in long_[-5:]]}")
