#!/bin/bash
# sustained.sh BIN OUT: fresh broker, W3 with 1.5M messages; broker RssFile sampled every 250 ms (max, last) and
# kdamond's run lengths during the run
BIN=$1; OUT=$2
mkdir -p $(dirname $OUT)
sync; echo 3 > /proc/sys/vm/drop_caches
D=$(mktemp -d /var/tmp/apussu.XXXX)
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
perf record -a -o $OUT.kd.data -e sched:sched_switch --filter 'prev_comm == "kdamond.0" || next_comm == "kdamond.0"' -- sleep 600 >/dev/null 2>&1 &
PP=$!
( while kill -0 $P 2>/dev/null; do awk '/RssFile/{print $2}' /proc/$P/status; sleep 0.25; done ) > $OUT.rss &
S=$!
$BIN bench --broker-pid $P --workloads w3 --count3 1500000 > $OUT.txt 2>&1
kill -INT $PP; wait $PP 2>/dev/null
kill $S 2>/dev/null
kill $P; wait $P 2>/dev/null
rm -rf $D
perf script -i $OUT.kd.data -F comm,pid,tid,cpu,time,event,trace > $OUT.kd.txt 2>/dev/null; rm -f $OUT.kd.data
echo "$(basename $BIN) $(grep ^W3 $OUT.txt | cut -d';' -f1) | RssFile max $(sort -n $OUT.rss | tail -1) kB | $(python3 /work/main/bench/results/20261203-26/tools/kdruns.py $OUT.kd.txt)"
