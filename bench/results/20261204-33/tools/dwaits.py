#!/usr/bin/env python3
# dwaits.py SCHED_TXT: waits of NIO-ELT-1-#1 (the broker loop) in D state: length and waker
import re, sys, collections
rx = re.compile(r'\s*(\S.*?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)')
loop_pid = None; dstart = {}; out = []
for line in open(sys.argv[1]):
    m = rx.match(line)
    if not m: continue
    t = float(m.group(5)) * 1e6; rest = m.group(7)
    if m.group(6) == 'sched:sched_switch':
        w = re.search(r'prev_comm=(.*?) prev_pid=(\d+) .*prev_state=(\S+) ==>', rest)
        if w.group(1) == 'NIO-ELT-1-#1' and w.group(3).startswith('D'): dstart[w.group(2)] = t
    elif m.group(6) == 'sched:sched_wakeup':
        w = re.search(r'comm=(.*?) pid=(\d+) ', rest)
        if w.group(2) in dstart: out.append((t - dstart.pop(w.group(2)), m.group(1)))
c = collections.Counter(x[1] for x in out if x[0] >= 50)
print(f"{len(out)} D waits; >=50 us: {sum(c.values())} by {dict(c)}; max {max(x[0] for x in out):.0f} us" if out else "none")
