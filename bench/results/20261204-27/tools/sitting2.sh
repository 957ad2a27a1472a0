#!/bin/bash
# sitting2.sh OUTDIR BIN: REPS (default 3) repetitions of Apus (W1-W4, JSON W1), NATS and Redis, each system with the
# page cache dropped (after a sync) right before it, the order rotated per repetition; kdamond's CPU ticks recorded
# around each system; then SYNC_FLUSH W1 three times, limits again, idle RSS.
OUT=$1; NEW=$2; REPS=${REPS:-3}
mkdir -p $OUT
export BENCH_ENV=A=1
K=$(pgrep -x kdamond.0)
kd() { [ -n "$K" ] && awk '{print $15}' /proc/$K/stat || echo 0; }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
run() {  # run SYSTEM REP
  local k0=$(kd)
  drop
  case $1 in
    apus) SERVE_ENV=A=1 /work/tools/ab.sh $NEW $OUT/new-$2.txt w1,w2,w3,w4
          SERVE_ENV=A=1 /work/tools/ab.sh $NEW $OUT/jnew-$2.txt w1 --serialize json ;;
    nats|redis) (cd /work/peerbench && ./run-peers --target $1 --no-install --results $OUT/peers-$1-$2 > $OUT/peers-$1-$2.log 2>&1) ;;
  esac
  echo "rep $2 $1 kdamond ticks $(( $(kd) - k0 ))" >> $OUT/kdamond.txt
}
/work/peerbench/limits > $OUT/limits.txt 2>&1
order=(apus nats redis)
for r in $(seq $REPS); do
  for i in 0 1 2; do run ${order[$(( (i + r - 1) % 3 ))]} $r; done
done
for r in 1 2 3; do
  SERVE_ENV=APUS_FLUSHDISKTYPE=SYNC_FLUSH /work/tools/ab.sh $NEW $OUT/sync-new-$r.txt w1
done
/work/peerbench/limits > $OUT/limits-after.txt 2>&1
D=$(mktemp -d /var/tmp/apusidle.XXXX); $NEW serve --data-dir $D > /dev/null 2>&1 & P=$!; sleep 3
grep -E "VmRSS|RssAnon|RssFile" /proc/$P/status > $OUT/idle-rss.txt; kill $P; wait $P; rm -rf $D
echo done > $OUT/DONE
