#!/usr/bin/env python3
# slow.py DIR [THR_US]: for W4 messages >= THR, what ran on each CPU between send and receipt (µs per comm)
import re, sys, collections, bisect
d = sys.argv[1]; thr = float(sys.argv[2]) if len(sys.argv) > 2 else 300
rows = [tuple(map(int, l.split())) for l in open(d + '/dump.txt') if l.strip()]
rx = re.compile(r'\s*(\S.*?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)')
runs = collections.defaultdict(list)  # cpu -> [(start, end, comm)]
cur = {}
for line in open(d + '/sched.txt'):
    m = rx.match(line)
    if not m or m.group(6) != 'sched:sched_switch': continue
    cpu = int(m.group(4)); t = float(m.group(5)) * 1e6
    nxt = re.search(r'==> next_comm=(.*?) next_pid', m.group(7)).group(1)
    if cpu in cur: runs[cpu].append((cur[cpu][0], t, cur[cpu][1]))
    cur[cpu] = (t, nxt)
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
