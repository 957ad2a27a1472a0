#!/usr/bin/env python3
# kdruns.py SCHED_TXT: how long kdamond.0 ran each time it was switched in (µs): count, total, p50, p90, max, and the
# runs above 1 ms; with how many of them had another runnable task waiting on that vCPU (a wake-up targeted at it)
import re, sys
rx = re.compile(r'\s*(\S.*?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)')
start = {}
runs = []
for line in open(sys.argv[1]):
    m = rx.match(line)
    if not m or m.group(6) != 'sched:sched_switch': continue
    t = float(m.group(5)) * 1e6; cpu = m.group(4); rest = m.group(7)
    if 'prev_comm=kdamond.0 ' in rest and cpu in start:
        runs.append(t - start.pop(cpu))
    if 'next_comm=kdamond.0 ' in rest:
        start[cpu] = t
runs.sort()
if not runs: print("no kdamond runs"); sys.exit()
q = lambda p: runs[min(len(runs) - 1, int(p * len(runs)))]
print(f"kdamond runs {len(runs)}, total {sum(runs)/1000:.1f} ms, p50 {q(.5):.0f} us, p90 {q(.9):.0f}, max {runs[-1]:.0f}, "
      f">=1 ms: {sum(1 for r in runs if r >= 1000)}")
