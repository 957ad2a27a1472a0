#!/bin/bash
# flushsys.sh OUT BIN [WL]: a fresh broker after sync + cache drop; the whole bench (default W1-W4) under a system-wide
# sched_switch trace plus the flush thread's syscalls (raw_syscalls filtered on its tid), so flushruns.py can say how
# long apus-flush ran on a CPU without a break, and in which syscall.
OUT=$(realpath -m $1); BIN=$2; WL=${3:-w1,w2,w3,w4}; mkdir -p $OUT
sync; echo 3 > /proc/sys/vm/drop_caches
D=$(mktemp -d /var/tmp/apusab.XXXX)
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/9876) 2>/dev/null && (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
T=$(grep -l apus-flush /proc/$P/task/*/comm | head -1 | awk -F/ '{print $5}')
echo "broker $P flush $T" > $OUT/tids.txt
perf record -a -k CLOCK_MONOTONIC -m 16384 -o $OUT/sched.data -e sched:sched_switch,sched:sched_wakeup \
  -e raw_syscalls:sys_enter --filter "common_pid == $T" -e raw_syscalls:sys_exit --filter "common_pid == $T" \
  --exclude-perf -- sleep ${TRACE_SECONDS:-40} 2> $OUT/perf.err &
PP=$!
sleep 1
$BIN bench --broker-pid $P --workloads $WL --latency-dump $OUT/dump.txt > $OUT/bench.txt 2>&1
wait $PP
kill $P; wait $P 2>/dev/null; rm -rf $D
perf script -i $OUT/sched.data -F comm,pid,tid,cpu,time,event,trace > $OUT/sched.txt 2>/dev/null
