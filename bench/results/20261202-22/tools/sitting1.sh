#!/bin/bash
# sitting1.sh OUTDIR BIN: REPS (default 5) repetitions of Apus (W1-W4, JSON W1) interleaved with the peers (NATS, Redis),
# page cache dropped before each; then SYNC_FLUSH W1 three times, limits again, idle RSS.
OUT=$1; NEW=$2; REPS=${REPS:-5}
mkdir -p $OUT
export BENCH_ENV=A=1
/work/peerbench/limits > $OUT/limits.txt 2>&1
for r in $(seq $REPS); do
  sync; echo 3 > /proc/sys/vm/drop_caches
  SERVE_ENV=A=1 /work/tools/ab.sh $NEW $OUT/new-$r.txt w1,w2,w3,w4
  SERVE_ENV=A=1 /work/tools/ab.sh $NEW $OUT/jnew-$r.txt w1 --serialize json
  (cd /work/peerbench && ./run-peers --target nats,redis --no-install --results $OUT/peers-$r > $OUT/peers-$r.log 2>&1)
done
for r in 1 2 3; do
  SERVE_ENV=APUS_FLUSHDISKTYPE=SYNC_FLUSH /work/tools/ab.sh $NEW $OUT/sync-new-$r.txt w1
done
/work/peerbench/limits > $OUT/limits-after.txt 2>&1
D=$(mktemp -d /var/tmp/apusidle.XXXX); $NEW serve --data-dir $D > /dev/null 2>&1 & P=$!; sleep 3
grep -E "VmRSS|RssAnon|RssFile" /proc/$P/status > $OUT/idle-rss.txt; kill $P; wait $P; rm -rf $D
echo done > $OUT/DONE
