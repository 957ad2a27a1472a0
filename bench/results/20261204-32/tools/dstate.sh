#!/bin/bash
# dstate.sh BIN OUT: fresh broker (no cache drop), W1-W4; every switch-out in uninterruptible sleep (D) system-wide
# recorded with its kernel call chain
BIN=$1; OUT=$2
mkdir -p $(dirname $OUT)
D=$(mktemp -d /var/tmp/apusds.XXXX)
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
perf record -a -g -o $OUT.data -e sched:sched_switch --filter 'prev_state == 2' -e sched:sched_wakeup -- sleep 600 >/dev/null 2>&1 &
PP=$!
sleep 0.5
$BIN bench --broker-pid $P --workloads ${WL:-w1,w2,w3,w4} > $OUT.txt 2>&1
kill -INT $PP; wait $PP 2>/dev/null
echo "broker $P" >> $OUT.txt
kill $P; wait $P 2>/dev/null
rm -rf $D
