#!/bin/bash
# ab.sh BIN OUT [workloads] [extra bench args...]: fresh broker, one bench run, broker ticks and steal appended
BIN=$1; OUT=$2; WL=${3:-w1,w2,w3,w4}; shift 3 2>/dev/null
D=$(mktemp -d /var/tmp/apusab.XXXX)
env $SERVE_ENV $PIN $BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/9876) 2>/dev/null && (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
if [ -n "$PINLOOP" ]; then for t in /proc/$P/task/*; do grep -q "apus-loop" $t/comm && taskset -pc $PINLOOP ${t##*/} > /dev/null; done; fi
st0=$(awk '/^cpu /{print $9}' /proc/stat)
$PIN $BIN bench --broker-pid $P --workloads $WL "$@" > $OUT 2>&1
st1=$(awk '/^cpu /{print $9}' /proc/stat)
read u s < <(awk '{print $14, $15}' /proc/$P/stat)
grep -h "RssAnon" /proc/$P/status >> $OUT
for t in /proc/$P/task/*; do awk -v n="$(cat $t/comm)" '{printf "thread %s minflt %d utime %d stime %d\n", n, $10, $14, $15}' $t/stat; done | grep -v 'utime 0 stime 0' >> $OUT
echo "broker ticks user $u sys $s" >> $OUT
echo "machine steal ticks $((st1-st0))" >> $OUT
kill $P; wait $P 2>/dev/null
rm -rf $D
