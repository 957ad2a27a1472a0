#!/usr/bin/env python3
# callees.py TREE PATTERN [DEPTH] [MIN]: callees of the function matching PATTERN in `callgrind_annotate --tree=calling`
# output, recursively to DEPTH levels, those above MIN instructions; names demangled with swift-demangle
import re, sys, subprocess
tree, pat = sys.argv[1], sys.argv[2]
depth = int(sys.argv[3]) if len(sys.argv) > 3 else 2
minimum = int(sys.argv[4]) if len(sys.argv) > 4 else 1_000_000
blocks = {}
cur = None
for line in open(tree):
    m = re.match(r'\s*([\d,]+) \([^)]*\)\s+\*\s+\S*?:(\S+)', line)
    if m:
        cur = m.group(2); blocks[cur] = (int(m.group(1).replace(',', '')), []); continue
    m = re.match(r'\s*([\d,]+) \([^)]*\)\s+>\s+\S*?:(\S+)\s*(\(([\d,]+)x\))?', line)
    if m and cur:
        blocks[cur][1].append((int(m.group(1).replace(',', '')), m.group(2), m.group(4)))
def dm(name):
    try: return subprocess.run(['swift', 'demangle', '--simplified', '--compact', name], capture_output=True, text=True).stdout.strip()[:150]
    except Exception: return name[:150]
def show(fn, level, seen):
    if level > depth or fn in seen: return
    for cost, callee, calls in sorted(blocks.get(fn, (0, []))[1], reverse=True):
        if cost < minimum: continue
        print(f"{'  ' * level}{cost:>13,} {calls or '':>7}x {dm(callee)}")
        show(callee, level + 1, seen | {fn})
roots = [f for f in blocks if re.search(pat, f)]
for r in roots[:1]:
    print(f"{blocks[r][0]:,} {dm(r)}")
    show(r, 1, set())
