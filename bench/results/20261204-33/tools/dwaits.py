#!/usr/bin/env python3
# dwaits.py SCHED_TXT: waits of NIO-ELT-1-#1 (the broker's event loop) in D state: how many, how long, who woke it
import collections, sys
from schedtrace import events, Switch
dstart = {}; out = []
for _, e in events(sys.argv[1]):
    if isinstance(e, Switch):
        if e.prev_comm == 'NIO-ELT-1-#1' and e.prev_state.startswith('D'): dstart[e.prev_tid] = e.t
    elif e.tid in dstart:
        out.append((e.t - dstart.pop(e.tid), e.waker))
c = collections.Counter(w for d, w in out if d >= 50)
print(f"{len(out)} D waits; >=50 us: {sum(c.values())} by {dict(c)}; max {max(d for d, _ in out):.0f} us" if out else "none")
