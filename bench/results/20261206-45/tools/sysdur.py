#!/usr/bin/env python3
"""sysdur.py SCRIPT TID FD NR...: durations (µs) of the syscalls NR on FD by thread TID: p50 p90 p99 and count."""
import sys, re
script, tid, fd = sys.argv[1], int(sys.argv[2]), sys.argv[3]; nrs = set(map(int, sys.argv[4:]))
rx = re.compile(r'^\s*\S+\s+(\d+)\s+\[\d+\]\s+([\d.]+):\s+raw_syscalls:sys_(enter|exit):\s+NR (\d+) (.*)$')
open_at = None; d = []
for line in open(script):
    m = rx.match(line)
    if not m or int(m.group(1)) != tid: continue
    t, kind, nr, rest = float(m.group(2)), m.group(3), int(m.group(4)), m.group(5)
    if nr not in nrs: open_at = None; continue
    if kind == 'enter': open_at = t if rest.startswith('(' + fd + ',') else None
    elif open_at is not None: d.append((t - open_at) * 1e6); open_at = None
d.sort(); n = len(d)
print(f"n={n} p50={d[n//2]:.1f} p90={d[int(n*.9)]:.1f} p99={d[int(n*.99)]:.1f}")
