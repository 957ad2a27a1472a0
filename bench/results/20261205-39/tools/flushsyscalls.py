#!/usr/bin/env python3
# flushsyscalls.py DIR [FROM TO]: the flush thread's syscalls (flushsys.sh trace) between monotonic times FROM and TO
# (default: the W4 dump's first send .. last receive): count, total and max duration per syscall.
import re, sys, collections
d = sys.argv[1]
NAMES = {26:'msync',28:'madvise',202:'futex',221:'fadvise64',277:'sync_file_range',285:'fallocate',24:'sched_yield',75:'fdatasync',3:'close',257:'openat'}
if len(sys.argv) > 3: lo, hi = float(sys.argv[2]), float(sys.argv[3])
else:
    xs = [tuple(map(int, l.split())) for l in open(d + '/dump.txt') if l.strip()]
    lo = min(x[2] - x[1] for x in xs) / 1e9; hi = max(x[2] for x in xs) / 1e9
agg = collections.defaultdict(list); enter = None
for l in open(d + '/sched.txt'):
    if 'raw_syscalls' not in l: continue
    m = re.search(r'\] (\d+\.\d+):\s+raw_syscalls:sys_(enter|exit): NR (\d+)', l)
    t = float(m[1])
    if t < lo or t > hi: continue
    if m[2] == 'enter': enter = (t, int(m[3]))
    elif enter and enter[1] == int(m[3]): agg[NAMES.get(enter[1], enter[1])].append((t - enter[0]) * 1e6); enter = None
print(f"window {hi - lo:.1f} s")
for k, v in sorted(agg.items(), key=lambda kv: -sum(kv[1])): print(f"{str(k):16} n {len(v):6} total {sum(v)/1e3:8.1f} ms  max {max(v):8.0f} us")
