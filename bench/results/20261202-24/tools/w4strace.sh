#!/bin/bash
# w4strace.sh BIN OUT: W4 with strace -c on the broker and on the bench client
BIN=$1; OUT=$2
D=$(mktemp -d /var/tmp/apusst.XXXX)
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
strace -f -c -p $P -o $OUT.broker &
S=$!
sleep 0.5
strace -f -c -o $OUT.client $BIN bench --broker-pid $P --workloads w4 > $OUT 2>&1
kill -INT $S; wait $S
kill $P; wait $P 2>/dev/null
rm -rf $D
