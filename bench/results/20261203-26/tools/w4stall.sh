#!/bin/bash
# w4stall.sh BIN OUTDIR: page cache dropped, W1-W3 on a fresh broker, then W4 with sched tracepoints system-wide
BIN=$1; OUT=$2
mkdir -p $OUT
sync; echo 3 > /proc/sys/vm/drop_caches
D=$(mktemp -d /var/tmp/apusst.XXXX)
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
$BIN bench --broker-pid $P --workloads w1,w2,w3 > $OUT/pre.txt 2>&1
perf record -a -m 4096 -o $OUT/sched.data -e sched:sched_switch,sched:sched_wakeup,sched:sched_migrate_task --exclude-perf -- sleep 16 2> $OUT/perf.err &
PP=$!
grep -E "Dirty|Writeback:" /proc/meminfo > $OUT/meminfo-before.txt
$BIN bench --broker-pid $P --workloads w4 > $OUT/bench.txt 2>&1
grep -E "Dirty|Writeback:" /proc/meminfo > $OUT/meminfo-after.txt
wait $PP
echo "broker $P" >> $OUT/bench.txt
kill $P; wait $P 2>/dev/null
rm -rf $D
perf script -i $OUT/sched.data -F comm,pid,tid,cpu,time,event,trace > $OUT/sched.txt 2>/dev/null
