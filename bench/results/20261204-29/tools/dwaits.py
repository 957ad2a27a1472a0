#!/usr/bin/env python3
# dwaits.py PERF_SCRIPT_TXT [MIN_US]: uninterruptible sleeps (switch-out in D to the next wake-up of that thread) of
# at least MIN_US (default 1000), with comm/tid and the top kernel frames where the thread blocked
import re, sys, collections
path = sys.argv[1]; minimum = float(sys.argv[2]) if len(sys.argv) > 2 else 1000
hdr = re.compile(r'\s*(\S.*?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)')
events = []; cur = None
for line in open(path):
    if not line.strip():
        if cur: events.append(cur); cur = None
        continue
    m = hdr.match(line)
    if m and not line.startswith('\t') and not line.startswith('    '):
        if cur: events.append(cur)
        cur = dict(comm=m.group(1), pid=m.group(2), tid=m.group(3), t=float(m.group(5))*1e6, ev=m.group(6), rest=m.group(7), stack=[])
    elif cur:
        parts = line.split()
        if len(parts) >= 2: cur['stack'].append(parts[1])
if cur: events.append(cur)
blocked = {}
out = []
for e in events:
    if e['ev'] == 'sched:sched_switch':
        blocked[e['tid']] = e
    elif e['ev'] == 'sched:sched_wakeup':
        w = re.search(r'pid=(\d+)', e['rest'])
        if w and w.group(1) in blocked:
            b = blocked.pop(w.group(1)); d = e['t'] - b['t']
            if d >= minimum: out.append((d, b))
agg = collections.defaultdict(list)
for d, b in out:
    frames = [f for f in b['stack'] if not f.startswith(('__schedule', 'schedule', '__traceiter', 'trace_'))][:int(__import__("os").environ.get("FRAMES","7"))]
    agg[(b['comm'], ' < '.join(frames))].append(d)
for (comm, st), ds in sorted(agg.items(), key=lambda kv: -max(kv[1])):
    print(f"{comm:18} n={len(ds):3} max {max(ds)/1000:7.1f} ms  {st}")
