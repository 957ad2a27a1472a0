#!/bin/bash
# slow.sh OUT [BIN] [WORKLOADS]: a fresh broker after sync + cache drop, `apus bench` (default W4 alone) with
# --latency-dump, and a system-wide trace of sched_switch and sched_wakeup on CLOCK_MONOTONIC over the whole run, so
# the dump and the trace share a clock (round 33's slow.py and dwaits.py read OUT/dump.txt and OUT/sched.txt).
# Round 33's version needed a patched build (w4-dump.patch); `apus bench --latency-dump` replaces it.
OUT=$(realpath -m $1); BIN=${2:-/work/main/.build/release/apus}; WL=${3:-w4}; mkdir -p $OUT
sync; echo 3 > /proc/sys/vm/drop_caches
perf record -a -k CLOCK_MONOTONIC -m 8192 -o $OUT/sched.data -e sched:sched_switch,sched:sched_wakeup --exclude-perf \
  -- sleep ${TRACE_SECONDS:-16} 2> $OUT/perf.err &
PP=$!
sleep 0.5
/work/tools/ab.sh $BIN $OUT/bench.txt $WL --latency-dump $OUT/dump.txt
wait $PP
perf script -i $OUT/sched.data -F comm,pid,tid,cpu,time,event,trace > $OUT/sched.txt 2>/dev/null
