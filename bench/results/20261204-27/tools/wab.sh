#!/bin/bash
# wab.sh OUT REPS BIN...: workloads $WL (default w4) against a fresh broker per run, the binaries interleaved (their
# order rotated per repetition); each run's output in OUT/<binary>-<rep>.txt
OUT=$1; REPS=$2; shift 2; BINS=("$@")
WL=${WL:-w4}
mkdir -p $OUT
n=${#BINS[@]}
for r in $(seq $REPS); do
  for i in $(seq 0 $((n-1))); do
    b=${BINS[$(( (i + r - 1) % n ))]}
    name=$(basename $b)
    D=$(mktemp -d /var/tmp/apusab.XXXX)
    $b serve --data-dir $D > $D/serve.log 2>&1 & P=$!
    for k in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
    sleep 0.5
    $b bench --broker-pid $P --workloads $WL > $OUT/$name-$r.txt 2>&1
    kill $P; wait $P 2>/dev/null; rm -rf $D
  done
done
echo done > $OUT/DONE
