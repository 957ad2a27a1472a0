#!/bin/bash
# critset.sh OUTDIR N BIN: N interleaved pairs of traced W4 runs, Apus (BIN) then Redis; each parsed into stages
OUT=$1; N=$2; BIN=$3; T=$(dirname $0)
mkdir -p $OUT
for i in $(seq $N); do
  $T/critw4.sh $BIN $OUT/apus-$i
  perf script -i $OUT/apus-$i.data -F comm,tid,cpu,time,event,trace 2>/dev/null > $OUT/apus-$i.script
  args=$(python3 $T/critdetect.py $OUT/apus-$i.script apus)
  { cat $OUT/apus-$i.txt; echo "critparse2.py args: $args"; python3 $T/critparse2.py $OUT/apus-$i.script $args; } > $OUT/apus-$i.stages
  rm -f $OUT/apus-$i.data $OUT/apus-$i.script
  (cd /work/peerbench && REDIS_PORT=16379 $T/tracerun.sh $OUT/redis-$i ./run-peers --target redis --no-install --workloads w4 --results $OUT/redis-$i.res > $OUT/redis-$i.txt 2>&1)
  perf script -i $OUT/redis-$i.data -F comm,tid,cpu,time,event,trace 2>/dev/null > $OUT/redis-$i.script
  args=$(python3 $T/critdetect.py $OUT/redis-$i.script redis)
  { grep "| redis | W4" $OUT/redis-$i.txt; echo "critparse2.py args: $args"; python3 $T/critparse2.py $OUT/redis-$i.script $args; } > $OUT/redis-$i.stages
  rm -rf $OUT/redis-$i.data $OUT/redis-$i.script $OUT/redis-$i.res
done
