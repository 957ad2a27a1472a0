#!/bin/bash
# slowafter.sh OUT BIN: a fresh broker after sync + cache drop; W1-W3 untraced, then W4 (with --latency-dump) under a
# system-wide sched_switch/sched_wakeup trace: W4 as it runs in a sitting, after the other workloads' data.
OUT=$(realpath -m $1); BIN=$2; mkdir -p $OUT
sync; echo 3 > /proc/sys/vm/drop_caches
D=$(mktemp -d /var/tmp/apusab.XXXX)
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/9876) 2>/dev/null && (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
$BIN bench --broker-pid $P --workloads w1,w2,w3 > $OUT/bench13.txt 2>&1
perf record -a -k CLOCK_MONOTONIC -m 8192 -o $OUT/sched.data -e sched:sched_switch,sched:sched_wakeup --exclude-perf \
  -- sleep ${TRACE_SECONDS:-16} 2> $OUT/perf.err &
PP=$!
sleep 0.5
$BIN bench --broker-pid $P --workloads w4 --latency-dump $OUT/dump.txt > $OUT/bench.txt 2>&1
wait $PP
kill $P; wait $P 2>/dev/null; rm -rf $D
perf script -i $OUT/sched.data -F comm,pid,tid,cpu,time,event,trace > $OUT/sched.txt 2>/dev/null
