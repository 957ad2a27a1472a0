#!/bin/bash
# abx.sh SERVERBIN BENCHBIN OUT workloads [bench args...]: as ab.sh, with a separate bench binary
BIN=$1; BENCH=$2; OUT=$3; WL=$4; shift 4
D=$(mktemp -d /var/tmp/apusab.XXXX)
$BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/9876) 2>/dev/null && (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
st0=$(awk '/^cpu /{print $9}' /proc/stat)
$BENCH bench --broker-pid $P --workloads $WL "$@" > $OUT 2>&1
st1=$(awk '/^cpu /{print $9}' /proc/stat)
read u s < <(awk '{print $14, $15}' /proc/$P/stat)
grep -h "RssAnon" /proc/$P/status >> $OUT
echo "broker ticks user $u sys $s" >> $OUT
echo "machine steal ticks $((st1-st0))" >> $OUT
kill $P; wait $P 2>/dev/null
rm -rf $D
