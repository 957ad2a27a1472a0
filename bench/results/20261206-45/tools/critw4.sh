#!/bin/bash
# critw4.sh BIN OUT: a fresh broker after a cache drop, then `apus bench` W4 alone with its latency dump (OUT.dump),
# under tracerun.sh's syscall and scheduler trace (OUT.data); the bench's output in OUT.txt
BIN=$1; O=$2; T=$(dirname $0)
D=$(mktemp -d /var/tmp/apuscrit.XXXX)
sync; echo 3 > /proc/sys/vm/drop_caches
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
$T/tracerun.sh $O $BIN bench --broker-pid $P --workloads w4 --latency-dump $O.dump > $O.txt 2>&1
echo "broker pid $P" >> $O.txt
kill $P; wait $P 2>/dev/null; rm -rf $D
