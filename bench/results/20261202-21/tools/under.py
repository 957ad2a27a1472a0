#!/usr/bin/env python3
# under.py PERFDATA SUBSTR: samples whose stack holds a frame matching SUBSTR, split by that frame's direct callee
import subprocess, sys, collections
data, sub = sys.argv[1], sys.argv[2]
out = subprocess.run(['perf', 'script', '-i', data, '-F', 'ip,sym'], capture_output=True, text=True).stdout
total = 0; hit = 0; child = collections.Counter()
for block in out.split('\n\n'):
    frames = [l.strip().split(' ', 1)[1] if ' ' in l.strip() else '?' for l in block.strip().split('\n') if l.strip()]
    if not frames: continue
    total += 1
    for i, f in enumerate(frames):  # frames[0] is the leaf
        if sub in f:
            hit += 1
            child[frames[i-1] if i > 0 else '(self)'] += 1
            break
print(f"{hit}/{total} samples ({100*hit/total:.1f}%) under {sub}")
for f, n in child.most_common(15): print(f"{100*n/total:6.2f}%  {f[:150]}")
