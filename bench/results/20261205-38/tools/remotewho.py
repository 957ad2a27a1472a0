#!/usr/bin/env python3
# remotewho.py DIR...: for each remote-woken W4 message, the tasks (other than the bench loop, the broker loop and
# idle) woken on or switched onto the sending client's vCPU from 100 us before the send to the broker's wake-up; counts.
import re, sys, bisect, collections
for d in sys.argv[1:]:
    ev = []  # (t, cpu, kind, comm, pid)
    for l in open(d + '/sched.txt'):
        m = re.search(r'\[(\d+)\] (\d+\.\d+): sched:sched_wakeup: comm=(.*?) pid=(\d+) .*target_cpu=(\d+)', l)
        if m: ev.append((float(m[2]), int(m[5]), 'w', m[3], m[4])); continue
        m = re.search(r'\[(\d+)\] (\d+\.\d+): sched:sched_switch: prev_comm=.*==> next_comm=(.*?) next_pid=(\d+)', l)
        if m: ev.append((float(m[2]), int(m[1]), 's', m[3], m[4]))
    ev.sort(); T = [e[0] for e in ev]
    wakes = [e for e in ev if e[2] == 'w' and e[3] == 'apus-loop-1']
    ws = [e[0] for e in wakes]
    total = collections.Counter(); slow = collections.Counter(); n = ns = 0
    for l in open(d + '/dump.txt'):
        if not l.strip(): continue
        seq, lat, now = map(int, l.split()); sent = (now - lat) / 1e9
        i = bisect.bisect_left(ws, sent)
        if i == len(ws) or ws[i] > now / 1e9: continue
        wt, wcpu = wakes[i][0], wakes[i][1]
        a = bisect.bisect_left(T, sent - 100e-6); b = bisect.bisect_right(T, wt)
        ccpu = next((e[1] for e in reversed(ev[:b]) if e[2] == 's' and e[3].startswith('bench-loop')), None)
        if ccpu is None or ccpu == wcpu: continue
        who = sorted({e[3] for e in ev[a:b] if e[1] == ccpu and e[3] not in ('apus-loop-1', 'swapper/0', 'swapper/1') and not e[3].startswith('bench-loop')})
        k = '+'.join(who) or '(none)'
        total[k] += 1; n += 1
        if lat >= 150e3: slow[k] += 1; ns += 1
    print(d, 'remote', n, 'of which >=150us', ns)
    for k, v in total.most_common(12): print(f"  {v:4} ({slow[k]:3} slow)  {k}")
