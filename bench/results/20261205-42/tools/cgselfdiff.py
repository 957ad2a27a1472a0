#!/usr/bin/env python3
# cgselfdiff.py CG_SMALL CG_LARGE N [TOP]: self instructions per message by function from the difference of two
# callgrind files (runs of N and 2N messages), so start-up cancels out.
import re, sys, subprocess
def load(path):
    names = {}
    def name(s):
        m = re.match(r'\((\d+)\)(?: (.*))?', s)
        if not m: return s
        if m.group(2): names[m.group(1)] = m.group(2)
        return names.get(m.group(1), s)
    fn = None; agg = {}; after = False
    for line in open(path):
        line = line.rstrip('\n')
        if line.startswith('fn='): fn = name(line[3:]); after = False
        elif line.startswith('cfn='): name(line[4:])
        elif line.startswith('calls='): after = True
        elif line and (line[0].isdigit() or line[0] in '+-*'):
            parts = line.split()
            if len(parts) >= 2 and not after: agg[fn] = agg.get(fn, 0) + int(parts[1])
            after = False
    return agg
a, b, n = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3]); top = int(sys.argv[4]) if len(sys.argv) > 4 else 40
d = {k: b.get(k, 0) - a.get(k, 0) for k in set(a) | set(b)}
syms = list(d)
dem = subprocess.run(['swift', 'demangle', '--simplified', '--compact'], input='\n'.join(syms), capture_output=True, text=True).stdout.split('\n')
print(f"total {sum(d.values())/n:.0f} per message")
for (s, c), m in sorted(zip(d.items(), dem), key=lambda x: -x[0][1])[:top]:
    print(f"{c/n:8.1f}  {m[:140]}")
