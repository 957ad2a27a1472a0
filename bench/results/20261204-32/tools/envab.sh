#!/bin/bash
# envab.sh OUT REPS: W4 alone, apus-fx with and without APUS_FLUSH_SPREAD, interleaved, fresh broker each
OUT=$1; REPS=$2; mkdir -p $OUT; B=/work/exp/bins/apus-fx
for r in $(seq $REPS); do
  for v in base spread; do
    [ $((r % 2)) = 0 ] && v=$([ $v = base ] && echo spread || echo base)
    D=$(mktemp -d /var/tmp/apusab.XXXX)
    if [ $v = spread ]; then APUS_FLUSH_SPREAD=1 $B serve --data-dir $D > $D/serve.log 2>&1 & else $B serve --data-dir $D > $D/serve.log 2>&1 & fi
    P=$!
    for k in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
    sleep 0.5
    $B bench --broker-pid $P --workloads w4 > $OUT/apus-$v-$r.txt 2>&1
    kill $P; wait $P 2>/dev/null; rm -rf $D
  done
done
touch $OUT/DONE
