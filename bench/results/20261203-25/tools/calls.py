#!/usr/bin/env python3
# calls.py CALLGRIND_FILE SUBSTRING...: calls made to each function whose mangled name contains a SUBSTRING
import collections, sys
totals = collections.Counter(); callee = None
for line in open(sys.argv[1], errors='replace'):
    if line.startswith('cfn='):
        callee = line[4:].strip()
    elif line.startswith('calls=') and callee and any(s in callee for s in sys.argv[2:]):
        totals[callee[:110]] += int(line.split('=')[1].split()[0])
for name, count in totals.most_common():
    print(count, name)
