#!/bin/bash
# w4context.sh OUT BIN: W4 alone and W4 after W1-W3 (the sitting's order), five of each interleaved, a fresh broker
# per run; OUT/w4-N.txt and OUT/w1w2w3w4-N.txt
OUT=$1; BIN=$2
mkdir -p $OUT
for r in 1 2 3 4 5; do
  for wl in w4 w1,w2,w3,w4; do
    D=$(mktemp -d /var/tmp/apusab.XXXX)
    $BIN serve --data-dir $D > $D/serve.log 2>&1 & P=$!
    for k in $(seq 100); do (echo > /dev/tcp/127.0.0.1/10911) 2>/dev/null && break; sleep 0.1; done
    sleep 0.5
    $BIN bench --broker-pid $P --workloads $wl > $OUT/${wl//,/}-$r.txt 2>&1
    kill $P; wait $P 2>/dev/null; rm -rf $D
  done
done
