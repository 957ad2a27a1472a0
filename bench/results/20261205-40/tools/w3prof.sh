#!/bin/bash
# w3prof.sh BIN OUT: fresh broker after cache drop, W1-W3 under a system-wide perf (cpu-clock, CLOCK_MONOTONIC);
# OUT.w3time holds W2's end and W3's end (seconds.micros) for `perf report --time`
BIN=$1; OUT=$2
mono() { python3 -c 'import time; print("%.6f" % time.clock_gettime(time.CLOCK_MONOTONIC))'; }
sync; echo 3 > /proc/sys/vm/drop_caches; sleep 1
D=$(mktemp -d /var/tmp/apusw3p.XXXX); $BIN serve --data-dir $D > $D/serve.log 2>&1 & P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done; sleep 0.5
perf record -e cpu-clock -F 1999 -a -k CLOCK_MONOTONIC -o $OUT.perf > /dev/null 2>&1 & PP=$!
sleep 1
stdbuf -oL $BIN bench --workloads w1,w2,w3 > $OUT.txt 2>&1 & B=$!
while ! grep -q "^W2" $OUT.txt; do sleep 0.005; done; t0=$(mono)
wait $B; t1=$(mono); kill -INT $PP; wait $PP; kill $P; wait $P; rm -rf $D
echo "$t0,$t1" > $OUT.w3time
grep "^W3" $OUT.txt | cut -c1-100
