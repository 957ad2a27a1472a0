#!/usr/bin/env python3
# wakeclass.py DIR...: each W4 message classed by how the broker loop was woken for its send: by the sending client
# loop on its own vCPU ("local") or on the other vCPU through an IPI ("remote", the wake-up recorded there); latency
# quantiles per class. Reads DIR/dump.txt (seq, latency ns, receipt ns) and DIR/sched.txt (slow.sh).
import re, sys, bisect
for d in sys.argv[1:]:
    wakes = []  # (t, waker comm, cpu of record, target cpu)
    for l in open(d + '/sched.txt'):
        m = re.search(r'^\s*(\S+)\s+\S+\s+\[(\d+)\] (\d+\.\d+): sched:sched_wakeup: comm=apus-loop-1 .*target_cpu=(\d+)', l)
        if m: wakes.append((float(m[3]), m[1], int(m[2]), int(m[4])))
    ts = [w[0] for w in wakes]
    cls = {'local': [], 'remote': []}
    for l in open(d + '/dump.txt'):
        if not l.strip(): continue
        seq, lat, now = map(int, l.split())
        sent = (now - lat) / 1e9
        i = bisect.bisect_left(ts, sent)
        if i == len(ts) or ts[i] > now / 1e9: continue  # the loop was awake already
        w = wakes[i]
        cls['local' if w[1].startswith('bench') else 'remote'].append(lat / 1e3)
    print(d)
    for k, v in cls.items():
        v.sort(); n = len(v)
        if not n: continue
        q = lambda p: v[min(n - 1, int(n * p))]
        print(f"  {k:6} n {n:5}  p50 {q(.5):6.1f}  p99 {q(.99):6.1f}  p99.9 {q(.999):7.1f}  >=200us {sum(x >= 200 for x in v)}")
