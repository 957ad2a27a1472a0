#!/bin/bash
# idlewake.sh BIN OUT: idle broker, per-thread wake-ups (voluntary+involuntary context switches) per second over 20 s, and CPU ticks
BIN=$1; OUT=$2
D=$(mktemp -d /var/tmp/apusidle.XXXX); $BIN serve --data-dir $D > /dev/null 2>&1 & P=$!; sleep 5
snap() { for t in /proc/$P/task/*; do echo "$(basename $t) $(cat $t/comm | tr ' ' _) $(awk '/^voluntary_ctxt_switches|^nonvoluntary_ctxt_switches/{s+=$2} END{print s}' $t/status)"; done | sort; }
snap > $OUT.0; read u0 s0 < <(awk '{print $14, $15}' /proc/$P/stat); sleep 20; snap > $OUT.1; read u1 s1 < <(awk '{print $14, $15}' /proc/$P/stat)
join $OUT.0 $OUT.1 | awk '{d=($5-$3)/20; tot+=d; printf "thread %s %s %.1f/s\n", $1, $2, d} END{printf "total %.1f wake-ups/s\n", tot}' > $OUT
echo "cpu ticks over 20 s: user $((u1-u0)) sys $((s1-s0))" >> $OUT
rm -f $OUT.0 $OUT.1; kill $P; wait $P 2>/dev/null; rm -rf $D
