#!/usr/bin/env python3
# cgsep.py CGFILE N [TOP]: calls per message by calling context of the functions whose mangled names contain one of
# FNS (env, comma-separated; default swift_retain,swift_release), from a callgrind file made with
# --separate-callers=3 (function names carry their callers, joined by ')
import os, re, subprocess, sys
FNS = os.environ.get('FNS', 'swift_retain,swift_release').split(',')
path, n = sys.argv[1], float(sys.argv[2]); top = int(sys.argv[3]) if len(sys.argv) > 3 else 40
names = {}
def name(s):
    m = re.match(r'\((\d+)\)(?: (.*))?', s)
    if not m: return s
    if m.group(2): names[m.group(1)] = m.group(2)
    return names.get(m.group(1), s)
agg = {}; cfn = None
for line in open(path):
    line = line.rstrip('\n')
    if line.startswith('fn='): name(line[3:])
    elif line.startswith('cfn='): cfn = name(line[4:])
    elif line.startswith('calls='):
        c = int(line[6:].split()[0])
        if any(f in cfn.split("'")[0] for f in FNS): agg[cfn] = agg.get(cfn, 0) + c
items = sorted(agg.items(), key=lambda x: -x[1])[:top]
parts = [p for k, _ in items for p in k.split("'")]
dem = subprocess.run(['swift', 'demangle', '--simplified', '--compact'], input='\n'.join(parts), capture_output=True, text=True).stdout.split('\n')
print(f"total {sum(agg.values())/n:.1f} per message"); i = 0
for k, c in items:
    m = len(k.split("'")); d = dem[i:i+m]; i += m
    print(f"{c/n:6.2f}  " + "  <-  ".join(x[:60] for x in d))
