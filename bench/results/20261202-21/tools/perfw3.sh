#!/bin/bash
# perfw3.sh BIN OUTDIR PRE_WL WL [perf args]: fresh broker, bench PRE_WL (unless "-"), then perf record during bench WL
BIN=$1; OUT=$2; PRE=$3; WL=$4; shift 4
mkdir -p $OUT
D=$(mktemp -d /var/tmp/apusab.XXXX)
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
[ "$PRE" != "-" ] && $BIN bench --broker-pid $P --workloads $PRE > $OUT/pre.txt 2>&1
perf record -o $OUT/perf.data -p $P "$@" 2> $OUT/perf.err &
PP=$!
sleep 0.3
read u0 s0 < <(awk '{print $14, $15}' /proc/$P/stat)
$BIN bench --broker-pid $P --workloads $WL > $OUT/bench.txt 2>&1
read u1 s1 < <(awk '{print $14, $15}' /proc/$P/stat)
echo "broker ticks user $((u1-u0)) sys $((s1-s0))" >> $OUT/bench.txt
kill -INT $PP; wait $PP
du -sh $D >> $OUT/bench.txt
kill $P; wait $P 2>/dev/null
rm -rf $D
