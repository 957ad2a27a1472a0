#!/bin/bash
# dab.sh OUT REPS BIN...: W1-W4 ($WL) on a fresh broker right after sync + cache drop, binaries interleaved (order
# rotated per repetition); OUT/<binary>-<rep>.txt
OUT=$1; REPS=$2; shift 2; BINS=("$@"); WL=${WL:-w1,w2,w3,w4}
mkdir -p $OUT; n=${#BINS[@]}
for r in $(seq $REPS); do
  for i in $(seq 0 $((n-1))); do
    b=${BINS[$(( (i + r - 1) % n ))]}
    sync; echo 3 > /proc/sys/vm/drop_caches
    /work/tools/ab.sh $b $OUT/$(basename $b)-$r.txt $WL
  done
done
echo done > $OUT/DONE
