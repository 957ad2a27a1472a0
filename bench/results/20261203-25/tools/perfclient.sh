#!/bin/bash
BIN=$1; OUT=$2; WL=$3
mkdir -p $OUT
D=$(mktemp -d /var/tmp/apusab.XXXX)
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
perf record -o $OUT/perf.data -e cpu-clock -F 4000 -g -- $BIN bench --broker-pid $P --workloads $WL > $OUT/bench.txt 2> $OUT/perf.err
kill $P; wait $P 2>/dev/null
rm -rf $D
