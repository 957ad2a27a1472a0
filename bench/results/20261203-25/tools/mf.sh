#!/bin/bash
BIN=$1; OUT=$2; WL=$3
D=$(mktemp -d /var/tmp/apusab.XXXX)
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/9876) 2>/dev/null && (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
/usr/bin/time -v $BIN bench --broker-pid $P --workloads $WL > $OUT 2>&1
awk '{print "broker majflt", $12, "minflt", $10}' /proc/$P/stat >> $OUT
kill $P; wait $P 2>/dev/null
rm -rf $D
