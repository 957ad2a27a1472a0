#!/usr/bin/env python3
# ctx.py DIR N [MIN_US] [--all]: sched events from 400 us before the send to 50 us after the receipt of the N slowest
# remote-woken W4 messages (with --all: the N slowest of all messages)
import re, sys, bisect
every = '--all' in sys.argv; args = [a for a in sys.argv[1:] if a != '--all']
d = args[0]; N = int(args[1]); mn = float(args[2]) if len(args) > 2 else 0
lines = open(d + '/sched.txt').read().splitlines()
tl = []
for l in lines:
    m = re.search(r'\] (\d+\.\d+):', l)
    if m: tl.append((float(m[1]), l))
tl.sort(key=lambda x: x[0]); T = [x[0] for x in tl]
wakes = [(t, l) for t, l in tl if 'sched_wakeup: comm=apus-loop-1 ' in l]
ts = [w[0] for w in wakes]
rem = []
for l in open(d + '/dump.txt'):
    if not l.strip(): continue
    seq, lat, now = map(int, l.split()); sent = (now - lat) / 1e9
    i = bisect.bisect_left(ts, sent)
    if i == len(ts): continue
    if not every and (ts[i] > now / 1e9 or wakes[i][1].split()[0].startswith('bench')): continue
    if lat / 1e3 >= mn: rem.append((lat, seq, sent, now / 1e9))
rem.sort(reverse=True)
for lat, seq, sent, now in rem[:N]:
    print(f"=== seq {seq} lat {lat/1e3:.0f}us sent {sent:.6f} recv {now:.6f}")
    a = bisect.bisect_left(T, sent - 400e-6); b = bisect.bisect_right(T, now + 50e-6)
    for t, l in tl[a:b]:
        print(f"{(t - sent)*1e6:+8.0f} " + re.sub(r'\s+', ' ', l.strip())[:170])
