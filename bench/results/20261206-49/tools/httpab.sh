#!/bin/bash
# httpab.sh OUT BIN...: REPS rounds; in each, every binary serves a fresh data dir and `apus bench --protocol http`
# runs against it (publish, then consume of a 60,000 backlog), with the machine's steal ticks around the run.
set -u
# BENCH=PATH: the bench client for every run (default: each binary itself). SIGNED=1: the broker with aclEnable and an
# account, the requests signed.
OUT=$1; shift; REPS=${REPS:-3}; COUNT=${COUNT:-60000}
conf=$(mktemp); printf 'aclEnable=true\naccessKey=bench\nsecretKey=benchsecret\n' > "$conf"
mkdir -p "$OUT"
steal() { awk '/^cpu /{print $9}' /proc/stat; }
for r in $(seq "$REPS"); do
  for bin in "$@"; do
    name=$(basename "$bin"); d=$(mktemp -d)
    if [ "${SIGNED:-0}" = 1 ]; then extra=(--config "$conf"); keys=(--access-key bench --secret-key benchsecret); else extra=(); keys=(); fi
    "$bin" serve --data-dir "$d" --log-level error "${extra[@]}" > "$d/log" 2>&1 & P=$!
    for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/8080) 2>/dev/null && break; sleep 0.1; done
    sleep 1
    s0=$(steal)
    "${BENCH:-$bin}" bench --protocol http --http-endpoint 127.0.0.1:8080 --count "$COUNT" --broker-pid $P "${keys[@]}" 2>&1 | grep "^HTTP" > "$OUT/$name-$r.txt"
    echo "machine steal ticks $(( $(steal) - s0 ))" >> "$OUT/$name-$r.txt"
    kill $P; wait $P 2>/dev/null; rm -rf "$d"
    grep -o "^HTTP [A-Z]*: [0-9,]* msg/s\|broker CPU [0-9.]* us/msg\|steal ticks [0-9]*" "$OUT/$name-$r.txt" | tr '\n' ' '; echo " $name-$r"
  done
done
