#!/usr/bin/env python3
# sum.py FILES...: per file, each workload's rate and broker/client CPU µs per message (delivery)
import re, sys
for f in sys.argv[1:]:
    out = []
    for line in open(f):
        m = re.match(r'(W[123]): ([\d,]+) (?:msg|deliveries)/s.*broker CPU (\d+)%, bench client CPU (\d+)%', line)
        if m:
            rate = int(m.group(2).replace(',', ''))
            out.append("%s %7d %.2f/%.2f" % (m.group(1), rate, int(m.group(3)) * 1e4 / rate, int(m.group(4)) * 1e4 / rate))
        m = re.match(r'W4: p50 ([\d.]+) / p99 ([\d.]+) / p999 ([\d.]+).*broker CPU (\d+)%', line)
        if m: out.append("W4 %s/%s/%s %s%%" % m.groups())
    print(f.split('/')[-1].ljust(16), " | ".join(out))
