#!/bin/bash
# critset.sh OUTDIR N BIN: N interleaved pairs of traced W4 runs, Apus (BIN) then Redis, each parsed into stages
# (critdetect.py, critparse2.py); the traces are removed
# PEERS: a writable copy of shared/bench with the peers installed (default /work/peerbench).
OUT=$1; N=$2; BIN=$(realpath $3); T=$(cd $(dirname $0) && pwd); PEERS=${PEERS:-/work/peerbench}
mkdir -p $OUT; OUT=$(cd $OUT && pwd)
for i in $(seq $N); do
  # W4 alone on a fresh broker after a cache drop, with its latency dump (round 42's w4one.sh), under the trace
  $T/tracerun.sh $OUT/apus-$i $T/../../20261205-42/tools/w4one.sh $BIN $OUT/apus-$i.dump A=1 > $OUT/apus-$i.txt 2>&1
  perf script -i $OUT/apus-$i.data -F comm,tid,cpu,time,event,trace 2>/dev/null > $OUT/apus-$i.script
  args=$(python3 $T/critdetect.py $OUT/apus-$i.script apus)
  { cat $OUT/apus-$i.txt; echo "critparse2.py args: $args"; python3 $T/critparse2.py $OUT/apus-$i.script $args; } > $OUT/apus-$i.stages
  rm -f $OUT/apus-$i.data $OUT/apus-$i.script
  (cd $PEERS && REDIS_PORT=16379 $T/tracerun.sh $OUT/redis-$i ./run-peers --target redis --no-install --workloads w4 --results $OUT/redis-$i.res > $OUT/redis-$i.txt 2>&1)
  perf script -i $OUT/redis-$i.data -F comm,tid,cpu,time,event,trace 2>/dev/null > $OUT/redis-$i.script
  args=$(python3 $T/critdetect.py $OUT/redis-$i.script redis)
  { grep "| redis | W4" $OUT/redis-$i.txt; echo "critparse2.py args: $args"; python3 $T/critparse2.py $OUT/redis-$i.script $args; } > $OUT/redis-$i.stages
  rm -rf $OUT/redis-$i.data $OUT/redis-$i.script $OUT/redis-$i.res
done
