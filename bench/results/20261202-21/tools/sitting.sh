#!/bin/bash
# sitting.sh OUTDIR PREVBIN NEWBIN: REPS (default 5) interleaved repetitions of Apus new/prev (W1-W4, JSON W1) and
# the peers (NATS, Redis), page cache dropped before each; then SYNC_FLUSH W1 (new, prev), limits, idle RSS.
OUT=$1; PREV=$2; NEW=$3; REPS=${REPS:-5}
mkdir -p $OUT
export BENCH_ENV=A=1
/work/peerbench/limits > $OUT/limits.txt 2>&1
for r in $(seq $REPS); do
  sync; echo 3 > /proc/sys/vm/drop_caches
  if [ $((r % 2)) = 1 ]; then order="new prev"; else order="prev new"; fi
  for v in $order; do
    B=$NEW; [ $v = prev ] && B=$PREV
    SERVE_ENV=A=1 /work/tools/ab.sh $B $OUT/$v-$r.txt w1,w2,w3,w4
    SERVE_ENV=A=1 /work/tools/ab.sh $B $OUT/j$v-$r.txt w1 --serialize json
  done
  (cd /work/peerbench && ./run-peers --target nats,redis --no-install --results $OUT/peers-$r > $OUT/peers-$r.log 2>&1)
done
for r in 1 2; do
  SERVE_ENV=APUS_FLUSHDISKTYPE=SYNC_FLUSH /work/tools/ab.sh $NEW $OUT/sync-new-$r.txt w1
  SERVE_ENV=APUS_FLUSHDISKTYPE=SYNC_FLUSH /work/tools/ab.sh $PREV $OUT/sync-prev-$r.txt w1
done
/work/peerbench/limits > $OUT/limits-after.txt 2>&1
D=$(mktemp -d /var/tmp/apusidle.XXXX); $NEW serve --data-dir $D > /dev/null 2>&1 & P=$!; sleep 3
grep -E "VmRSS|RssAnon|RssFile" /proc/$P/status > $OUT/idle-rss.txt; kill $P; wait $P; rm -rf $D
echo done > $OUT/DONE
