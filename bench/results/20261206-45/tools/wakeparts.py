#!/usr/bin/env python3
"""wakeparts.py SCRIPT BROKER_TID CFD_B CONS_TID CFD_C: the consumer's wake-up after each answer, in parts (µs):
answer write exit -> consumer switched in -> its wait's exit (epoll_wait; none for a blocking read) -> read enter -> read exit."""
import sys, re, bisect
script, btid, cfdb, ctid, cfdc = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
rx = re.compile(r'^\s*(\S+)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s+(.*)$')
ans = []; sw = []; wexit = []; renter = []; rexit = []; pend = {}
for line in open(script):
    m = rx.match(line)
    if not m: continue
    tid, t, ev, tr = int(m.group(2)), float(m.group(4)), m.group(5), m.group(6)
    if ev == 'sched:sched_switch':
        if f'next_pid={ctid} ' in tr: sw.append(t)
        continue
    if tid not in (btid, ctid): continue
    if ev == 'raw_syscalls:sys_enter':
        mm = re.match(r'NR (\d+) \(([0-9a-f]+)', tr)
        if not mm: continue
        nr, fd = int(mm.group(1)), mm.group(2); pend[tid] = (nr, fd)
        if tid == ctid and nr == 0 and fd == cfdc: renter.append(t)
    elif ev == 'raw_syscalls:sys_exit':
        mm = re.match(r'NR (\d+) = (-?\d+)', tr); nr, ret = int(mm.group(1)), int(mm.group(2))
        p = pend.get(tid)
        if not p: continue
        if tid == btid and nr in (1, 20) and p[1] == cfdb: ans.append(t)
        if tid == ctid and nr == 232: wexit.append(t)
        if tid == ctid and nr == 0 and p[1] == cfdc and ret > 1000: rexit.append(t)
def after(a, t):
    i = bisect.bisect_left(a, t); return a[i] if i < len(a) else None
parts = {'write->switched in': [], 'switched->wait exit': [], 'wait exit->read enter': [], 'read': [], 'total': []}
for a in ans:
    s = after(sw, a); e = after(rexit, a)
    if s is None or e is None or e - a > 0.002 or s > e: continue
    w = after(wexit, s); r = after(renter, s)
    parts['write->switched in'].append((s - a) * 1e6)
    if w is not None and w < e:
        parts['switched->wait exit'].append((w - s) * 1e6); parts['wait exit->read enter'].append(((r or e) - w) * 1e6)
    if r is not None and r < e: parts['read'].append((e - r) * 1e6)
    parts['total'].append((e - a) * 1e6)
def pct(a, q): a = sorted(a); return a[min(len(a) - 1, int(q * len(a)))] if a else float('nan')
for k, v in parts.items(): print(f"{k:24} n={len(v):6} p50={pct(v,.5):6.1f} p90={pct(v,.9):6.1f} p99={pct(v,.99):6.1f}")
