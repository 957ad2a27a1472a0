#!/bin/bash
# sitting-ab.sh OUTDIR NEW OLD: round 26's sitting (tools/sitting2.sh of 20261203-26) with two Apus builds: REPS
# (default 4) repetitions of NEW and OLD (W1-W4, JSON W1), NATS and Redis, each system with the page cache dropped
# right before it, the order of the four rotated per repetition; then SYNC_FLUSH W1 twice per build, limits, idle RSS.
OUT=$1; NEW=$2; OLD=$3; REPS=${REPS:-4}
mkdir -p $OUT
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
run() {  # run SYSTEM REP
  drop
  case $1 in
    new|old) B=$NEW; [ $1 = old ] && B=$OLD
             SERVE_ENV=A=1 /work/tools/ab.sh $B $OUT/$1-$2.txt w1,w2,w3,w4
             SERVE_ENV=A=1 /work/tools/ab.sh $B $OUT/j$1-$2.txt w1 --serialize json ;;
    nats|redis) (cd /work/peerbench && ./run-peers --target $1 --no-install --results $OUT/peers-$1-$2 > $OUT/peers-$1-$2.log 2>&1) ;;
  esac
}
/work/peerbench/limits > $OUT/limits.txt 2>&1
order=(new old nats redis)
for r in $(seq $REPS); do
  for i in 0 1 2 3; do run ${order[$(( (i + r - 1) % 4 ))]} $r; done
done
for r in 1 2; do
  for b in new old; do B=$NEW; [ $b = old ] && B=$OLD
    SERVE_ENV=APUS_FLUSHDISKTYPE=SYNC_FLUSH /work/tools/ab.sh $B $OUT/sync-$b-$r.txt w1
  done
done
/work/peerbench/limits > $OUT/limits-after.txt 2>&1
D=$(mktemp -d /var/tmp/apusidle.XXXX); $NEW serve --data-dir $D > /dev/null 2>&1 & P=$!; sleep 3
grep -E "VmRSS|RssAnon|RssFile" /proc/$P/status > $OUT/idle-rss.txt; kill $P; wait $P; rm -rf $D
echo done > $OUT/DONE
