#!/bin/bash
# ab3.sh BIN OUT [PRE]: fresh broker, bench PRE (default w1,w2), then W3 with the pulls it took counted
BIN=$1; OUT=$2; PRE=${3:-w1,w2}
D=$(mktemp -d /var/tmp/apusab.XXXX)
env $SERVE_ENV $BIN serve --data-dir $D > $D/serve.log 2>&1 &
P=$!
for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
sleep 0.5
pulls() { curl -s localhost:8080/metrics | awk '/^apus_request_duration_seconds_count\{code="11"\}/{print $2}'; }
[ "$PRE" != "-" ] && env $BENCH_ENV $BIN bench --broker-pid $P --workloads $PRE > $OUT 2>&1
p0=$(pulls); st0=$(awk '/^cpu /{print $9}' /proc/stat)
env $BENCH_ENV $BIN bench --broker-pid $P --workloads w3 >> $OUT 2>&1
p1=$(pulls); st1=$(awk '/^cpu /{print $9}' /proc/stat)
echo "W3 pulls $(python3 -c "print(int(float('$p1'))-int(float('${p0:-0}')))") steal $((st1-st0))" >> $OUT
kill $P; wait $P 2>/dev/null
rm -rf $D
