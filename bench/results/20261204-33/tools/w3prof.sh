#!/bin/bash
# w3prof.sh OUT BIN: W1 then W3 on a fresh broker after a cache drop; flat cpu-clock profile of the broker during W3
OUT=$(realpath -m $1); BIN=$2; mkdir -p $OUT
sync; echo 3 > /proc/sys/vm/drop_caches
D=$(mktemp -d /var/tmp/apusw3.XXXX)
$BIN serve --data-dir $D > $D/serve.log 2>&1 & P=$!
for k in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
$BIN bench --broker-pid $P --workloads w1,w2 > $OUT/pre.txt 2>&1
perf record -F 2000 -p $P -o $OUT/perf.data -- sleep 4 2> $OUT/perf.err &
PP=$!
$BIN bench --broker-pid $P --workloads w3 > $OUT/w3.txt 2>&1
wait $PP
kill $P; wait $P 2>/dev/null; rm -rf $D
perf report -i $OUT/perf.data --no-children --sort sym --percent-limit 0.7 --stdio 2>/dev/null | grep -v "^#" | grep -v "^$" | head -45 > $OUT/top.txt
