#!/bin/bash
# w4ar.sh OUT REPS BIN: W4 alone, Apus (fresh broker) and Redis (run-peers), interleaved, after sync + cache drop each
OUT=$1; REPS=$2; BIN=$3; mkdir -p $OUT
for r in $(seq $REPS); do
  sync; echo 3 > /proc/sys/vm/drop_caches
  /work/tools/ab.sh $BIN $OUT/apus-$r.txt w4
  sync; echo 3 > /proc/sys/vm/drop_caches
  (cd /work/peerbench && NATS_PORT=14222 REDIS_PORT=16379 ./run-peers --target redis --no-install --workloads w4 --results $OUT/redis-$r > $OUT/redis-$r.log 2>&1)
done
echo done > $OUT/DONE
