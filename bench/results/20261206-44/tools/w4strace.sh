#!/bin/bash
# w4strace.sh BIN OUT: syscall counts of the broker (strace -c -f) over one W4 run
BIN=$1; OUT=$2
D=$(mktemp -d /var/tmp/apusst.XXXX)
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
strace -c -f -p $P -o $OUT.strace &
S=$!
sleep 0.5
$BIN bench --broker-pid $P --workloads w4 "${@:3}" > $OUT 2>&1
kill -INT $S; wait $S
kill $P; wait $P 2>/dev/null
rm -rf $D
