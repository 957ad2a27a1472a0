#!/bin/bash
# profc.sh BIN OUTPREFIX WL [bench args]: fresh broker; perf record of the bench client through one run
BIN=$1; O=$2; WL=$3; shift 3
D=$(mktemp -d /var/tmp/apusprof.XXXX)
sync; echo 3 > /proc/sys/vm/drop_caches
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
perf record -e cpu-clock -F 4999 -g -o $O.client.data -- $BIN bench --broker-pid $P --workloads $WL "$@" > $O.txt 2>&1
kill $P; wait $P 2>/dev/null; rm -rf $D
