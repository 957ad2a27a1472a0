#!/usr/bin/env python3
# slow.py DIR [THR_US]: for W4 messages >= THR, what ran on each CPU between send and receipt (µs per comm)
import sys, collections, bisect
from schedtrace import events, Switch
d = sys.argv[1]; thr = float(sys.argv[2]) if len(sys.argv) > 2 else 300
rows = [tuple(map(int, l.split())) for l in open(d + '/dump.txt') if l.strip()]
runs = collections.defaultdict(list)  # cpu -> [(start, end, comm)]
cur = {}
for _, e in events(d + '/sched.txt'):
    if not isinstance(e, Switch): continue
    if e.cpu in cur: runs[e.cpu].append((cur[e.cpu][0], e.t, cur[e.cpu][1]))
    cur[e.cpu] = (e.t, e.next_comm)
starts = {c: [r[0] for r in v] for c, v in runs.items()}
slow = [(lat / 1e3, (now - lat) / 1e3, now / 1e3, seq) for seq, lat, now in rows if lat / 1e3 >= thr]
print(f"{len(rows)} messages, {len(slow)} >= {thr} us")
tot = collections.Counter()
for lat, t0, t1, seq in sorted(slow, reverse=True):
    parts = []
    for c in sorted(runs):
        i = max(0, bisect.bisect_right(starts[c], t0) - 1)
        cnt = collections.Counter()
        for s, e, comm in runs[c][i:]:
            if s > t1: break
            ov = min(e, t1) - max(s, t0)
            if ov > 0: cnt[comm] += ov
        for k, v in cnt.items():
            if not k.startswith('swapper'): tot[k] += v
        parts.append(f"cpu{c}: " + ", ".join(f"{k} {v:.0f}" for k, v in cnt.most_common(3)))
    print(f"{lat:7.0f} us seq {seq}: " + " | ".join(parts))
print("total in slow windows:", ", ".join(f"{k} {v:.0f}" for k, v in tot.most_common(8)))
