#!/usr/bin/env python3
# wakeclass.py DIR...: each W4 message classed by how the broker loop was woken for its send: by the sending client
# loop on its own vCPU ("local") or on the other vCPU through an IPI ("remote", the wake-up recorded there by the idle
# task); latency quantiles per class, and for remote wakes, which other tasks were woken on the client's vCPU in the
# 300 µs before the send. Reads DIR/dump.txt (seq, latency ns, receipt ns) and DIR/sched.txt (round 35's slow.sh).
import re, sys, bisect, collections
for d in sys.argv[1:]:
    events = []  # (t, cpu, waker comm, woken comm or None for a switch, next comm for a switch)
    for l in open(d + '/sched.txt'):
        m = re.search(r'^\s*(\S+)\s+\S+\s+\[(\d+)\] (\d+\.\d+): sched:sched_(wakeup|switch): (.*)', l)
        if not m: continue
        rest = m[5]
        if m[4] == 'wakeup': events.append((float(m[3]), int(m[2]), m[1], re.search(r'comm=(\S+)', rest)[1], None))
        else: events.append((float(m[3]), int(m[2]), m[1], None, re.search(r'next_comm=(\S+)', rest)[1]))
    ts = [e[0] for e in events]
    wakes = [e for e in events if e[3] == 'apus-loop-1']
    wt = [w[0] for w in wakes]
    cls = {'local': [], 'remote': []}
    causes = collections.Counter()
    for l in open(d + '/dump.txt'):
        if not l.strip(): continue
        seq, lat, now = map(int, l.split())
        sent = (now - lat) / 1e9
        i = bisect.bisect_left(wt, sent)
        if i == len(wt) or wt[i] > now / 1e9: continue  # the loop was awake already
        local = wakes[i][2].startswith('bench')
        cls['local' if local else 'remote'].append(lat / 1e3)
        if local: continue
        k = bisect.bisect_left(ts, sent)
        cpu = next((e[1] for e in reversed(events[:k]) if e[4] == 'bench-loop-2'), None)
        others = {e[3] for e in events[bisect.bisect_left(ts, sent - 0.0003):k]
                  if e[1] == cpu and e[3] not in (None, 'bench-loop-2', 'apus-loop-1')}
        causes.update(others or {'(none visible)'})
    print(d)
    for k, v in cls.items():
        v.sort(); n = len(v)
        if not n: continue
        q = lambda p: v[min(n - 1, int(n * p))]
        print(f"  {k:6} n {n:5}  p50 {q(.5):6.1f}  p99 {q(.99):6.1f}  p99.9 {q(.999):7.1f}  >=200us {sum(x >= 200 for x in v)}")
    print("  woken on the client's vCPU before a remote wake:", ", ".join(f"{c} {n}" for c, n in causes.most_common(8)))
