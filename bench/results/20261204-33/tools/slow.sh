#!/bin/bash
# slow.sh OUT [BIN]: W4 alone with a per-message dump and sched tracepoints on CLOCK_MONOTONIC, whole run
OUT=$(realpath -m $1); BIN=${2:-/work/exp/bins/apus-dump}; mkdir -p $OUT
sync; echo 3 > /proc/sys/vm/drop_caches
perf record -a -k CLOCK_MONOTONIC -m 8192 -o $OUT/sched.data -e sched:sched_switch,sched:sched_wakeup --exclude-perf -- sleep 16 2> $OUT/perf.err &
PP=$!
sleep 0.5
APUS_W4_DUMP=$OUT/dump.txt SERVE_ENV=A=1 /work/tools/ab.sh $BIN $OUT/bench.txt w4
wait $PP
perf script -i $OUT/sched.data -F comm,pid,tid,cpu,time,event,trace > $OUT/sched.txt 2>/dev/null
