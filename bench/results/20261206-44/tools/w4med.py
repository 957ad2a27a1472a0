#!/usr/bin/env python3
# w4med.py DIR BIN...: medians of W4 p50/p99/p999 and broker/client CPU over DIR/BIN-*.txt
import re, sys, glob, statistics as st
d = sys.argv[1]
for b in sys.argv[2:]:
    rows = []
    for f in sorted(glob.glob(f"{d}/{b}-*.txt")):
        for l in open(f):
            m = re.search(r'^W4: p50 ([\d.]+) / p99 ([\d.]+) / p999 ([\d.]+).*broker CPU (\d+)%, bench client CPU (\d+)%', l)
            if m: rows.append([float(x) for x in m.groups()])
    if not rows: continue
    cols = list(zip(*rows))
    print(f"{b:12} n={len(rows)} p50 {st.median(cols[0]):6.1f}  p99 {st.median(cols[1]):6.1f}  p999 {st.median(cols[2]):6.1f}  broker {st.median(cols[3]):4.1f}%  client {st.median(cols[4]):4.1f}%")
