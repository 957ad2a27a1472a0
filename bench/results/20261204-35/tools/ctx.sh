#!/bin/bash
# ctx.sh BIN OUT PRE: fresh broker after sync+drop; bench PRE workloads (or none if "-"), then W4 in a second bench
# process; per-thread ticks and dirty/writeback pages around the W4 run.
BIN=$1; OUT=$2; PRE=$3
sync; echo 3 > /proc/sys/vm/drop_caches
D=$(mktemp -d /var/tmp/apusctx.XXXX)
env $SERVE_ENV $BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/9876) 2>/dev/null && (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
snap() { for t in /proc/$P/task/*; do awk -v n="$(cat $t/comm)" -v tag=$1 '{printf "%s thread %s utime %d stime %d\n", tag, n, $14, $15}' $t/stat; done; grep -E "^nr_dirty |^nr_writeback " /proc/vmstat | sed "s/^/$1 /"; }
: > $OUT
[ "$PRE" != "-" ] && $BIN bench --broker-pid $P --workloads $PRE >> $OUT 2>&1
snap before >> $OUT
$BIN bench --broker-pid $P --workloads w4 >> $OUT 2>&1
snap after >> $OUT
kill $P; wait $P 2>/dev/null
rm -rf $D
