#!/bin/bash
# idle.sh BIN: an idle `apus serve` (fresh data directory), its threads' context switches over 20 s after a 5 s start.
B=$1; D=$(mktemp -d /var/tmp/idle.XXXX); $B serve --data-dir $D > $D/log 2>&1 & P=$!; sleep 5
snap() { for t in /proc/$P/task/*; do c=$(cat $t/comm 2>/dev/null) && v=$(awk '/ctxt/{s+=$2} END{print s}' $t/status 2>/dev/null) && [ -n "$v" ] && echo "$c|$v"; done; }
snap > $D/a.txt; t0=$(awk '{print $14+$15}' /proc/$P/stat); sleep 20; snap > $D/b.txt; t1=$(awk '{print $14+$15}' /proc/$P/stat)
python3 - $(basename $B) $((t1-t0)) $D/a.txt $D/b.txt <<'PY'
import sys, collections
def rd(f):
    c = collections.Counter()
    for l in open(f):
        n, v = l.rstrip('\n').rsplit('|', 1); c[n] += int(v)
    return c
a, b = rd(sys.argv[3]), rd(sys.argv[4])
d = {k: b[k] - a.get(k, 0) for k in b if b[k] - a.get(k, 0) > 0}
print(f"{sys.argv[1]}: {sum(d.values())} context switches in 20 s ({sum(d.values())/20:.1f}/s), CPU ticks {sys.argv[2]}; by thread: "
      + ', '.join(f"{k} {v}" for k, v in sorted(d.items(), key=lambda x: -x[1])))
PY
kill $P; wait $P; rm -rf $D
