#!/bin/bash
# w4sched.sh BIN OUT: W4 alone on a fresh broker; every thread's /proc schedstat (run ns, run-queue wait ns, slices)
# of broker and bench at the end of the run, plus the bench output
BIN=$1; OUT=$2
D=$(mktemp -d /var/tmp/apusws.XXXX)
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
$BIN bench --workloads w4 > $OUT 2>&1 &
B=$!
declare -A last
while kill -0 $B 2>/dev/null; do
  for t in /proc/$P/task/* /proc/$B/task/*; do
    s=$(cat $t/schedstat 2>/dev/null) && last[$t]="$(cat $t/comm 2>/dev/null) $s"
  done
  sleep 0.2
done
wait $B
for t in "${!last[@]}"; do echo "sched ${t#/proc/} ${last[$t]}"; done | sort >> $OUT
kill $P; wait $P 2>/dev/null; rm -rf $D
