#!/bin/bash
# wabc.sh OUT REPS ARGS BIN...: like round 27's wab.sh with extra bench arguments ($ARGS)
OUT=$1; REPS=$2; ARGS=$3; shift 3; BINS=("$@")
mkdir -p $OUT; n=${#BINS[@]}
for r in $(seq $REPS); do for i in $(seq 0 $((n-1))); do
  b=${BINS[$(( (i + r - 1) % n ))]}; name=$(basename $b)
  D=$(mktemp -d /var/tmp/apusab.XXXX)
  $b serve --data-dir $D > $D/serve.log 2>&1 & P=$!
  for k in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
  $b bench --broker-pid $P $ARGS > $OUT/$name-$r.txt 2>&1
  kill $P; wait $P 2>/dev/null; rm -rf $D
done; done
