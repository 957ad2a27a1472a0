#!/usr/bin/env python3
# waitwho.py DIR...: every wake-up of apus-loop-1 that waited >= MIN us (env, default 200) before it ran, inside a
# measured W4 message's send..receive (DIR/dump.txt: seq lat_ns recv_ns): the wait, the message's latency, and the
# task it ran after (prev of the switch that brought it in, with its process and prev_state).
import re, sys, os, collections, bisect
MIN = float(os.environ.get('MIN', 200))
tot = collections.Counter(); sums = collections.defaultdict(float)
for d in sys.argv[1:]:
    msgs = []
    for l in open(d + '/dump.txt'):
        if l.strip(): seq, lat, now = map(int, l.split()); msgs.append(((now - lat) / 1e9, now / 1e9, lat / 1e3))
    msgs.sort(); starts = [m[0] for m in msgs]
    pend = None
    for l in open(d + '/sched.txt'):
        if 'sched_wakeup: comm=apus-loop-1 ' in l:
            m = re.search(r'\] (\d+\.\d+):\s.*target_cpu=(\d+)', l); pend = (float(m[1]), int(m[2])); continue
        if pend and 'next_comm=apus-loop-1 ' in l:
            m = re.search(r'^\s*(.*?)\s+(-?\d+)/(-?\d+)\s+\[(\d+)\] (\d+\.\d+):\s+sched:sched_switch: prev_comm=(.*?) prev_pid=\d+ prev_prio=\d+ prev_state=(\S+)', l)
            w = (float(m[5]) - pend[0]) * 1e6
            i = bisect.bisect_right(starts, pend[0]) - 1
            if w >= MIN and i >= 0 and msgs[i][1] >= pend[0]:
                k = f"{m[6]}({m[2]}) {m[7]}"; tot[k] += 1; sums[k] += w
                print(f"{d.split('/')[-1]:8} wait {w:7.0f}us lat {msgs[i][2]:7.0f}us cpu{m[4]} after {k}")
            pend = None
print('--- totals')
for k, n in tot.most_common(): print(f"{n:4} {sums[k]:9.0f}us  {k}")
